/*
 * req.h - one FastCGI request and its response.
 *
 * The request side is what nginx passes (see docs/nginx.md): method,
 * raw request URI, query string, content type and length, host and
 * cookies.  Nothing else exists here: nginx never passes addresses,
 * user agents or referrers, and this module has no accessor for them.
 *
 * The response is buffered (status, headers, body) and sent by
 * ob_req_finish(), with a Content-Length; a handler that streams a large
 * body calls ob_req_send_headers() first and then writes directly.
 * Header names and values are checked for CR/LF, so no input can split
 * a response.
 *
 * The I/O is behind a small vtable so that unit tests and fuzz targets
 * drive a request without libfcgi.  All strings a request hands out
 * live in its arena and die with the request.
 */
#ifndef OB_REQ_H
#define OB_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/buf.h"
#include "lib/cookie.h"
#include "lib/form.h"
#include "lib/ob.h"

struct ob_req_io {
	/* A CGI parameter, or NULL. */
	const char *(*param)(void *arg, const char *name);
	/* Reads up to n body bytes; 0 at the end, -1 on error. */
	ssize_t (*read)(void *arg, char *buf, size_t n);
	/* Writes all n bytes; 0, or -1 on error. */
	int (*write)(void *arg, const char *buf, size_t n);
	void *arg;
};

#define OB_REQ_MAX_PARAMS 4

struct ob_route;

struct ob_req {
	struct ob_arena *arena;
	const struct ob_req_io *io;
	char rid[17]; /* random request id, hex */

	/* Request, all arena strings, never NULL. */
	const char *method; /* "GET", "POST", ... */
	const char *uri; /* raw REQUEST_URI */
	const char *path; /* raw path part of uri */
	const char *query; /* raw query string, "" if none */
	const char *content_type; /* "" if none */
	uint64_t content_length;
	uint64_t body_max; /* cap for bodies, from the config */
	uint64_t body_read;

	/* Filled by the router. */
	const struct ob_route *route;
	const char *param_names[OB_REQ_MAX_PARAMS];
	const char *param_values[OB_REQ_MAX_PARAMS];
	size_t nparams;
	struct ob_form form; /* declared fields only */

	/* Response. */
	int status;
	struct ob_buf headers; /* "Name: value\r\n" lines */
	struct ob_buf body;
	bool headers_sent;
	bool head_only; /* HEAD: headers without body */
	bool io_failed;

	/* The service's state for handlers (db, templates, config). */
	void *app;
	/*
	 * Set by the service's authorize hook when the request carries a
	 * handler session: forms then carry a token derived from it
	 * (lib/csrf.h), else the anonymous per-browser one.
	 */
	const struct ob_token *csrf_session;
	/* Seconds for Retry-After when a handler returns OB_ELIMIT. */
	unsigned retry_after_s;
	/* Who is asking, set by the authorize hook (lib/auth.h, or
	 * lib/reporter.h in the intake pool). */
	void *user;
	/* The tenant of a /t/<slug>/ path, once looked up (lib/reporter.h). */
	const void *tenant;
	/* Lazily parsed cookies. */
	struct ob_cookies cookies;
	bool cookies_parsed;
};

/*
 * Starts a request: reads the parameters through io, validates them
 * (method token, URI starting with '/', a Content-Length that is a
 * number) and generates a request id.  OB_EINVAL for a request that
 * cannot be served at all; the response is then a 400.  body_max caps
 * what ob_req_read() will deliver; a larger Content-Length is refused
 * by ob_req_read_body() with OB_ETOOBIG before anything is read.
 */
int ob_req_begin(struct ob_req *r, struct ob_arena *a,
    const struct ob_req_io *io, uint64_t body_max) OB_MUST_CHECK;

/* Releases the response buffers (the arena belongs to the caller). */
void ob_req_end(struct ob_req *r);

/* A CGI parameter that nginx passes, or NULL. */
const char *ob_req_param(const struct ob_req *r, const char *name);

/* A path parameter captured by the route ("slug" for "/t/{slug}/"). */
const char *ob_req_path_param(const struct ob_req *r, const char *name);

/* The value of cookie name, or NULL.  Malformed cookie headers count as
 * no cookies. */
const char *ob_req_cookie(struct ob_req *r, const char *name);

/*
 * Streaming body read: up to n bytes into buf, *got bytes delivered, 0
 * at the end.  OB_ETOOBIG once more than body_max would be delivered,
 * OB_EIO when the connection fails.
 */
int ob_req_read(
    struct ob_req *r, char *buf, size_t n, size_t *got) OB_MUST_CHECK;

/* Reads the whole body (at most max bytes) into the arena. */
int ob_req_read_body(
    struct ob_req *r, size_t max, char **out, size_t *len) OB_MUST_CHECK;

/* Sets the response status (default 200). */
void ob_req_status(struct ob_req *r, int status);

/*
 * Adds a response header.  OB_EINVAL for a name that is not a token or a
 * value with control characters; OB_ETOOBIG when headers exceed 16 KiB.
 */
int ob_req_header(
    struct ob_req *r, const char *name, const char *value) OB_MUST_CHECK;

/*
 * For headers whose name and value the code itself chose: a refusal is
 * a bug, logged with the request id rather than returned.
 */
void ob_req_header_must(struct ob_req *r, const char *name, const char *value);

/* Appends to the buffered body, or writes through after send_headers.
 * The buffered body is capped (4 MiB); stream anything larger. */
int ob_req_write(struct ob_req *r, const void *p, size_t n) OB_MUST_CHECK;
int ob_req_puts(struct ob_req *r, const char *s) OB_MUST_CHECK;

/* Sends status and headers now; later writes go straight out. */
int ob_req_send_headers(struct ob_req *r) OB_MUST_CHECK;

/*
 * Sends what is buffered (headers with Content-Length, then the body).
 * Safe to call once per request; after ob_req_send_headers it only
 * flushes.
 */
int ob_req_finish(struct ob_req *r) OB_MUST_CHECK;

/* Drops any buffered response so an error page can replace it.  Has no
 * effect once headers have been sent. */
void ob_req_discard(struct ob_req *r);

/* The reason phrase for a status ("Not Found"). */
const char *ob_status_text(int status);

#endif
