#include "lib/cookie.h"

#include <string.h>

#include "test/unit/check.h"

/* ob_cookies_parse cases; want joins name=value pairs with '|'. */
static const struct {
	const char *in;
	const char *want;
} parse_cases[] = {
	{ "", "" },
	{ ";", "" },
	{ " ; ;; ", "" },
	{ "a=1", "a=1" },
	{ "a=1; b=2", "a=1|b=2" },
	{ "a=1;b=2", "a=1|b=2" },
	{ "a=1 ;  b=2 ;", "a=1|b=2" },
	{ "  a=1  ;\tb=2\t", "a=1|b=2" },
	{ "a = 1", "a=1" },
	{ "a=", "a=" },
	{ "a=\"xyz\"", "a=xyz" },
	{ "a=\"\"", "a=" },
	{ "a==b", "a==b" },
	{ "tok=ab+/cd==", "tok=ab+/cd==" },
	{ "__Host-sid=Zm9v; csrf=abc", "__Host-sid=Zm9v|csrf=abc" },
	{ "sid=1; sid=2", "sid=1|sid=2" },
	{ "!#$%&'*+-.^_`|~=x", "!#$%&'*+-.^_`|~=x" },
	{ "a=!#$%&'()*+-./:<=>?@[]^_`{|}~", "a=!#$%&'()*+-./:<=>?@[]^_`{|}~" },
	/* Malformed pairs are skipped; the rest survive. */
	{ "a", "" },
	{ "=1", "" },
	{ "=", "" },
	{ "a b=1", "" },
	{ "a=1 2", "" },
	{ "a=1,b=2", "" },
	{ "a=1, b=2", "" },
	{ "a=x\\y", "" },
	{ "a=\"x", "" },
	{ "a=x\"", "" },
	{ "a=\"", "" },
	{ "a=\"x\"y\"", "" },
	{ "a=\"x y\"", "" },
	{ "a=\xc3\xa6", "" },
	{ "\xc3\xa6=1", "" },
	{ "a=\x01", "" },
	{ "a=\x7f", "" },
	{ "a(b)=1", "" },
	{ "a/b=1", "" },
	{ "a:b=1", "" },
	{ "a\"=1", "" },
	{ "junk; sid=abc; x y=1; =z; ok=\"q\"", "sid=abc|ok=q" },
	{ "a=1;;;b=2", "a=1|b=2" },
	{ "$Version=1; a=1", "$Version=1|a=1" },
};

static void
join(struct ob_buf *b, const struct ob_cookies *c)
{
	int rc = 0;

	ob_buf_reset(b);
	for (size_t i = 0; i < c->n && rc == 0; i++)
		rc = ob_buf_printf(b, "%s%s=%s", i ? "|" : "", c->list[i].name,
		    c->list[i].value);
	CHECK_INT(rc, 0);
}

static void
test_parse(struct ob_arena *a)
{
	struct ob_buf b = OB_BUF_INIT(4096);
	struct ob_cookies c;

	for (size_t i = 0; i < OB_NELEM(parse_cases); i++) {
		c.list = NULL;
		c.n = 999;
		CHECK_INT(ob_cookies_parse(a, parse_cases[i].in, &c), 0);
		join(&b, &c);
		if (strcmp(ob_buf_cstr(&b), parse_cases[i].want) != 0)
			fprintf(stderr, "cookie case %zu\n", i);
		CHECK_STR(ob_buf_cstr(&b), parse_cases[i].want);
		CHECK((c.n == 0) == (c.list == NULL));
	}

	CHECK_INT(ob_cookies_parse(a, NULL, &c), 0);
	CHECK_INT(c.n, 0);
	CHECK(ob_cookies_get(&c, "a") == NULL);

	CHECK_INT(ob_cookies_parse(a, "sid=1; x=\"2\"; sid=3", &c), 0);
	CHECK_STR(ob_cookies_get(&c, "sid"), "1");
	CHECK_STR(ob_cookies_get(&c, "x"), "2");
	CHECK(ob_cookies_get(&c, "SID") == NULL);
	CHECK(ob_cookies_get(&c, "") == NULL);
	CHECK(ob_cookies_get(NULL, "sid") == NULL);
	ob_buf_release(&b);
}

