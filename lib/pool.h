/*
 * pool.h - the prefork master every service runs.
 *
 * The master takes its listening socket from one of, in this order:
 *   - systemd socket activation: LISTEN_PID is this process and
 *     LISTEN_FDS is 1, the socket on fd 3 (sd_listen_fds(3); the
 *     variables are then removed from the environment).  A socket path
 *     configured as well is an error, not silently ignored;
 *   - the configured socket, which it binds (a unix socket path, or
 *     host:port for FastCGI over TCP);
 *   - fd 0, as spawn-fcgi and systemd's StandardInput=socket pass it.
 * It forks `processes` children; each runs init once (its own
 * database connection), then accepts and serves one request at a time.
 *
 * A child that dies is replaced; one that dies soon after it started is
 * replaced after a backoff that doubles up to 30 s, so a crash loop does
 * not spin.  The master watches the time each child's request started
 * (shared memory, no system call per request): a request stuck for
 * request_timeout_s gets its child killed, and the child replaced.
 *
 * SIGTERM or SIGINT drains: the master forwards SIGTERM; an idle child
 * exits at once, a busy one finishes its request first; after
 * drain_timeout_s the rest are killed.  The master removes the socket
 * it created and returns 0.
 */
#ifndef OB_POOL_H
#define OB_POOL_H

#include "lib/ob.h"
#include "lib/req.h"

struct ob_pool_opts {
	const char *socket; /* path, host:port, or NULL to inherit */
	unsigned processes;
	unsigned socket_mode; /* for a unix socket the master creates */
	unsigned drain_timeout_s;
	unsigned request_timeout_s;
};

struct ob_pool_app {
	/* In each child, before it accepts.  Non-zero exits the child. */
	int (*init)(void *arg);
	/* Serves one request; the pool finishes it afterwards. */
	void (*serve)(const struct ob_req_io *io, void *arg);
	/* In each child as it leaves. */
	void (*fini)(void *arg);
	void *arg;
};

/*
 * Runs the pool until it is told to stop.  Returns 0 after a clean
 * drain, or OB_EIO when the socket cannot be set up (with a message on
 * stderr).  Only the master returns.
 */
int ob_pool_run(
    const struct ob_pool_opts *o, const struct ob_pool_app *app) OB_MUST_CHECK;

/*
 * Opens the listening socket as ob_pool_run does; for tests and tools.
 * *created is true when a unix socket file was made (and should be
 * unlinked by the caller).
 */
int ob_pool_listen(
    const struct ob_pool_opts *o, int *fd, bool *created) OB_MUST_CHECK;

#endif
