/*
 * Running other programs without a shell (proc.h).
 */
#include "lib/proc.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/util.h"

extern char **environ;

int
ob_proc_spawn(char *const *argv, char *const *envp, int in_fd, int out_fd,
    pid_t *pid, struct ob_buf *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def, none;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		ob_die("posix_spawn_file_actions_init");
	if (posix_spawnattr_init(&attr) != 0)
		ob_die("posix_spawnattr_init");
	/* dup2 onto the same number would keep FD_CLOEXEC: glibc clears it
	 * for that case, as POSIX 2024 asks. */
	if ((in_fd >= 0 && posix_spawn_file_actions_adddup2(&fa, in_fd, 0)) ||
	    (out_fd >= 0 && posix_spawn_file_actions_adddup2(&fa, out_fd, 1)))
		ob_die("posix_spawn_file_actions_adddup2");
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigemptyset(&none);
	if (posix_spawnattr_setsigdefault(&attr, &def) != 0 ||
	    posix_spawnattr_setsigmask(&attr, &none) != 0 ||
	    posix_spawnattr_setflags(
		&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) != 0)
		ob_die("posix_spawnattr");
	rc =
	    posix_spawnp(pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		ob_buf_seterr(err, "cannot run %s: %s", argv[0], strerror(rc));
		return OB_EIO;
	}
	return 0;
}

int
ob_proc_wait(pid_t pid, const char *what, struct ob_buf *err)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ob_buf_seterr(
			    err, "waiting for %s: %s", what, strerror(errno));
			return OB_EIO;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		ob_buf_seterr(
		    err, "%s exited with status %d", what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		ob_buf_seterr(
		    err, "%s was killed by signal %d", what, WTERMSIG(status));
	else
		ob_buf_seterr(err, "%s stopped", what);
	return OB_EIO;
}
