#include "lib/router.h"

#include <string.h>
#include <strings.h>

#include "lib/form.h"
#include "lib/util.h"

#define MAX_SEGMENTS 16
#define SEGMENT_MAX 256
#define QUERY_MAX 4096
#define FORM_BODY_MAX (256u * 1024)

static const char *const methods[] = { "GET", "POST", "PUT", "DELETE",
	"PATCH" };

/* A segment of a pattern or a path: [p, p + n). */
struct seg {
	const char *p;
	size_t n;
};

/* Splits "/a/b/" into "a", "b", "".  OB_ETOOBIG past MAX_SEGMENTS. */
static int
split(const char *path, struct seg *segs, size_t *nsegs)
{
	const char *p = path + 1, *slash;
	size_t n = 0;

	for (;;) {
		if (n == MAX_SEGMENTS)
			return OB_ETOOBIG;
		slash = strchr(p, '/');
		segs[n].p = p;
		segs[n].n = slash ? (size_t)(slash - p) : strlen(p);
		n++;
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	*nsegs = n;
	return 0;
}

static bool
is_param(const struct seg *s)
{
	return s->n > 2 && s->p[0] == '{' && s->p[s->n - 1] == '}';
}

static bool
valid_method(const char *m)
{
	for (size_t i = 0; i < OB_NELEM(methods); i++)
		if (strcmp(m, methods[i]) == 0)
			return true;
	return false;
}

static int
check_pattern(const char *pattern, struct ob_buf *err)
{
	struct seg segs[MAX_SEGMENTS];
	size_t n, params = 0;

	if (pattern == NULL || pattern[0] != '/' ||
	    split(pattern, segs, &n) != 0) {
		ob_buf_errf(
		    err, "route %s: bad pattern", pattern ? pattern : "(null)");
		return OB_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (is_param(&segs[i])) {
			params++;
			continue;
		}
		for (size_t j = 0; j < segs[i].n; j++) {
			char c = segs[i].p[j];

			if (c == '{' || c == '}' || c == '%' || c == '?') {
				ob_buf_errf(err,
				    "route %s: bad character in segment",
				    pattern);
				return OB_EINVAL;
			}
		}
	}
	if (params > OB_REQ_MAX_PARAMS) {
		ob_buf_errf(err, "route %s: too many parameters", pattern);
		return OB_EINVAL;
	}
	return 0;
}

int
ob_router_check(const struct ob_route *routes, size_t n, struct ob_buf *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct ob_route *rt = &routes[i];

		if (check_pattern(rt->pattern, err) != 0)
			return OB_EINVAL;
		if (rt->auth < OB_AUTH_PUBLIC || rt->auth > OB_AUTH_SIGNIN) {
			ob_buf_errf(
			    err, "route %s: no auth level", rt->pattern);
			return OB_EINVAL;
		}
		if (rt->handler == NULL || rt->method == NULL ||
		    !valid_method(rt->method)) {
			ob_buf_errf(err, "route %s: bad method or no handler",
			    rt->pattern);
			return OB_EINVAL;
		}
		for (size_t j = 0; rt->fields && rt->fields[j].name; j++)
			if (rt->fields[j].max_len == 0) {
				ob_buf_errf(err,
				    "route %s: field %s has no max_len",
				    rt->pattern, rt->fields[j].name);
				return OB_EINVAL;
			}
		for (size_t j = 0; j < i; j++)
			if (strcmp(routes[j].method, rt->method) == 0 &&
			    strcmp(routes[j].pattern, rt->pattern) == 0) {
				ob_buf_errf(err, "route %s %s: declared twice",
				    rt->method, rt->pattern);
				return OB_EINVAL;
			}
	}
	return 0;
}

/* The decoded path segments of a request. */
struct path {
	char *seg[MAX_SEGMENTS];
	size_t len[MAX_SEGMENTS];
	size_t n;
};

static int
decode_path(struct ob_arena *a, const char *raw, struct path *out)
{
	struct seg segs[MAX_SEGMENTS];
	int rc;

	if ((rc = split(raw, segs, &out->n)) != 0)
		return rc == OB_ETOOBIG ? OB_ENOENT : rc;
	for (size_t i = 0; i < out->n; i++) {
		if (segs[i].n > SEGMENT_MAX)
			return OB_ENOENT;
		rc = ob_pct_decode(
		    a, segs[i].p, segs[i].n, false, &out->seg[i], &out->len[i]);
		if (rc != 0)
			return OB_EINVAL;
		/* "%2F" must not become a separator, nor NUL a terminator. */
		if (memchr(out->seg[i], '/', out->len[i]) != NULL ||
		    strlen(out->seg[i]) != out->len[i])
			return OB_EINVAL;
	}
	return 0;
}

