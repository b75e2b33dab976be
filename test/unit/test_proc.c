#include "lib/proc.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "test/unit/check.h"

static void
test_pipe_through(void)
{
	char *argv[] = { "tr", "a-z", "A-Z", NULL };
	struct ob_buf err = OB_BUF_INIT(512);
	int in[2], out[2];
	char buf[64] = { 0 };
	pid_t pid;
	ssize_t n;

	CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
	CHECK_INT(ob_proc_spawn(argv, NULL, in[0], out[1], &pid, &err), 0);
	close(in[0]);
	close(out[1]);
	CHECK(write(in[1], "backup", 6) == 6);
	close(in[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	CHECK_INT(n, 6);
	CHECK_STR(buf, "BACKUP");
	close(out[0]);
	CHECK_INT(ob_proc_wait(pid, "tr", &err), 0);
	ob_buf_release(&err);
}

static void
test_failures(void)
{
	char *missing[] = { "ob-no-such-program", NULL };
	char *fails[] = { "false", NULL };
	/* The child gets SIGPIPE back at its default even though we
	 * ignore it: writing to a closed pipe kills it. */
	char *pipe_dies[] = { "sh", "-c", "sleep 0.2; echo x; echo y", NULL };
	struct ob_buf err = OB_BUF_INIT(512);
	int p[2];
	pid_t pid;

	CHECK_INT(ob_proc_spawn(missing, NULL, -1, -1, &pid, &err), OB_EIO);
	CHECK(strstr(ob_buf_cstr(&err), "ob-no-such-program") != NULL);
	CHECK_INT(ob_proc_spawn(fails, NULL, -1, -1, &pid, &err), 0);
	CHECK_INT(ob_proc_wait(pid, "false", &err), OB_EIO);
	CHECK_STR(ob_buf_cstr(&err), "false exited with status 1");

	signal(SIGPIPE, SIG_IGN);
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK_INT(ob_proc_spawn(pipe_dies, NULL, -1, p[1], &pid, &err), 0);
	close(p[1]);
	close(p[0]);
	CHECK_INT(ob_proc_wait(pid, "sh", &err), OB_EIO);
	CHECK_STR(ob_buf_cstr(&err), "sh was killed by signal 13");
	ob_buf_release(&err);
}

int
main(void)
{
	test_pipe_through();
	test_failures();
	return CHECK_DONE();
}
