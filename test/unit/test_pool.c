/*
 * The pool master: socket setup, restart of a dead child, and a drain
 * that lets an in-flight request finish.  Requests are made with a
 * minimal FastCGI client below.
 */
#include "lib/pool.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/unit/check.h"

static int pid_pipe[2];

static int
app_init(void *arg)
{
	pid_t me = getpid();

	(void)arg;
	if (write(pid_pipe[1], &me, sizeof(me)) != sizeof(me))
		return 1;
	return 0;
}

static void
app_serve(const struct ob_req_io *io, void *arg)
{
	const char *delay = io->param(io->arg, "DELAY_MS");
	static const char resp[] = "Status: 200 OK\r\n"
				   "Content-Type: text/plain\r\n\r\nserved";

	(void)arg;
	uint64_t ms = 0;

	/* Sleep the whole delay, even across signals. */
	if (delay != NULL && ob_parse_u64(delay, 0, 10000, &ms) == 0) {
		uint64_t until = ob_now_us() + ms * 1000;

		while (ob_now_us() < until)
			usleep(10000);
	}
	(void)io->write(io->arg, resp, sizeof(resp) - 1);
}

static pid_t
read_pid(void)
{
	pid_t p = 0;
	struct timeval tv = { 10, 0 };
	fd_set fds;

	FD_ZERO(&fds);
	FD_SET(pid_pipe[0], &fds);
	if (select(pid_pipe[0] + 1, &fds, NULL, NULL, &tv) != 1)
		return 0;
	if (read(pid_pipe[0], &p, sizeof(p)) != sizeof(p))
		return 0;
	return p;
}

/* ---- a minimal FastCGI client ---- */

static void
record(unsigned char *buf, size_t *len, int type, const void *content, size_t n)
{
	unsigned char *h = buf + *len;

	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = 0, h[3] = 1; /* request id 1 */
	h[4] = (unsigned char)(n >> 8), h[5] = (unsigned char)n;
	h[6] = 0, h[7] = 0;
	memcpy(h + 8, content, n);
	*len += 8 + n;
}

static void
param(unsigned char *p, size_t *n, const char *name, const char *value)
{
	size_t a = strlen(name), b = strlen(value);

	p[(*n)++] = (unsigned char)a;
	p[(*n)++] = (unsigned char)b;
	memcpy(p + *n, name, a);
	*n += a;
	memcpy(p + *n, value, b);
	*n += b;
}

static int
fcgi_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
fcgi_send(int fd, const char *delay)
{
	unsigned char buf[1024], params[512];
	unsigned char begin[8] = { 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t len = 0, pn = 0;

	record(buf, &len, 1, begin, sizeof(begin));
	param(params, &pn, "REQUEST_METHOD", "GET");
	param(params, &pn, "REQUEST_URI", "/");
	if (delay != NULL)
		param(params, &pn, "DELAY_MS", delay);
	record(buf, &len, 4, params, pn);
	record(buf, &len, 4, "", 0);
	record(buf, &len, 5, "", 0);
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/* Reads the stdout stream until END_REQUEST; 1 when it holds "served". */
static int
fcgi_served(int fd)
{
	char out[4096];
	size_t olen = 0;
	unsigned char h[8];

	for (;;) {
		size_t n, pad, got = 0;
		char body[65536 + 256];

		if (read(fd, h, 8) != 8)
			return 0;
		n = ((size_t)h[4] << 8) | h[5];
		pad = h[6];
		while (got < n + pad) {
			ssize_t k = read(fd, body + got, n + pad - got);

			if (k <= 0)
				return 0;
			got += (size_t)k;
		}
		if (h[1] == 6 && olen + n < sizeof(out)) {
			memcpy(out + olen, body, n);
			olen += n;
		}
		if (h[1] == 3)
			break;
	}
	out[olen] = '\0';
	return strstr(out, "served") != NULL;
}

static int
request(const char *path, const char *delay)
{
	int fd = fcgi_connect(path), ok;

	if (fd < 0)
		return 0;
	ok = fcgi_send(fd, delay) == 0 && fcgi_served(fd);
	close(fd);
	return ok;
}

static int
wait_exit(pid_t pid, int seconds)
{
	int status;

	for (int i = 0; i < seconds * 20; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static void
setenv_pid(pid_t pid, const char *nfds)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	setenv("LISTEN_PID", buf, 1);
	setenv("LISTEN_FDS", nfds, 1);
	setenv("LISTEN_FDNAMES", "pool", 1);
}

/* A listening unix socket made as systemd would, moved to fd 3. */
static int
systemd_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	unlink(path);
	if (fd < 0 ||
	    ob_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) != 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, 16) != 0 || dup2(fd, 3) != 3)
		return -1;
	if (fd != 3)
		close(fd);
	return 3;
}

