#include "lib/router.h"

#include <string.h>

#include "test/unit/check.h"
#include "test/unit/fakereq.h"

static int
h(struct ob_req *r)
{
	(void)r;
	return 0;
}

static const struct ob_field_spec report_fields[] = {
	{ "description", 10 },
	{ "category", 20 },
	{ NULL, 0 },
};

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/", h, PUBLIC, NULL),
	OB_ROUTE(GET, "/t/{slug}/", h, PUBLIC, NULL),
	OB_ROUTE(GET, "/t/{slug}/report", h, PUBLIC, report_fields),
	OB_ROUTE(POST, "/t/{slug}/report", h, PUBLIC, report_fields),
	OB_ROUTE(GET, "/cases/{id}/files/{fid}", h, HANDLER, NULL),
	OB_ROUTE_RAW(POST, "/t/{slug}/case/files", h, REPORTER),
};

static struct ob_arena arena;

static int
run(const char *method, const char *uri, const char *ctype, const char *body,
    struct ob_req *r, struct fake *f, struct ob_buf *allow)
{
	static char len[32];
	const char *params[] = { "REQUEST_METHOD", method, "REQUEST_URI", uri,
		"CONTENT_TYPE", ctype ? ctype : "", "CONTENT_LENGTH", len,
		NULL };
	static const char *saved[16];
	int rc;

	snprintf(len, sizeof(len), "%zu", body ? strlen(body) : 0);
	memcpy(saved, params, sizeof(params));
	fake_init(f, saved, body, body ? strlen(body) : 0);
	ob_arena_reset(&arena);
	ob_buf_reset(allow);
	if ((rc = ob_req_begin(r, &arena, &f->io, 1 << 20)) != 0)
		return rc;
	if ((rc = ob_router_match(routes, OB_NELEM(routes), r, allow)) != 0)
		return rc;
	return ob_router_fields(r);
}

static void
test_check(void)
{
	struct ob_buf err = OB_BUF_INIT(256);
	struct ob_route bad[1];

	CHECK_INT(ob_router_check(routes, OB_NELEM(routes), &err), 0);
	/* A route that somehow lacks an auth level is refused at start. */
	memcpy(bad, &routes[0], sizeof(bad));
	bad[0].auth = 0;
	CHECK_INT(ob_router_check(bad, 1, &err), OB_EINVAL);
	CHECK(strstr(ob_buf_cstr(&err), "no auth level") != NULL);
	memcpy(bad, &routes[0], sizeof(bad));
	bad[0].pattern = "/a/{b";
	CHECK_INT(ob_router_check(bad, 1, &err), OB_EINVAL);
	bad[0].pattern = "no-slash";
	CHECK_INT(ob_router_check(bad, 1, &err), OB_EINVAL);
	bad[0].pattern = "/{a}/{b}/{c}/{d}/{e}";
	CHECK_INT(ob_router_check(bad, 1, &err), OB_EINVAL);
	bad[0].pattern = "/";
	bad[0].method = "BREW";
	CHECK_INT(ob_router_check(bad, 1, &err), OB_EINVAL);
	{
		const struct ob_route twice[] = {
			OB_ROUTE(GET, "/x", h, PUBLIC, NULL),
			OB_ROUTE(GET, "/x", h, PUBLIC, NULL),
		};

		ob_buf_reset(&err);
		CHECK_INT(ob_router_check(twice, 2, &err), OB_EINVAL);
		CHECK(strstr(ob_buf_cstr(&err), "declared twice") != NULL);
	}
	ob_buf_release(&err);
}

