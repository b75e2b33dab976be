#include "lib/pool.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

#define BACKOFF_MAX_MS 30000
#define STABLE_AFTER_MS 5000

/* ---- child ---- */

/*
 * One word per child in memory shared with the master: the monotonic
 * millisecond at which its current request started, 0 while idle.  The
 * master kills a child whose request runs past request_timeout_s; no
 * system call per request is needed for it.
 */
static _Atomic uint64_t *busy_since;

static volatile sig_atomic_t child_stopping;
static volatile sig_atomic_t child_idle;
static int child_listen_fd = -1;

static void
child_on_term(int sig)
{
	(void)sig;
	child_stopping = 1;
	/* Idle in accept(): closing the socket makes accept fail even if
	 * the signal landed just before the call.  A busy child keeps it
	 * and leaves after its request. */
	if (child_idle && child_listen_fd >= 0) {
		close(child_listen_fd);
		child_listen_fd = -1;
	}
}

static const char *
fcgi_param(void *arg, const char *name)
{
	FCGX_Request *req = arg;

	return FCGX_GetParam(name, req->envp);
}

static ssize_t
fcgi_read(void *arg, char *buf, size_t n)
{
	FCGX_Request *req = arg;
	int want = n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
	int got = FCGX_GetStr(buf, want, req->in);

	if (got == 0 && FCGX_GetError(req->in) != 0)
		return -1;
	return got;
}

static int
fcgi_write(void *arg, const char *buf, size_t n)
{
	FCGX_Request *req = arg;

	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;

		if (FCGX_PutStr(buf, chunk, req->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

static uint64_t
now_ms(void)
{
	return ob_now_us() / 1000;
}

static OB_NORETURN void
child_main(int listen_fd, _Atomic uint64_t *busy, const struct ob_pool_app *app,
    pid_t master)
{
	struct sigaction sa;
	sigset_t none;
	FCGX_Request req;
	struct ob_req_io io = { fcgi_param, fcgi_read, fcgi_write, &req };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = child_on_term; /* no SA_RESTART: accept fails */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL); /* Ctrl-C: the master drains us */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != master)
		_exit(0);

	child_listen_fd = listen_fd;
	if (app->init != NULL && app->init(app->arg) != 0)
		_exit(1);
	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&req, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		_exit(1);

	while (!child_stopping) {
		int rc;

		req.listen_sock = child_listen_fd;
		child_idle = 1;
		if (child_stopping)
			break;
		rc = FCGX_Accept_r(&req);
		child_idle = 0;
		if (rc < 0) {
			if (child_stopping || child_listen_fd < 0)
				break;
			if (rc == -EINTR)
				continue;
			ob_log_error(NULL, "pool: accept failed: %d", rc);
			usleep(100000);
			continue;
		}
		*busy = now_ms();
		app->serve(&io, app->arg);
		FCGX_Finish_r(&req);
		*busy = 0;
	}
	if (app->fini != NULL)
		app->fini(app->arg);
	_exit(0);
}

/* ---- listening socket ---- */

static int
listen_unix(const char *path, unsigned mode, int *out, bool *created)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (ob_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) != 0) {
		fprintf(stderr, "pool: socket path too long: %s\n", path);
		return OB_EIO;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (lstat(path, &st) == 0) {
		/* Replace a stale socket, never a live one or a file. */
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(
			    stderr, "pool: %s exists and is no socket\n", path);
			goto fail_quiet;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			fprintf(stderr,
			    "pool: %s is in use by a running "
			    "pool\n",
			    path);
			goto fail_quiet;
		}
		if (unlink(path) != 0)
			goto fail;
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		goto fail;
	*created = true;
	if (chmod(path, mode) != 0 || listen(fd, 128) != 0)
		goto fail;
	*out = fd;
	return 0;
fail:
	fprintf(stderr, "pool: %s: %s\n", path, strerror(errno));
fail_quiet:
	if (fd >= 0)
		close(fd);
	return OB_EIO;
}