static void
socket_activation(const char *dir, const struct ob_pool_app *app)
{
	char path[128];
	struct ob_pool_opts o = { 0 };
	struct stat st;
	bool created = true;
	int fd = -1, status;
	pid_t master, c1, c2;

	snprintf(path, sizeof(path), "%s/sd.sock", dir);
	o.processes = 2;
	o.drain_timeout_s = 10;
	o.request_timeout_s = 10;
	CHECK_INT(systemd_socket(path), 3);

	/* Ours: fd 3, nothing created, the variables gone. */
	setenv_pid(getpid(), "1");
	CHECK_INT(ob_pool_listen(&o, &fd, &created), 0);
	CHECK_INT(fd, 3);
	CHECK(!created);
	CHECK(getenv("LISTEN_PID") == NULL && getenv("LISTEN_FDS") == NULL &&
	    getenv("LISTEN_FDNAMES") == NULL);
	CHECK(fcntl(3, F_GETFD) == FD_CLOEXEC);
	/* Not ours (another pid): ignored, fd 0 is not listening. */
	setenv_pid(getpid() + 1, "1");
	CHECK_INT(ob_pool_listen(&o, &fd, &created), OB_EIO);
	CHECK(getenv("LISTEN_PID") == NULL);
	/* Two sockets, a junk count, or a socket path as well: refused. */
	setenv_pid(getpid(), "2");
	CHECK_INT(ob_pool_listen(&o, &fd, &created), OB_EIO);
	setenv_pid(getpid(), "1x");
	CHECK_INT(ob_pool_listen(&o, &fd, &created), OB_EIO);
	setenv_pid(getpid(), "1");
	o.socket = path;
	CHECK_INT(ob_pool_listen(&o, &fd, &created), OB_EIO);
	o.socket = NULL;

	/* A pool started by systemd serves on the socket it was given,
	 * and leaves the socket file (systemd's) in place. */
	CHECK(pipe(pid_pipe) == 0);
	master = fork();
	if (master == 0) {
		setenv_pid(getpid(), "1");
		_exit(ob_pool_run(&o, app) == 0 ? 0 : 1);
	}
	c1 = read_pid();
	c2 = read_pid();
	CHECK(c1 > 0 && c2 > 0 && c1 != c2);
	for (int i = 0; i < 4; i++)
		CHECK(request(path, NULL));
	kill(master, SIGTERM);
	CHECK_INT(wait_exit(master, 10), 0);
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK(waitpid(-1, &status, WNOHANG) <= 0);
	close(pid_pipe[0]);
	close(pid_pipe[1]);

	/* fd 3 that is not a listening socket: refused. */
	close(3);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && dup2(fd, 3) == 3);
	if (fd != 3)
		close(fd);
	setenv_pid(getpid(), "1");
	CHECK_INT(ob_pool_listen(&o, &fd, &created), OB_EIO);
	close(3);
	unlink(path);
}

int
main(void)
{
	char dir[] = "/tmp/ombud-test-pool-XXXXXX";
	char path[128], file[128];
	struct ob_pool_opts o = { 0 };
	struct ob_pool_app app = { app_init, app_serve, NULL, NULL };
	struct stat st;
	bool created = false;
	int fd = -1, fd2 = -1, status;
	pid_t master, c1, c2, c3;

	signal(SIGPIPE, SIG_IGN);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/pool.sock", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	o.socket = path;
	o.socket_mode = 0660;
	o.processes = 2;
	o.drain_timeout_s = 10;
	o.request_timeout_s = 10;

	/* A new socket gets the configured mode. */
	CHECK_INT(ob_pool_listen(&o, &fd, &created), 0);
	CHECK(created);
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
	CHECK_INT(st.st_mode & 0777, 0660);
	/* A live socket is never taken over. */
	CHECK_INT(ob_pool_listen(&o, &fd2, &created), OB_EIO);
	/* A stale one is replaced. */
	close(fd);
	CHECK_INT(ob_pool_listen(&o, &fd, &created), 0);
	close(fd);
	/* A regular file is left alone. */
	close(open(file, O_CREAT | O_WRONLY, 0600));
	o.socket = file;
	CHECK_INT(ob_pool_listen(&o, &fd, &created), OB_EIO);
	CHECK(stat(file, &st) == 0 && S_ISREG(st.st_mode));
	/* No socket and fd 0 not listening: refused. */
	o.socket = NULL;
	CHECK_INT(ob_pool_listen(&o, &fd, &created), OB_EIO);
	o.socket = path;

	/* systemd socket activation (LISTEN_PID/LISTEN_FDS, fd 3). */
	socket_activation(dir, &app);

	/* A running pool: two children, a killed one is replaced. */
	CHECK(pipe(pid_pipe) == 0);
	master = fork();
	if (master == 0)
		_exit(ob_pool_run(&o, &app) == 0 ? 0 : 1);
	c1 = read_pid();
	c2 = read_pid();
	CHECK(c1 > 0 && c2 > 0 && c1 != c2);
	CHECK(request(path, NULL));
	kill(c1, SIGKILL);
	c3 = read_pid();
	CHECK(c3 > 0 && c3 != c1 && c3 != c2);
	for (int i = 0; i < 10; i++)
		CHECK(request(path, NULL));

	/* SIGTERM drains: a request in flight (0.5 s) still completes. */
	{
		int rfd = fcgi_connect(path);

		CHECK(rfd >= 0);
		CHECK(fcgi_send(rfd, "500") == 0);
		usleep(150000);
		kill(master, SIGTERM);
		CHECK(fcgi_served(rfd));
		close(rfd);
	}
	CHECK_INT(wait_exit(master, 10), 0);
	CHECK(stat(path, &st) != 0 && errno == ENOENT);
	CHECK(waitpid(-1, &status, WNOHANG) <= 0);

	/* A request stuck past request_timeout_s: the child is killed and
	 * replaced, and the pool keeps serving. */
	o.processes = 1;
	o.request_timeout_s = 1;
	master = fork();
	if (master == 0)
		_exit(ob_pool_run(&o, &app) == 0 ? 0 : 1);
	c1 = read_pid();
	CHECK(c1 > 0);
	CHECK(!request(path, "4000"));
	c2 = read_pid();
	CHECK(c2 > 0 && c2 != c1);
	CHECK(request(path, NULL));
	kill(master, SIGTERM);
	CHECK_INT(wait_exit(master, 10), 0);

	unlink(file);
	rmdir(dir);
	return CHECK_DONE();
}
