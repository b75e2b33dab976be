/*
 * router.h - routes declared in a table, matched by method and path.
 *
 * A service lists its routes once:
 *
 *	static const struct ob_field_spec lang_fields[] = {
 *		{ "lang", 8 }, { "return", 512 }, { NULL, 0 } };
 *	static const struct ob_route routes[] = {
 *		OB_ROUTE(GET, "/healthz", ob_health_handler, PUBLIC, NULL),
 *		OB_ROUTE(POST, "/lang", h_lang, PUBLIC, lang_fields),
 *	};
 *
 * OB_ROUTE pastes the auth level into OB_AUTH_<level>, so a route
 * without one (or with a misspelt one) does not compile.  Patterns are
 * literal segments and {name} parameters, each matching one non-empty
 * path segment; the trailing slash is significant.  Path segments are
 * percent-decoded strictly (and must be valid UTF-8 without '/') before
 * they are compared or captured.
 *
 * Only declared fields reach a handler: the query string (GET) or the
 * urlencoded body (POST) is parsed, and undeclared names are dropped.
 * Every POST also keeps its "csrf" field, which the service checks
 * before the handler runs (lib/csrf.h).  A field longer than its max_len makes the request a 400.
 * Routes with OB_ROUTE_RAW_BODY leave the body alone (multipart uploads).
 */
#ifndef OB_ROUTER_H
#define OB_ROUTER_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/ob.h"
#include "lib/req.h"

enum ob_auth {
	/* 0 is deliberately no level: a zeroed route fails the check. */
	OB_AUTH_PUBLIC = 1, /* anyone */
	OB_AUTH_REPORTER, /* a reporter session for the tenant in path */
	OB_AUTH_HANDLER, /* a signed-in handler */
	OB_AUTH_ADMIN, /* a signed-in platform admin */
	OB_AUTH_SIGNIN, /* a session, second factor done or not */
};

struct ob_field_spec {
	const char *name;
	size_t max_len; /* decoded bytes */
};

/* Returns 0 when it has made a response, or an OB_E* code for the
 * framework to turn into an error page (see ob_http_status_for). */
typedef int (*ob_handler_fn)(struct ob_req *r);

enum {
	OB_ROUTE_RAW_BODY = 1, /* the handler reads the body itself */
};

struct ob_route {
	const char *method;
	const char *pattern;
	ob_handler_fn handler;
	enum ob_auth auth;
	const struct ob_field_spec *fields; /* NULL-name terminated */
	unsigned flags;
};

#define OB_ROUTE(m, p, h, a, f)                                                \
	{                                                                      \
		.method = #m, .pattern = (p), .handler = (h),                  \
		.auth = OB_AUTH_##a, .fields = (f), .flags = 0                 \
	}
#define OB_ROUTE_RAW(m, p, h, a)                                               \
	{                                                                      \
		.method = #m, .pattern = (p), .handler = (h),                  \
		.auth = OB_AUTH_##a, .fields = NULL,                           \
		.flags = OB_ROUTE_RAW_BODY                                     \
	}

/*
 * Checks a table at start: every route has an auth level, a handler, a
 * known method and a well-formed pattern with at most OB_REQ_MAX_PARAMS
 * parameters, and no (method, pattern) pair repeats.  Errors go to err.
 */
int ob_router_check(
    const struct ob_route *routes, size_t n, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Finds the route for r->method and r->path and stores it and the path
 * parameters in r.  HEAD matches GET routes.  Returns 0; OB_ENOENT when
 * no pattern matches; OB_EMETHOD when a pattern matches but not the
 * method (allow then holds e.g. "GET, HEAD, POST"); OB_EINVAL for a path
 * whose encoding is broken.
 */
int ob_router_match(const struct ob_route *routes, size_t n, struct ob_req *r,
    struct ob_buf *allow) OB_MUST_CHECK;

/*
 * Parses the query string and, for non-RAW POST routes, the urlencoded
 * body, into r->form, keeping declared fields only.  Returns 0;
 * OB_EINVAL (broken encoding, invalid UTF-8, field too long);
 * OB_ETOOBIG (body over the cap, too many fields); OB_EUNSUPP (a body
 * that is not application/x-www-form-urlencoded).
 */
int ob_router_fields(struct ob_req *r) OB_MUST_CHECK;

#endif