static int
listen_tcp(const char *spec, int *out)
{
	struct addrinfo hints, *res = NULL;
	const char *colon = strrchr(spec, ':');
	char host[256];
	int fd = -1, one = 1, rc;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host)) {
		fprintf(
		    stderr, "pool: bad socket %s (path or host:port)\n", spec);
		return OB_EIO;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		fprintf(stderr, "pool: %s: %s\n", spec, gai_strerror(rc));
		return OB_EIO;
	}
	fd = socket(
	    res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, 128) != 0) {
		fprintf(stderr, "pool: %s: %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return OB_EIO;
	}
	freeaddrinfo(res);
	*out = fd;
	return 0;
}

static bool
is_listening_stream(int fd)
{
	int accepting = 0, type = 0;
	socklen_t len = sizeof(accepting), tlen = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) ==
	    0 &&
	    accepting &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 &&
	    type == SOCK_STREAM;
}

/*
 * systemd socket activation, the sd_listen_fds(3) protocol without
 * libsystemd: LISTEN_PID names the process the sockets are for, and
 * LISTEN_FDS counts them from fd 3 on.  The variables are removed once
 * read, so that the children (and anything they might run) never take
 * the sockets for theirs.  Returns 1 with *fd set, 0 when systemd passed
 * nothing to this process, or OB_EIO.
 */