/* Matches a path against a pattern, capturing parameters into r. */
static bool
match(const char *pattern, const struct path *path, struct ob_req *r)
{
	struct seg segs[MAX_SEGMENTS];
	size_t n, np = 0;

	if (split(pattern, segs, &n) != 0 || n != path->n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (is_param(&segs[i])) {
			if (path->len[i] == 0)
				return false;
			continue;
		}
		if (segs[i].n != path->len[i] ||
		    memcmp(segs[i].p, path->seg[i], segs[i].n) != 0)
			return false;
	}
	if (r == NULL)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (!is_param(&segs[i]))
			continue;
		r->param_names[np] =
		    ob_arena_strndup(r->arena, segs[i].p + 1, segs[i].n - 2);
		r->param_values[np] = path->seg[i];
		np++;
	}
	r->nparams = np;
	return true;
}

static bool
method_matches(const char *route_method, const char *method)
{
	return strcmp(route_method, method) == 0 ||
	    (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static void
allow_add(struct ob_buf *allow, const char *m)
{
	const char *have = ob_buf_cstr(allow);
	size_t n = strlen(m);

	/* Entries are ", "-separated whole words. */
	for (const char *p = have; (p = strstr(p, m)) != NULL; p += n)
		if ((p == have || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == '\0'))
			return;
	if (allow->len > 0 && ob_buf_puts(allow, ", ") != 0)
		return;
	if (ob_buf_puts(allow, m) != 0)
		return; /* the Allow header is then incomplete, not wrong */
}

int
ob_router_match(const struct ob_route *routes, size_t n, struct ob_req *r,
    struct ob_buf *allow)
{
	struct path path;
	bool path_known = false;
	int rc;

	if ((rc = decode_path(r->arena, r->path, &path)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!match(routes[i].pattern, &path, NULL))
			continue;
		path_known = true;
		if (method_matches(routes[i].method, r->method)) {
			r->route = &routes[i];
			(void)match(routes[i].pattern, &path, r);
			return 0;
		}
	}
	if (!path_known)
		return OB_ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (!match(routes[i].pattern, &path, NULL))
			continue;
		allow_add(allow, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			allow_add(allow, "HEAD");
	}
	return OB_EMETHOD;
}

static const struct ob_field_spec csrf_spec = { "csrf", 64 };

static const struct ob_field_spec *
spec_for(const struct ob_route *rt, const char *name)
{
	for (size_t i = 0; rt->fields && rt->fields[i].name; i++)
		if (strcmp(rt->fields[i].name, name) == 0)
			return &rt->fields[i];
	return NULL;
}

/* Parses data and appends the declared fields to r->form. */
static int
keep_declared(struct ob_req *r, const char *data, size_t len)
{
	const struct ob_form_limits lim = { 64, 64, FORM_BODY_MAX };
	struct ob_form all = { NULL, 0 };
	struct ob_field *kept;
	size_t nkept = 0;
	int rc;

	if ((rc = ob_form_parse(r->arena, data, len, &lim, &all)) != 0)
		return rc;
	kept =
	    ob_arena_alloc(r->arena, (r->form.n + all.n + 1) * sizeof(*kept));
	if (r->form.n > 0)
		memcpy(kept, r->form.fields, r->form.n * sizeof(*kept));
	nkept = r->form.n;
	for (size_t i = 0; i < all.n; i++) {
		const struct ob_field_spec *s =
		    spec_for(r->route, all.fields[i].name);

		/* Every POST carries its anti-forgery token (lib/csrf.h). */
		if (s == NULL && strcmp(r->method, "POST") == 0 &&
		    strcmp(all.fields[i].name, "csrf") == 0)
			s = &csrf_spec;
		if (s == NULL)
			continue;
		if (all.fields[i].value_len > s->max_len)
			return OB_EINVAL;
		kept[nkept++] = all.fields[i];
	}
	r->form.fields = kept;
	r->form.n = nkept;
	return 0;
}

static bool
is_urlencoded(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(want) - 1;

	return strncasecmp(ct, want, n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

int
ob_router_fields(struct ob_req *r)
{
	size_t qlen = strlen(r->query), blen;
	char *body;
	int rc;

	r->form.fields = NULL;
	r->form.n = 0;
	/* Fields come from the query string of a GET and the body of a
	 * POST, never mixed: a link cannot supply a POST's fields. */
	if (strcmp(r->method, "POST") != 0) {
		if (qlen > QUERY_MAX)
			return OB_EINVAL;
		return qlen > 0 ? keep_declared(r, r->query, qlen) : 0;
	}
	if (r->route->flags & OB_ROUTE_RAW_BODY)
		return 0;
	if (r->content_length == 0)
		return 0;
	if (!is_urlencoded(r->content_type))
		return OB_EUNSUPP;
	if ((rc = ob_req_read_body(r, FORM_BODY_MAX, &body, &blen)) != 0)
		return rc;
	return keep_declared(r, body, blen);
}
