#include "lib/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

const struct ob_sandbox_limits ob_sandbox_default_limits = {
	.cpu_seconds = 30,
	.wall_seconds = 60,
	.address_space = UINT64_C(512) << 20,
	.file_size = UINT64_C(4) << 30,
};

static int
set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { soft, hard };

	return setrlimit(resource, &rl);
}

/* Rights newer than Debian 12's kernel headers. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

/*
 * Confines the child's file system to reading beneath dirs (Landlock):
 * every right the kernel knows is handled, and only reading files and
 * directories beneath dirs is granted.  0 when it is in force, -1 when
 * the kernel has no Landlock (or it fails): then nothing is granted.
 */
static int
confine_reads(const char *const *dirs)
{
	struct landlock_ruleset_attr attr = { 0 };
	long abi;
	int ruleset, rc = -1;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1)
		return -1;
	attr.handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE |
	    LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
	    LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
	    LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
	    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
	    LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	ruleset =
	    (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return -1;
	for (size_t i = 0; dirs[i] != NULL; i++) {
		struct landlock_path_beneath_attr pb = {
			.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
			    LANDLOCK_ACCESS_FS_READ_DIR,
		};

		pb.parent_fd = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pb.parent_fd < 0)
			continue; /* not on this system */
		if (syscall(SYS_landlock_add_rule, ruleset,
			LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
			close(pb.parent_fd);
			goto out;
		}
		close(pb.parent_fd);
	}
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) == 0)
		rc = 0;
out:
	close(ruleset);
	return rc;
}

/*
 * Opening files, and what libraries that look for them call (fontconfig
 * lists directories and follows links).  Only where Landlock is in
 * force: it allows reading beneath the granted trees and nothing else
 * (writing, creating, truncating fail with EACCES), wherever the path.
 */
static int
allow_reads(scmp_filter_ctx ctx)
{
	static const int sys[] = { SCMP_SYS(open), SCMP_SYS(openat),
		SCMP_SYS(getdents64), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
		SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
		SCMP_SYS(statfs), SCMP_SYS(fstatfs), SCMP_SYS(stat),
		SCMP_SYS(lstat), SCMP_SYS(statx), SCMP_SYS(fadvise64) };

	for (size_t i = 0; i < OB_NELEM(sys); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sys[i], 0) != 0)
			return -1;
	return 0;
}

/*
 * Everything a parser working on open descriptors needs, and no more;
 * with reads, also opening files read-only (confined by Landlock).
 */
static int
filter(bool reads)
{
	static const int allowed[] = {
		SCMP_SYS(read),
		SCMP_SYS(write),
		SCMP_SYS(pread64),
		SCMP_SYS(pwrite64),
		SCMP_SYS(readv),
		SCMP_SYS(writev),
		SCMP_SYS(lseek),
		SCMP_SYS(close),
		SCMP_SYS(fstat),
		SCMP_SYS(newfstatat),
		SCMP_SYS(ftruncate),
		/* Anonymous memory files for a container's members: no
		 * name, no file system. */
		SCMP_SYS(memfd_create),
		SCMP_SYS(fcntl),
		SCMP_SYS(dup),
		SCMP_SYS(brk),
		SCMP_SYS(munmap),
		SCMP_SYS(mremap),
		SCMP_SYS(madvise),
		SCMP_SYS(futex),
		SCMP_SYS(getrandom),
		SCMP_SYS(clock_gettime),
		SCMP_SYS(gettimeofday),
		SCMP_SYS(time),
		SCMP_SYS(getpid),
		SCMP_SYS(gettid),
		SCMP_SYS(sched_yield),
		SCMP_SYS(sysinfo),
		SCMP_SYS(uname),
		SCMP_SYS(prlimit64),
		SCMP_SYS(getrusage),
		SCMP_SYS(rt_sigreturn),
		SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(rt_sigaction),
		SCMP_SYS(exit),
		SCMP_SYS(exit_group),
	};
	/* Refused with an error: libraries try these and cope. */
	static const struct {
		int sys, err;
	} refused[] = {
		{ SCMP_SYS(open), EACCES },
		{ SCMP_SYS(openat), EACCES },
		{ SCMP_SYS(socket), EACCES },
		{ SCMP_SYS(ioctl), ENOTTY },
		{ SCMP_SYS(readlink), EACCES },
		{ SCMP_SYS(access), EACCES },
	};
	scmp_filter_ctx ctx;
	int rc = -1;

	ctx = seccomp_init(OB_SANDBOX_SANITIZED ? SCMP_ACT_ERRNO(EPERM)
						: SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return -1;
	for (size_t i = 0; i < OB_NELEM(allowed); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) != 0)
			goto out;
	if (reads && allow_reads(ctx) != 0)
		goto out;
	for (size_t i = 0; i < OB_NELEM(refused); i++) {
		if (reads &&
		    (refused[i].sys == SCMP_SYS(open) ||
			refused[i].sys == SCMP_SYS(openat) ||
			refused[i].sys == SCMP_SYS(readlink) ||
			refused[i].sys == SCMP_SYS(access)))
			continue;
		if (seccomp_rule_add(ctx,
			SCMP_ACT_ERRNO((uint32_t)refused[i].err),
			refused[i].sys, 0) != 0)
			goto out;
	}
	if (OB_SANDBOX_SANITIZED) {
		static const int runtime[] = { SCMP_SYS(sigaltstack),
			SCMP_SYS(prctl), SCMP_SYS(sched_getaffinity),
			SCMP_SYS(getppid), SCMP_SYS(mincore) };

		for (size_t i = 0; i < OB_NELEM(runtime); i++)
			if (seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, runtime[i], 0) != 0)
				goto out;
	}
	/* Memory, but never executable. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
		SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
		SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0)
		goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return rc;
}

static bool
kept(int fd, const int *keep, size_t nkeep, int report_fd)
{
	if (fd <= 2 || fd == report_fd)
		return true;
	for (size_t i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return true;
	return false;
}

/* Closes every descriptor the child was not given. */
static int
close_others(const int *keep, size_t nkeep, int report_fd)
{
	struct rlimit rl;
	int max = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536)
		max = (int)rl.rlim_cur;
	else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		max = 65536;
	for (int fd = 3; fd < max; fd++)
		if (!kept(fd, keep, nkeep, report_fd))
			(void)close(fd);
	return 0;
}