static int
listen_systemd(int *fd)
{
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	uint64_t pid = 0, n = 0;
	bool ours;

	if (pid_s == NULL || fds_s == NULL)
		return 0;
	ours = ob_parse_u64(pid_s, 1, INT_MAX, &pid) == 0 &&
	    pid == (uint64_t)getpid();
	if (ours && ob_parse_u64(fds_s, 0, 1024, &n) != 0) {
		fprintf(stderr, "pool: LISTEN_FDS is not a number\n");
		return OB_EIO;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (!ours || n == 0)
		return 0;
	if (n != 1) {
		fprintf(stderr,
		    "pool: systemd passed %llu sockets; a pool "
		    "listens on one\n",
		    (unsigned long long)n);
		return OB_EIO;
	}
	if (!is_listening_stream(3)) {
		fprintf(stderr,
		    "pool: fd 3 from systemd is not a listening stream "
		    "socket (ListenStream=, Accept=no)\n");
		return OB_EIO;
	}
	if (fcntl(3, F_SETFD, FD_CLOEXEC) != 0) {
		fprintf(stderr, "pool: fd 3: %s\n", strerror(errno));
		return OB_EIO;
	}
	*fd = 3;
	return 1;
}

int
ob_pool_listen(const struct ob_pool_opts *o, int *fd, bool *created)
{
	int rc;

	*created = false;
	if ((rc = listen_systemd(fd)) < 0)
		return rc;
	if (rc == 1) {
		if (o->socket != NULL) {
			fprintf(stderr,
			    "pool: systemd passed a socket and %s is "
			    "configured too; remove the socket setting "
			    "(or --socket)\n",
			    o->socket);
			return OB_EIO;
		}
		return 0;
	}
	if (o->socket == NULL) {
		if (!is_listening_stream(0)) {
			fprintf(stderr,
			    "pool: no --socket given, no socket from "
			    "systemd (LISTEN_FDS), and fd 0 is not a "
			    "listening socket\n");
			return OB_EIO;
		}
		*fd = 0;
		return 0;
	}
	if (o->socket[0] == '/')
		return listen_unix(o->socket, o->socket_mode, fd, created);
	return listen_tcp(o->socket, fd);
}

/* ---- master ---- */

struct slot {
	pid_t pid;
	uint64_t started_ms;
	uint64_t restart_at_ms; /* 0: nothing scheduled */
	unsigned backoff_ms;
};

static void
on_sigchld(int sig)
{
	(void)sig; /* only makes SIGCHLD deliverable to sigtimedwait */
}

static void
spawn(struct slot *s, unsigned i, int listen_fd, const struct ob_pool_app *app)
{
	pid_t master = getpid();
	pid_t pid = fork();

	if (pid < 0) {
		ob_log_error(NULL, "pool: fork failed: %s", strerror(errno));
		s->restart_at_ms = now_ms() + 1000;
		return;
	}
	if (pid == 0)
		child_main(listen_fd, &busy_since[i], app, master);
	busy_since[i] = 0;
	s->pid = pid;
	s->started_ms = now_ms();
	s->restart_at_ms = 0;
}

static void
reaped(struct slot *slots, unsigned n, pid_t pid, int status, bool stopping)
{
	for (unsigned i = 0; i < n; i++) {
		struct slot *s = &slots[i];
		uint64_t lived;

		if (s->pid != pid)
			continue;
		s->pid = 0;
		if (stopping)
			return;
		if (WIFSIGNALED(status))
			ob_log_warn(NULL, "pool: child %d killed by signal %d",
			    (int)pid, WTERMSIG(status));
		else
			ob_log_warn(NULL, "pool: child %d exited with %d",
			    (int)pid, WEXITSTATUS(status));
		lived = now_ms() - s->started_ms;
		if (lived >= STABLE_AFTER_MS)
			s->backoff_ms = 0;
		else
			s->backoff_ms = s->backoff_ms == 0 ? 100
			    : s->backoff_ms * 2 > BACKOFF_MAX_MS
			    ? BACKOFF_MAX_MS
			    : s->backoff_ms * 2;
		s->restart_at_ms = now_ms() + s->backoff_ms;
		return;
	}
}

/* A request running for longer than limit_ms kills its child. */
static void
kill_stuck(struct slot *slots, unsigned n, uint64_t limit_ms)
{
	uint64_t now = now_ms();

	for (unsigned i = 0; i < n; i++) {
		uint64_t since = busy_since[i];

		if (slots[i].pid > 0 && since != 0 && limit_ms > 0 &&
		    now - since > limit_ms) {
			ob_log_warn(NULL,
			    "pool: child %d stuck in a request "
			    "for %llu ms, killing it",
			    (int)slots[i].pid,
			    (unsigned long long)(now - since));
			kill(slots[i].pid, SIGKILL);
			busy_since[i] = 0;
		}
	}
}

int
ob_pool_run(const struct ob_pool_opts *o, const struct ob_pool_app *app)
{
	struct slot *slots;
	struct sigaction sa;
	sigset_t set, old;
	int listen_fd = -1, sig;
	bool created = false, stopping = false;
	uint64_t deadline = 0;
	unsigned n = o->processes ? o->processes : 1, alive;

	if (ob_pool_listen(o, &listen_fd, &created) != 0)
		return OB_EIO;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);

	ob_log_info(NULL, "pool: starting %u processes", n);
	slots = ob_xcalloc(n, sizeof(*slots));
	busy_since = mmap(NULL, n * sizeof(*busy_since), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (busy_since == MAP_FAILED)
		ob_die("pool: cannot map shared memory");
	for (unsigned i = 0; i < n; i++)
		spawn(&slots[i], i, listen_fd, app);

	for (;;) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		siginfo_t info;
		pid_t pid;
		int status;

		sig = sigtimedwait(&set, &info, &ts);
		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping) {
				ob_log_info(NULL, "pool: draining");
				stopping = true;
				deadline =
				    now_ms() + 1000ull * o->drain_timeout_s;
				for (unsigned i = 0; i < n; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGTERM);
			}
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			reaped(slots, n, pid, status, stopping);

		alive = 0;
		for (unsigned i = 0; i < n; i++)
			if (slots[i].pid > 0)
				alive++;
		if (stopping) {
			if (alive == 0)
				break;
			if (now_ms() >= deadline) {
				ob_log_warn(NULL,
				    "pool: drain timeout, "
				    "killing %u children",
				    alive);
				for (unsigned i = 0; i < n; i++)
					if (slots[i].pid > 0)
						kill(slots[i].pid, SIGKILL);
				deadline = UINT64_MAX;
			}
			continue;
		}
		for (unsigned i = 0; i < n; i++)
			if (slots[i].pid == 0 && slots[i].restart_at_ms != 0 &&
			    now_ms() >= slots[i].restart_at_ms)
				spawn(&slots[i], i, listen_fd, app);
		kill_stuck(slots, n, 1000ull * o->request_timeout_s);
	}

	if (listen_fd > 0)
		close(listen_fd);
	if (created && o->socket != NULL && o->socket[0] == '/')
		unlink(o->socket);
	free(slots);
	munmap(busy_since, n * sizeof(*busy_since));
	busy_since = NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
	ob_log_info(NULL, "pool: stopped");
	return 0;
}