static void
test_caps(struct ob_arena *a)
{
	struct ob_buf b = OB_BUF_INIT(16384);
	struct ob_cookies c, sentinel = { NULL, 777 };
	int rc = 0;

	/* 32 cookies pass; junk between them does not count. */
	for (int i = 0; i < OB_COOKIES_MAX && rc == 0; i++)
		rc = ob_buf_printf(&b, "c%d=%d; junk%d; ", i, i, i);
	CHECK_INT(rc, 0);
	CHECK_INT(ob_cookies_parse(a, ob_buf_cstr(&b), &c), 0);
	CHECK_INT(c.n, OB_COOKIES_MAX);
	CHECK_STR(ob_cookies_get(&c, "c31"), "31");
	/* The 33rd is too many. */
	CHECK_INT(ob_buf_puts(&b, "c32=32"), 0);
	c = sentinel;
	CHECK_INT(ob_cookies_parse(a, ob_buf_cstr(&b), &c), OB_ETOOBIG);
	CHECK(c.list == NULL && c.n == 777);

	/* A header of exactly 8 KiB passes; one byte more does not. */
	ob_buf_reset(&b);
	CHECK_INT(ob_buf_puts(&b, "big="), 0);
	while (rc == 0 && b.len < OB_COOKIE_HEADER_MAX)
		rc = ob_buf_putc(&b, 'x');
	CHECK_INT(b.len, 8192);
	CHECK_INT(ob_cookies_parse(a, ob_buf_cstr(&b), &c), 0);
	CHECK_INT(c.n, 1);
	CHECK_INT(strlen(ob_cookies_get(&c, "big")), 8188);
	CHECK_INT(ob_buf_putc(&b, 'x'), 0);
	c = sentinel;
	CHECK_INT(ob_cookies_parse(a, ob_buf_cstr(&b), &c), OB_ETOOBIG);
	CHECK(c.list == NULL && c.n == 777);
	ob_buf_release(&b);
}

static const struct {
	const char *name, *value, *path;
	long max_age;
	unsigned flags;
	const char *want; /* NULL: OB_EINVAL */
} fmt_cases[] = {
	{ "sid", "abc", "/", -1, 0, "sid=abc; Path=/" },
	{ "sid", "", "/", -1, 0, "sid=; Path=/" },
	{ "sid", "abc", "/", 0, 0, "sid=abc; Path=/; Max-Age=0" },
	{ "sid", "abc", "/", -100, 0, "sid=abc; Path=/" },
	{ "sid", "abc", "/case", 3600,
	    OB_COOKIE_SECURE | OB_COOKIE_HTTPONLY | OB_COOKIE_SAMESITE_STRICT,
	    "sid=abc; Path=/case; Max-Age=3600; Secure; HttpOnly; "
	    "SameSite=Strict" },
	{ "l", "v", "/", 60, OB_COOKIE_SAMESITE_LAX,
	    "l=v; Path=/; Max-Age=60; SameSite=Lax" },
	{ "h", "v", "/", -1, OB_COOKIE_HTTPONLY, "h=v; Path=/; HttpOnly" },
	{ "__Host-sid", "t0k+/=", "/", -1, OB_COOKIE_SECURE,
	    "__Host-sid=t0k+/=; Path=/; Secure" },
	{ "__Secure-x", "1", "/a", -1, OB_COOKIE_SECURE,
	    "__Secure-x=1; Path=/a; Secure" },
	{ "_Host-x", "1", "/a", -1, 0, "_Host-x=1; Path=/a" },
	/* Names. */
	{ "", "v", "/", -1, 0, NULL },
	{ "a b", "v", "/", -1, 0, NULL },
	{ "a;b", "v", "/", -1, 0, NULL },
	{ "a=b", "v", "/", -1, 0, NULL },
	{ "a,b", "v", "/", -1, 0, NULL },
	{ "a\r\nSet-Cookie: x", "v", "/", -1, 0, NULL },
	{ "\xc3\xa6", "v", "/", -1, 0, NULL },
	{ NULL, "v", "/", -1, 0, NULL },
	/* Values. */
	{ "n", "a b", "/", -1, 0, NULL },
	{ "n", "a;b", "/", -1, 0, NULL },
	{ "n", "a; Domain=evil", "/", -1, 0, NULL },
	{ "n", "a,b", "/", -1, 0, NULL },
	{ "n", "\"x\"", "/", -1, 0, NULL },
	{ "n", "a\\b", "/", -1, 0, NULL },
	{ "n", "a\r\nX: y", "/", -1, 0, NULL },
	{ "n", "\x01", "/", -1, 0, NULL },
	{ "n", "\x7f", "/", -1, 0, NULL },
	{ "n", "\xc3\xa6", "/", -1, 0, NULL },
	{ "n", NULL, "/", -1, 0, NULL },
	/* Paths. */
	{ "n", "v", NULL, -1, 0, NULL },
	{ "n", "v", "", -1, 0, NULL },
	{ "n", "v", "case", -1, 0, NULL },
	{ "n", "v", "/a;b", -1, 0, NULL },
	{ "n", "v", "/a b", -1, 0, NULL },
	{ "n", "v", "/a\r\n", -1, 0, NULL },
	{ "n", "v", "/\x7f", -1, 0, NULL },
	{ "n", "v", "/\xc3\xa6", -1, 0, NULL },
	/* Flags and prefixes. */
	{ "n", "v", "/", -1, 16, NULL },
	{ "n", "v", "/", -1, 0x80000000u, NULL },
	{ "n", "v", "/", -1, OB_COOKIE_SAMESITE_STRICT | OB_COOKIE_SAMESITE_LAX,
	    NULL },
	{ "__Host-sid", "v", "/", -1, 0, NULL },
	{ "__Host-sid", "v", "/a", -1, OB_COOKIE_SECURE, NULL },
	{ "__host-sid", "v", "/", -1, OB_COOKIE_HTTPONLY, NULL },
	{ "__Secure-x", "v", "/", -1, 0, NULL },
	{ "__SECURE-x", "v", "/", -1, OB_COOKIE_HTTPONLY, NULL },
};

