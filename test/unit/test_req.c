#include "lib/req.h"

#include <string.h>

#include "test/unit/check.h"
#include "test/unit/fakereq.h"

static struct ob_arena arena;

static int
begin(struct ob_req *r, struct fake *f, const char *const *params,
    const char *body, uint64_t body_max)
{
	fake_init(f, params, body, body ? strlen(body) : 0);
	ob_arena_reset(&arena);
	return ob_req_begin(r, &arena, &f->io, body_max);
}

static void
test_parse(void)
{
	static const char *const p[] = { "REQUEST_METHOD", "GET", "REQUEST_URI",
		"/t/acme/?a=1&b=2", "HTTP_COOKIE", "x=1; __Host-ombud-lang=da",
		NULL };
	static const char *const bad_method[] = { "REQUEST_METHOD", "G T",
		"REQUEST_URI", "/", NULL };
	static const char *const no_slash[] = { "REQUEST_METHOD", "GET",
		"REQUEST_URI", "x", NULL };
	static const char *const ctl[] = { "REQUEST_METHOD", "GET",
		"REQUEST_URI", "/a\tb", NULL };
	static const char *const bad_len[] = { "REQUEST_METHOD", "POST",
		"REQUEST_URI", "/", "CONTENT_LENGTH", "12a", NULL };
	static const char *const none[] = { NULL };
	struct ob_req r;
	struct fake f;

	CHECK_INT(begin(&r, &f, p, NULL, 100), 0);
	CHECK_STR(r.method, "GET");
	CHECK_STR(r.path, "/t/acme/");
	CHECK_STR(r.query, "a=1&b=2");
	CHECK_INT(strlen(r.rid), 16);
	CHECK_STR(ob_req_cookie(&r, "__Host-ombud-lang"), "da");
	CHECK(ob_req_cookie(&r, "nope") == NULL);
	ob_req_end(&r);

	CHECK_INT(begin(&r, &f, bad_method, NULL, 100), OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(begin(&r, &f, no_slash, NULL, 100), OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(begin(&r, &f, ctl, NULL, 100), OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(begin(&r, &f, bad_len, NULL, 100), OB_EINVAL);
	ob_req_end(&r);
	CHECK_INT(begin(&r, &f, none, NULL, 100), OB_EINVAL);
	ob_req_end(&r);
}

static void
test_body(void)
{
	static const char *const p[] = { "REQUEST_METHOD", "POST",
		"REQUEST_URI", "/", "CONTENT_LENGTH", "11", NULL };
	static const char *const short_body[] = { "REQUEST_METHOD", "POST",
		"REQUEST_URI", "/", "CONTENT_LENGTH", "50", NULL };
	struct ob_req r;
	struct fake f;
	char buf[4], *all;
	size_t got, len, total = 0;

	/* Streaming reads in small pieces. */
	CHECK_INT(begin(&r, &f, p, "hello world", 100), 0);
	f.read_chunk = 3;
	for (;;) {
		CHECK_INT(ob_req_read(&r, buf, sizeof(buf), &got), 0);
		if (got == 0)
			break;
		total += got;
	}
	CHECK_INT(total, 11);
	ob_req_end(&r);

	CHECK_INT(begin(&r, &f, p, "hello world", 100), 0);
	CHECK_INT(ob_req_read_body(&r, 100, &all, &len), 0);
	CHECK_STR(all, "hello world");
	CHECK_INT(len, 11);
	ob_req_end(&r);

	/* The cap is checked before anything is read. */
	CHECK_INT(begin(&r, &f, p, "hello world", 10), 0);
	CHECK_INT(ob_req_read(&r, buf, sizeof(buf), &got), OB_ETOOBIG);
	CHECK_INT(f.body_off, 0);
	ob_req_end(&r);
	CHECK_INT(begin(&r, &f, p, "hello world", 100), 0);
	CHECK_INT(ob_req_read_body(&r, 5, &all, &len), OB_ETOOBIG);
	ob_req_end(&r);

	/* A body shorter than announced is an error, not a hang. */
	CHECK_INT(begin(&r, &f, short_body, "abc", 100), 0);
	CHECK_INT(ob_req_read_body(&r, 100, &all, &len), OB_EIO);
	ob_req_end(&r);
}

static void
test_response(void)
{
	static const char *const p[] = { "REQUEST_METHOD", "GET", "REQUEST_URI",
		"/", NULL };
	static const char *const head[] = { "REQUEST_METHOD", "HEAD",
		"REQUEST_URI", "/", NULL };
	struct ob_req r;
	struct fake f;

	CHECK_INT(begin(&r, &f, p, NULL, 0), 0);
	ob_req_status(&r, 404);
	CHECK_INT(ob_req_header(&r, "Content-Type", "text/plain"), 0);
	CHECK_INT(
	    ob_req_header(&r, "X-Evil", "a\r\nSet-Cookie: x=1"), OB_EINVAL);
	CHECK_INT(ob_req_header(&r, "Bad Name", "x"), OB_EINVAL);
	CHECK_INT(ob_req_header(&r, "Bad:Name", "x"), OB_EINVAL);
	CHECK_INT(ob_req_puts(&r, "gone"), 0);
	CHECK_INT(ob_req_finish(&r), 0);
	CHECK_STR(ob_buf_cstr(&f.out),
	    "Status: 404 Not Found\r\n"
	    "Content-Length: 4\r\n"
	    "Content-Type: text/plain\r\n\r\ngone");
	ob_buf_release(&f.out);
	ob_req_end(&r);

	/* Discard replaces a half-made response. */
	CHECK_INT(begin(&r, &f, p, NULL, 0), 0);
	CHECK_INT(ob_req_header(&r, "X-A", "1"), 0);
	CHECK_INT(ob_req_puts(&r, "partial"), 0);
	ob_req_discard(&r);
	ob_req_status(&r, 500);
	CHECK_INT(ob_req_puts(&r, "err"), 0);
	CHECK_INT(ob_req_finish(&r), 0);
	CHECK_STR(ob_buf_cstr(&f.out),
	    "Status: 500 Internal Server Error\r\n"
	    "Content-Length: 3\r\n\r\nerr");
	ob_buf_release(&f.out);
	ob_req_end(&r);

	/* Streaming: headers first, then the body goes straight out. */
	CHECK_INT(begin(&r, &f, p, NULL, 0), 0);
	CHECK_INT(ob_req_puts(&r, "a"), 0);
	CHECK_INT(ob_req_send_headers(&r), 0);
	CHECK_INT(ob_req_puts(&r, "b"), 0);
	CHECK_INT(ob_req_header(&r, "X-Late", "1"), OB_EINVAL);
	CHECK_INT(ob_req_finish(&r), 0);
	CHECK_STR(ob_buf_cstr(&f.out), "Status: 200 OK\r\n\r\nab");
	ob_buf_release(&f.out);
	ob_req_end(&r);

	/* HEAD: headers and length, no body. */
	CHECK_INT(begin(&r, &f, head, NULL, 0), 0);
	CHECK_INT(ob_req_puts(&r, "body"), 0);
	CHECK_INT(ob_req_finish(&r), 0);
	CHECK_STR(
	    ob_buf_cstr(&f.out), "Status: 200 OK\r\nContent-Length: 4\r\n\r\n");
	ob_buf_release(&f.out);
	ob_req_end(&r);

	CHECK_STR(ob_status_text(405), "Method Not Allowed");
	CHECK_STR(ob_status_text(299), "Unknown");
}

int
main(void)
{
	ob_arena_init(&arena, 1 << 22);
	test_parse();
	test_body();
	test_response();
	ob_arena_release(&arena);
	return CHECK_DONE();
}