static void
test_match(void)
{
	struct ob_buf allow = OB_BUF_INIT(128);
	struct ob_req r;
	struct fake f;

	CHECK_INT(run("GET", "/", NULL, NULL, &r, &f, &allow), 0);
	CHECK(r.route == &routes[0]);
	ob_req_end(&r);

	CHECK_INT(run("GET", "/t/acme/", NULL, NULL, &r, &f, &allow), 0);
	CHECK(r.route == &routes[1]);
	CHECK_STR(ob_req_path_param(&r, "slug"), "acme");
	CHECK(ob_req_path_param(&r, "id") == NULL);
	ob_req_end(&r);

	/* Parameters are percent-decoded; UTF-8 is fine. */
	CHECK_INT(run("GET", "/t/%C3%A6bler/", NULL, NULL, &r, &f, &allow), 0);
	CHECK_STR(ob_req_path_param(&r, "slug"),
	    "\xc3\xa6"
	    "bler");
	ob_req_end(&r);

	CHECK_INT(
	    run("HEAD", "/cases/7/files/9", NULL, NULL, &r, &f, &allow), 0);
	CHECK_STR(ob_req_path_param(&r, "id"), "7");
	CHECK_STR(ob_req_path_param(&r, "fid"), "9");
	CHECK(r.route->auth == OB_AUTH_HANDLER);
	ob_req_end(&r);

	/* The trailing slash is significant; empty parameters don't match. */
	CHECK_INT(run("GET", "/t/acme", NULL, NULL, &r, &f, &allow), OB_ENOENT);
	ob_req_end(&r);
	CHECK_INT(run("GET", "/t//", NULL, NULL, &r, &f, &allow), OB_ENOENT);
	ob_req_end(&r);
	CHECK_INT(run("GET", "/nope", NULL, NULL, &r, &f, &allow), OB_ENOENT);
	ob_req_end(&r);
	CHECK_INT(run("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", NULL, NULL,
		      &r, &f, &allow),
	    OB_ENOENT);
	ob_req_end(&r);

	/* Broken encodings are 400s, and %2F never splits a segment. */
	CHECK_INT(run("GET", "/t/%ZZ/", NULL, NULL, &r, &f, &allow), OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(
	    run("GET", "/t/a%2Fb/", NULL, NULL, &r, &f, &allow), OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(
	    run("GET", "/t/a%00/", NULL, NULL, &r, &f, &allow), OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(
	    run("GET", "/t/%C0%AF/", NULL, NULL, &r, &f, &allow), OB_EINVAL);
	ob_req_end(&r);

	/* Known path, wrong method: 405 with the allowed ones. */
	CHECK_INT(run("DELETE", "/t/acme/report", NULL, NULL, &r, &f, &allow),
	    OB_EMETHOD);
	CHECK_STR(ob_buf_cstr(&allow), "GET, HEAD, POST");
	ob_req_end(&r);
	CHECK_INT(run("GET", "/t/acme/case/files", NULL, NULL, &r, &f, &allow),
	    OB_EMETHOD);
	CHECK_STR(ob_buf_cstr(&allow), "POST");
	ob_req_end(&r);
	ob_buf_release(&allow);
}

static void
test_fields(void)
{
	static const char form[] = "application/x-www-form-urlencoded";
	struct ob_buf allow = OB_BUF_INIT(128);
	struct ob_req r;
	struct fake f;

	/* Only declared fields reach the handler. */
	CHECK_INT(run("POST", "/t/acme/report", form,
		      "description=hi+there&evil=1&category=x", &r, &f, &allow),
	    0);
	CHECK_INT(r.form.n, 2);
	CHECK_STR(ob_form_get(&r.form, "description"), "hi there");
	CHECK_STR(ob_form_get(&r.form, "category"), "x");
	CHECK(ob_form_get(&r.form, "evil") == NULL);
	ob_req_end(&r);

	/* A POST takes fields from its body only. */
	CHECK_INT(run("POST", "/t/acme/report?description=fromquery", form,
		      "category=y", &r, &f, &allow),
	    0);
	CHECK(ob_form_get(&r.form, "description") == NULL);
	ob_req_end(&r);

	/* A GET takes them from the query string. */
	CHECK_INT(run("GET", "/t/acme/report?category=z&x=%41", NULL, NULL, &r,
		      &f, &allow),
	    0);
	CHECK_STR(ob_form_get(&r.form, "category"), "z");
	CHECK_INT(r.form.n, 1);
	ob_req_end(&r);

	/* Errors: too long, bad encoding (even in undeclared fields), bad
	 * UTF-8, wrong content type. */
	CHECK_INT(run("POST", "/t/acme/report", form, "description=0123456789X",
		      &r, &f, &allow),
	    OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(
	    run("POST", "/t/acme/report", form, "evil=%zz", &r, &f, &allow),
	    OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(
	    run("GET", "/?x=%C3%28", NULL, NULL, &r, &f, &allow), OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(run("POST", "/t/acme/report", "application/json", "{}", &r,
		      &f, &allow),
	    OB_EUNSUPP);
	ob_req_end(&r);
	CHECK_INT(run("POST", "/t/acme/report",
		      "application/x-www-form-urlencoded; charset=UTF-8",
		      "category=q", &r, &f, &allow),
	    0);
	ob_req_end(&r);

	/* A raw-body route leaves the body for its handler. */
	CHECK_INT(run("POST", "/t/acme/case/files", "multipart/form-data",
		      "--x--", &r, &f, &allow),
	    0);
	CHECK_INT(r.body_read, 0);
	ob_req_end(&r);
	ob_buf_release(&allow);
}

int
main(void)
{
	ob_arena_init(&arena, 1 << 22);
	test_check();
	test_match();
	test_fields();
	ob_arena_release(&arena);
	return CHECK_DONE();
}