static void
test_format(struct ob_arena *a)
{
	struct ob_buf b = OB_BUF_INIT(4096);
	struct ob_cookies c;
	int rc;

	for (size_t i = 0; i < OB_NELEM(fmt_cases); i++) {
		ob_buf_reset(&b);
		rc = ob_cookie_format(&b, fmt_cases[i].name, fmt_cases[i].value,
		    fmt_cases[i].path, fmt_cases[i].max_age,
		    fmt_cases[i].flags);
		if (rc != (fmt_cases[i].want ? 0 : OB_EINVAL))
			fprintf(stderr, "format case %zu\n", i);
		if (fmt_cases[i].want == NULL) {
			CHECK_INT(rc, OB_EINVAL);
			CHECK_INT(b.len, 0);
			continue;
		}
		CHECK_INT(rc, 0);
		CHECK_STR(ob_buf_cstr(&b), fmt_cases[i].want);
		/* What we set, we read back the same. */
		CHECK_INT(ob_cookies_parse(a, ob_buf_cstr(&b), &c), 0);
		CHECK(c.n >= 1);
		CHECK_STR(
		    ob_cookies_get(&c, fmt_cases[i].name), fmt_cases[i].value);
	}

	/* It appends, and a failure leaves the buffer as it was. */
	ob_buf_reset(&b);
	CHECK_INT(ob_buf_puts(&b, "pre:"), 0);
	CHECK_INT(ob_cookie_format(&b, "a", "1", "/", -1, 0), 0);
	CHECK_STR(ob_buf_cstr(&b), "pre:a=1; Path=/");
	CHECK_INT(ob_cookie_format(&b, "a b", "1", "/", -1, 0), OB_EINVAL);
	CHECK_STR(ob_buf_cstr(&b), "pre:a=1; Path=/");
	ob_buf_release(&b);

	{
		struct ob_buf tiny = OB_BUF_INIT(24);

		CHECK_INT(ob_buf_puts(&tiny, "pre:"), 0);
		CHECK_INT(ob_cookie_format(
			      &tiny, "sid", "abc", "/", 3600, OB_COOKIE_SECURE),
		    OB_ETOOBIG);
		CHECK_STR(ob_buf_cstr(&tiny), "pre:");
		CHECK_INT(tiny.len, 4);
		/* "pre:" + "sid=abc; Path=/" (15) + "; Secure" (8) = 27 */
		CHECK_INT(ob_cookie_format(
			      &tiny, "sid", "abc", "/", -1, OB_COOKIE_SECURE),
		    OB_ETOOBIG);
		CHECK_STR(ob_buf_cstr(&tiny), "pre:");
		ob_buf_reset(&tiny);
		CHECK_INT(ob_cookie_format(
			      &tiny, "sid", "abc", "/", -1, OB_COOKIE_SECURE),
		    0);
		CHECK_INT(tiny.len, 23);
		ob_buf_release(&tiny);
	}
	{
		struct ob_buf nb = OB_BUF_INIT(4);

		CHECK_INT(ob_cookie_format(&nb, "sid", "abc", "/", -1, 0),
		    OB_ETOOBIG);
		CHECK_STR(ob_buf_cstr(&nb), "");
		ob_buf_release(&nb);
	}
}

int
main(void)
{
	struct ob_arena a;

	ob_arena_init(&a, 16 << 20);
	test_parse(&a);
	ob_arena_reset(&a);
	test_caps(&a);
	ob_arena_reset(&a);
	test_format(&a);
	ob_arena_release(&a);
	return CHECK_DONE();
}
