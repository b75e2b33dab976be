#include "lib/page.h"

#include <string.h>

#include <sodium.h>

#include "lib/csrf.h"
#include "lib/i18n.h"
#include "lib/service.h"
#include "test/unit/check.h"
#include "test/unit/fakereq.h"

static struct ob_arena arena;
static struct ob_app app;

static void
begin(struct ob_req *r, struct fake *f, const char *const *params)
{
	fake_init(f, params, NULL, 0);
	ob_arena_reset(&arena);
	CHECK_INT(ob_req_begin(r, &arena, &f->io, 1024), 0);
	r->app = &app;
	ob_page_pick_language(r);
}

static void
test_local_path(void)
{
	CHECK(ob_local_path("/"));
	CHECK(ob_local_path("/t/acme/report?x=1"));
	CHECK(!ob_local_path(NULL));
	CHECK(!ob_local_path(""));
	CHECK(!ob_local_path("//evil.example/"));
	CHECK(!ob_local_path("/\\evil.example/"));
	CHECK(!ob_local_path("https://evil.example/"));
	CHECK(!ob_local_path("evil"));
	CHECK(!ob_local_path("/a b"));
	CHECK(!ob_local_path("/a\r\nSet-Cookie: x"));
	CHECK(!ob_local_path("/\xc3\xa6"));
}

static void
test_status(void)
{
	CHECK_INT(ob_http_status_for(OB_EINVAL), 400);
	CHECK_INT(ob_http_status_for(OB_EPERM), 403);
	CHECK_INT(ob_http_status_for(OB_ENOENT), 404);
	CHECK_INT(ob_http_status_for(OB_EMETHOD), 405);
	CHECK_INT(ob_http_status_for(OB_ETOOBIG), 413);
	CHECK_INT(ob_http_status_for(OB_EUNSUPP), 415);
	CHECK_INT(ob_http_status_for(OB_EINTERNAL), 500);
	CHECK_INT(ob_http_status_for(OB_EDB), 500);
	CHECK_INT(ob_http_status_for(OB_EAGAIN), 503);
}

static void
test_pages(void)
{
	static const char *const da[] = { "REQUEST_METHOD", "GET",
		"REQUEST_URI", "/x?y=1", "HTTP_COOKIE", "__Host-ombud-lang=da",
		NULL };
	static const char *const junk[] = { "REQUEST_METHOD", "GET",
		"REQUEST_URI", "/", "HTTP_COOKIE", "__Host-ombud-lang=xx",
		NULL };
	struct ob_req r;
	struct fake f;
	const char *out;

	/* An error page in the cookie's language, fully escaped. */
	begin(&r, &f, da);
	CHECK_STR(ob_i18n_current(), "da");
	ob_page_error(&r, 404, OB_ENOENT);
	CHECK_INT(ob_req_finish(&r), 0);
	out = ob_buf_cstr(&f.out);
	CHECK(strncmp(out, "Status: 404 Not Found\r\n", 23) == 0);
	CHECK(strstr(out, "Content-Type: text/html; charset=utf-8") != NULL);
	CHECK(strstr(out, "<html lang=\"da\">") != NULL);
	CHECK(strstr(out, "Side ikke fundet") != NULL);
	CHECK(strstr(out, "value=\"/x?y=1\"") != NULL);
	/* The language form carries the browser's anti-forgery token, and
	 * the browser gets the cookie behind it. */
	CHECK(strstr(out, "name=\"csrf\" value=\"") != NULL);
	CHECK(strstr(out, "Set-Cookie: __Host-ombud-csrf=") != NULL);
	ob_buf_release(&f.out);
	ob_req_end(&r);

	/* An unknown language falls back to English. */
	begin(&r, &f, junk);
	CHECK_STR(ob_i18n_current(), "en");
	/* A missing variable is our bug: 500, never an empty page. */
	CHECK_INT(ob_page_render(&r, 200, "home", ob_tctx_new(r.arena)),
	    OB_EINTERNAL);
	CHECK_INT(
	    ob_page_render(&r, 200, "no-such-template", ob_tctx_new(r.arena)),
	    OB_EINTERNAL);
	ob_page_error(&r, 500, OB_EDB);
	CHECK_INT(ob_req_finish(&r), 0);
	CHECK(strstr(ob_buf_cstr(&f.out), "Internal error") != NULL);
	ob_buf_release(&f.out);
	ob_req_end(&r);
}

static void
test_lang(void)
{
	static const char *const p[] = { "REQUEST_METHOD", "POST",
		"REQUEST_URI", "/lang", NULL };
	struct ob_field fields[2] = { { "lang", "da", 2 },
		{ "return", "//evil.example/", 15 } };
	struct ob_req r;
	struct fake f;
	const char *out;

	begin(&r, &f, p);
	r.form.fields = fields;
	r.form.n = 2;
	CHECK_INT(ob_lang_handler(&r), 0);
	CHECK_INT(ob_req_finish(&r), 0);
	out = ob_buf_cstr(&f.out);
	CHECK(strstr(out, "Status: 303 See Other") != NULL);
	CHECK(strstr(out, "Location: /\r\n") != NULL);
	CHECK(strstr(out, "Set-Cookie: __Host-ombud-lang=da; Path=/") != NULL);
	CHECK(strstr(out, "Secure") != NULL && strstr(out, "HttpOnly"));
	ob_buf_release(&f.out);
	ob_req_end(&r);

	fields[0].value = "xx";
	begin(&r, &f, p);
	r.form.fields = fields;
	r.form.n = 2;
	CHECK_INT(ob_lang_handler(&r), OB_EINVAL);
	ob_req_end(&r);
}

int
main(void)
{
	struct ob_buf err = OB_BUF_INIT(1024);

	ob_arena_init(&arena, 1 << 22);
	CHECK_INT(ob_crypto_init(), 0);
	{
		unsigned char key[OB_CSRF_KEY_BYTES];

		randombytes_buf(key, sizeof(key));
		ob_csrf_anon_init(key);
	}
	CHECK_INT(
	    ob_tmpl_load(OB_SOURCE_ROOT "/templates", &app.tmpl, &err), 0);
	CHECK_INT(
	    ob_i18n_load(OB_BUILD_ROOT "/po", ob_page_languages, &err), 0);
	test_local_path();
	test_status();
	test_pages();
	test_lang();
	ob_tmpl_free(app.tmpl);
	ob_i18n_free();
	ob_arena_release(&arena);
	ob_buf_release(&err);
	return CHECK_DONE();
}
