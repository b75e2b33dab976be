/*
 * The sandbox: a child's result and report come back; opening files and
 * sockets fails; a loop meets the CPU limit, a hang the wall clock, a
 * forbidden call or an executable mapping the filter, a crash kills
 * only the child.  Under the sanitizers the filter refuses instead of
 * killing (lib/sandbox.c), and the runtime catches crashes itself: the
 * tests expect what each build does.
 */
#include "lib/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/landlock.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "test/unit/check.h"

static int
say(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : OB_EIO;
}

static int
fine(void *arg, int fd)
{
	(void)arg;
	return say(fd, "removed: everything\n");
}

static int
refuse(void *arg, int fd)
{
	(void)arg;
	(void)say(fd, "refused: not a file\n");
	return OB_EINVAL;
}

static int
try_files(void *arg, int fd)
{
	char line[64];
	int f, s;

	(void)arg;
	f = open("/etc/hostname", O_RDONLY);
	snprintf(line, sizeof(line), "open %d %d\n", f, f < 0 ? errno : 0);
	(void)say(fd, line);
	s = socket(AF_INET, SOCK_STREAM, 0);
	snprintf(line, sizeof(line), "socket %d %d\n", s, s < 0 ? errno : 0);
	(void)say(fd, line);
	return 0;
}

static int
spin(void *arg, int fd)
{
	volatile unsigned long n = 0;

	(void)arg;
	(void)fd;
	for (;;)
		n++;
	return 0;
}

static int
hang(void *arg, int fd)
{
	int *p = arg;
	char c;

	(void)fd;
	return read(p[0], &c, 1) == 1 ? 0 : OB_EIO; /* nobody writes */
}