static void
child(int (*fn)(void *arg, int report_fd), void *arg, const int *keep,
    size_t nkeep, const struct ob_sandbox_limits *lim, int report_fd)
{
	bool reads;
	int rc;

	if (close_others(keep, nkeep, report_fd) != 0)
		_exit(-OB_EINTERNAL);
	/* Landlock and the seccomp filter both need no_new_privs. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		_exit(-OB_EINTERNAL);
	reads = lim->read_dirs != NULL && confine_reads(lim->read_dirs) == 0;
	if (set_limit(RLIMIT_CPU, lim->cpu_seconds, lim->cpu_seconds + 1) !=
		0 ||
	    (!OB_SANDBOX_SANITIZED &&
		set_limit(RLIMIT_AS, lim->address_space, lim->address_space) !=
		    0) ||
	    set_limit(RLIMIT_FSIZE, lim->file_size, lim->file_size) != 0 ||
	    set_limit(RLIMIT_CORE, 0, 0) != 0 || filter(reads) != 0)
		_exit(-OB_EINTERNAL);
	rc = fn(arg, report_fd);
	_exit(rc <= 0 && rc > -127 ? -rc : -OB_EINTERNAL);
}

static const char *
signal_why(int sig)
{
	switch (sig) {
	case SIGXCPU:
		return "it used up its CPU time";
	case SIGXFSZ:
		return "its output was too large";
	case SIGSYS:
		return "it made a system call the sandbox forbids";
	case SIGKILL:
		return "it was killed (CPU time, or the wall clock)";
	case SIGABRT:
		return "it aborted (perhaps out of memory)";
	default:
		return "it crashed";
	}
}

int
ob_sandbox_run(int (*fn)(void *arg, int report_fd), void *arg, const int *keep,
    size_t nkeep, const struct ob_sandbox_limits *lim, struct ob_buf *report,
    int *child_rc, const char **why)
{
	struct timespec t0, now;
	bool killed = false;
	int p[2], status = 0;
	pid_t pid;
	char buf[4096];

	*child_rc = OB_EINTERNAL;
	*why = "";
	if (pipe2(p, O_CLOEXEC) != 0)
		return OB_EIO;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return OB_EIO;
	}
	if (pid == 0) {
		close(p[0]);
		child(fn, arg, keep, nkeep, lim, p[1]);
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		long spent, left;
		ssize_t n;
		int pr;

		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (long)(now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000;
		left = (long)lim->wall_seconds * 1000 - spent;
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		pr = poll(&pfd, 1, (int)(left > 1000 ? 1000 : left));
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the child closed it: it is exiting */
		/* Past the cap the rest is dropped: the report is a summary. */
		if (report->len + (size_t)n <= OB_SANDBOX_REPORT_MAX &&
		    ob_buf_append(report, buf, (size_t)n) != 0)
			continue;
	}
	close(p[0]);
	/* The pipe may close before the child is done: the clock still
	 * runs until it has exited. */
	for (;;) {
		const struct timespec tick = { 0, 10 * 1000 * 1000 };
		pid_t w = waitpid(pid, &status, killed ? 0 : WNOHANG);
		long spent;

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (long)(now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (!killed && spent >= (long)lim->wall_seconds * 1000) {
			kill(pid, SIGKILL);
			killed = true;
		} else if (w == 0) {
			nanosleep(&tick, NULL);
		}
	}
	if (killed) {
		*why = "it ran out of time";
		return OB_EAGAIN;
	}
	if (WIFSIGNALED(status)) {
		*why = signal_why(WTERMSIG(status));
		return OB_EAGAIN;
	}
	*child_rc = WIFEXITED(status) ? -WEXITSTATUS(status) : OB_EINTERNAL;
	return 0;
}