/* Granted reading beneath dirs[0]: what opens there and elsewhere. */
static int
read_granted(void *arg, int fd)
{
	char *const *paths = arg; /* inside, outside, new file inside */
	char line[64];
	int a, b, c, d;

	a = open(paths[0], O_RDONLY | O_CLOEXEC);
	b = open(paths[1], O_RDONLY | O_CLOEXEC);
	c = open(paths[0], O_RDWR | O_CLOEXEC);
	d = open(paths[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	snprintf(line, sizeof(line), "%d %d %d %d\n", a >= 0, b >= 0, c >= 0,
	    d >= 0);
	return say(fd, line);
}

static int
exec_something(void *arg, int fd)
{
	char *const argv[] = { "/bin/true", NULL };

	(void)arg;
	execv(argv[0], argv);
	(void)say(fd, "exec refused\n");
	return OB_EPERM;
}

static int
map_exec(void *arg, int fd)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	(void)fd;
	return p == MAP_FAILED ? OB_EPERM : 0;
}

/* Reports which of the parent's descriptors it can still use. */
static int
look_around(void *arg, int fd)
{
	const int *open_fds = arg;
	char line[64];

	for (int i = 0; i < 2; i++) {
		snprintf(line, sizeof(line), "fd %d %s\n", open_fds[i],
		    fcntl(open_fds[i], F_GETFD) == -1 ? "closed" : "open");
		(void)say(fd, line);
	}
	return 0;
}

static int
close_early(void *arg, int fd)
{
	int *p = arg;
	char c;

	close(fd);
	return read(p[0], &c, 1) == 1 ? 0 : OB_EIO; /* and then hang */
}

int
main(void)
{
	struct ob_sandbox_limits lim = ob_sandbox_default_limits;
	struct ob_buf rep = OB_BUF_INIT(OB_SANDBOX_REPORT_MAX);
	const char *why = NULL;
	int rc = 1, p[2];

	CHECK_INT(
	    ob_sandbox_run(fine, NULL, NULL, 0, &lim, &rep, &rc, &why), 0);
	CHECK_INT(rc, 0);
	CHECK_STR(ob_buf_cstr(&rep), "removed: everything\n");

	ob_buf_reset(&rep);
	CHECK_INT(
	    ob_sandbox_run(refuse, NULL, NULL, 0, &lim, &rep, &rc, &why), 0);
	CHECK_INT(rc, OB_EINVAL);
	CHECK_STR(ob_buf_cstr(&rep), "refused: not a file\n");

	/* Only what it was given: the other descriptors are closed. */
	{
		int secret = open("/dev/null", O_RDONLY);
		int given = open("/dev/null", O_RDONLY);
		int fds[2] = { secret, given };
		char want[64];

		ob_buf_reset(&rep);
		CHECK_INT(ob_sandbox_run(look_around, fds, &given, 1, &lim,
			      &rep, &rc, &why),
		    0);
		snprintf(want, sizeof(want), "fd %d closed\nfd %d open\n",
		    secret, given);
		CHECK_STR(ob_buf_cstr(&rep), want);
		close(secret);
		close(given);
	}

	/* No files by name, no network: refused, not fatal. */
	ob_buf_reset(&rep);
	CHECK_INT(
	    ob_sandbox_run(try_files, NULL, NULL, 0, &lim, &rep, &rc, &why), 0);
	CHECK_INT(rc, 0);
	CHECK(strstr(ob_buf_cstr(&rep), "open -1 13\n") != NULL);
	CHECK(strstr(ob_buf_cstr(&rep), "socket -1 13\n") != NULL);

	/* Reading beneath a granted directory, where Landlock is: only
	 * there, and only reading. */
	{
		char dir[] = "/tmp/ombud-sandbox-XXXXXX", in[64], out[64],
		     made[64];
		const char *const dirs[] = { dir, NULL };
		char *paths[] = { in, out, made };
		bool landlock = syscall(SYS_landlock_create_ruleset, NULL, 0,
				    LANDLOCK_CREATE_RULESET_VERSION) >= 1;
		int f;

		CHECK(mkdtemp(dir) != NULL);
		snprintf(in, sizeof(in), "%s/font", dir);
		snprintf(out, sizeof(out), "%s.outside", dir);
		snprintf(made, sizeof(made), "%s/new", dir);
		CHECK((f = open(in, O_WRONLY | O_CREAT, 0600)) >= 0);
		close(f);
		CHECK((f = open(out, O_WRONLY | O_CREAT, 0600)) >= 0);
		close(f);
		lim.read_dirs = dirs;
		ob_buf_reset(&rep);
		CHECK_INT(ob_sandbox_run(read_granted, paths, NULL, 0, &lim,
			      &rep, &rc, &why),
		    0);
		CHECK_STR(
		    ob_buf_cstr(&rep), landlock ? "1 0 0 0\n" : "0 0 0 0\n");
		CHECK(access(made, F_OK) != 0);
		lim.read_dirs = NULL;
		ob_buf_reset(&rep);
		CHECK_INT(ob_sandbox_run(read_granted, paths, NULL, 0, &lim,
			      &rep, &rc, &why),
		    0);
		CHECK_STR(ob_buf_cstr(&rep), "0 0 0 0\n");
		unlink(in);
		unlink(out);
		rmdir(dir);
	}

	/* A loop meets the CPU limit. */
	lim.cpu_seconds = 1;
	lim.wall_seconds = 20;
	CHECK_INT(ob_sandbox_run(spin, NULL, NULL, 0, &lim, &rep, &rc, &why),
	    OB_EAGAIN);
	CHECK(strstr(why, "CPU") != NULL || strstr(why, "killed") != NULL);

	/* A hang meets the wall clock, even after closing its report. */
	CHECK_INT(pipe(p), 0);
	lim.wall_seconds = 1;
	CHECK_INT(
	    ob_sandbox_run(hang, p, p, 2, &lim, &rep, &rc, &why), OB_EAGAIN);
	CHECK_STR(why, "it ran out of time");
	CHECK_INT(ob_sandbox_run(close_early, p, p, 2, &lim, &rep, &rc, &why),
	    OB_EAGAIN);
	CHECK_STR(why, "it ran out of time");
	close(p[0]);
	close(p[1]);
	lim = ob_sandbox_default_limits;

	/* A new program, or executable memory: never. */
	ob_buf_reset(&rep);
	rc = 0;
	if (OB_SANDBOX_SANITIZED) {
		CHECK_INT(ob_sandbox_run(exec_something, NULL, NULL, 0, &lim,
			      &rep, &rc, &why),
		    0);
		CHECK_INT(rc, OB_EPERM);
	} else {
		CHECK_INT(ob_sandbox_run(exec_something, NULL, NULL, 0, &lim,
			      &rep, &rc, &why),
		    OB_EAGAIN);
		CHECK(strstr(why, "system call") != NULL);
		CHECK(strstr(ob_buf_cstr(&rep), "exec refused") == NULL);
		CHECK_INT(ob_sandbox_run(
			      map_exec, NULL, NULL, 0, &lim, &rep, &rc, &why),
		    OB_EAGAIN);
	}
	ob_buf_release(&rep);
	return CHECK_DONE();
}
