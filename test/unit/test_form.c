#include "lib/form.h"

#include <glib.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "test/unit/check.h"

/* ob_pct_decode cases; want is the result when rc == 0. */
static const struct {
	const char *in;
	bool plus;
	int rc;
	const char *want;
} pct_cases[] = {
	{ "", true, 0, "" },
	{ "abc", true, 0, "abc" },
	{ "a+b", true, 0, "a b" },
	{ "a+b", false, 0, "a+b" },
	{ "++", true, 0, "  " },
	{ "%2B", true, 0, "+" },
	{ "%2B", false, 0, "+" },
	{ "%2b", true, 0, "+" },
	{ "%20", false, 0, " " },
	{ "%41%42c", true, 0, "ABc" },
	{ "%4a%4A", true, 0, "JJ" },
	{ "%25", true, 0, "%" },
	{ "%2525", true, 0, "%25" },
	{ "a%26b%3Dc", true, 0, "a&b=c" },
	/* Bad escapes. */
	{ "%", true, OB_EINVAL, NULL },
	{ "a%", true, OB_EINVAL, NULL },
	{ "%4", true, OB_EINVAL, NULL },
	{ "a%4", false, OB_EINVAL, NULL },
	{ "%zz", true, OB_EINVAL, NULL },
	{ "%g0", true, OB_EINVAL, NULL },
	{ "%0g", true, OB_EINVAL, NULL },
	{ "%%41", true, OB_EINVAL, NULL },
	{ "%+1", true, OB_EINVAL, NULL },
	{ "% 1", true, OB_EINVAL, NULL },
	{ "%-1", true, OB_EINVAL, NULL },
	{ "%x41", true, OB_EINVAL, NULL },
	/* Controls: TAB, LF, CR pass; NUL, other C0 and DEL do not. */
	{ "%09", true, 0, "\t" },
	{ "%0A", true, 0, "\n" },
	{ "%0a", true, 0, "\n" },
	{ "%0D%0A", true, 0, "\r\n" },
	{ "\t\r\n", true, 0, "\t\r\n" },
	{ "%00", true, OB_EINVAL, NULL },
	{ "a%00b", false, OB_EINVAL, NULL },
	{ "%01", true, OB_EINVAL, NULL },
	{ "%08", true, OB_EINVAL, NULL },
	{ "%0B", true, OB_EINVAL, NULL },
	{ "%0C", true, OB_EINVAL, NULL },
	{ "%1B", true, OB_EINVAL, NULL },
	{ "%1F", true, OB_EINVAL, NULL },
	{ "%7F", true, OB_EINVAL, NULL },
	{ "%7e", true, 0, "~" },
	{ "\x01", true, OB_EINVAL, NULL },
	{ "a\x1b[31m", true, OB_EINVAL, NULL },
	{ "\x7f", true, OB_EINVAL, NULL },
	/* UTF-8, encoded and literal. */
	{ "%C3%A6%C3%B8%C3%A5", true, 0, "\xc3\xa6\xc3\xb8\xc3\xa5" },
	{ "\xc3\xa6", true, 0, "\xc3\xa6" },
	{ "%E2%82%AC", true, 0, "\xe2\x82\xac" },
	{ "%F0%9F%98%80", true, 0, "\xf0\x9f\x98\x80" },
	{ "%C2%80", true, 0, "\xc2\x80" }, /* U+0080, smallest 2-byte */
	{ "%DF%BF", true, 0, "\xdf\xbf" }, /* U+07FF */
	{ "%E0%A0%80", true, 0, "\xe0\xa0\x80" }, /* U+0800 */
	{ "%ED%9F%BF", true, 0, "\xed\x9f\xbf" }, /* U+D7FF */
	{ "%EE%80%80", true, 0, "\xee\x80\x80" }, /* U+E000 */
	{ "%EF%BF%BF", true, 0, "\xef\xbf\xbf" }, /* U+FFFF */
	{ "%F0%90%80%80", true, 0, "\xf0\x90\x80\x80" }, /* U+10000 */
	{ "%F4%8F%BF%BF", true, 0, "\xf4\x8f\xbf\xbf" }, /* U+10FFFF */
	{ "%C0%80", true, OB_EINVAL, NULL }, /* overlong NUL */
	{ "%C1%BF", true, OB_EINVAL, NULL }, /* overlong */
	{ "%E0%80%80", true, OB_EINVAL, NULL },
	{ "%E0%9F%BF", true, OB_EINVAL, NULL },
	{ "%F0%80%80%80", true, OB_EINVAL, NULL },
	{ "%F0%8F%BF%BF", true, OB_EINVAL, NULL },
	{ "%ED%A0%80", true, OB_EINVAL, NULL }, /* U+D800 */
	{ "%ED%BF%BF", true, OB_EINVAL, NULL }, /* U+DFFF */
	{ "%ED%A0%BD%ED%B8%80", true, OB_EINVAL, NULL }, /* CESU-8 pair */
	{ "%F4%90%80%80", true, OB_EINVAL, NULL }, /* U+110000 */
	{ "%F5%80%80%80", true, OB_EINVAL, NULL },
	{ "%F8%88%80%80%80", true, OB_EINVAL, NULL },
	{ "%FE", true, OB_EINVAL, NULL },
	{ "%FF", true, OB_EINVAL, NULL },
	{ "%80", true, OB_EINVAL, NULL }, /* lone continuation */
	{ "%BF", true, OB_EINVAL, NULL },
	{ "%C3", true, OB_EINVAL, NULL }, /* truncated */
	{ "%C3a", true, OB_EINVAL, NULL },
	{ "%E2%82", true, OB_EINVAL, NULL },
	{ "%E2%82a", true, OB_EINVAL, NULL },
	{ "%F0%9F%98", true, OB_EINVAL, NULL },
	{ "%F0%9F%98+", true, OB_EINVAL, NULL },
	{ "\xc3", true, OB_EINVAL, NULL },
	{ "\xc3%A6", true, 0, "\xc3\xa6" }, /* halves may mix */
	{ "\xed\xa0\x80", true, OB_EINVAL, NULL },
};

/*
 * An independent UTF-8 check, written the other way round: decode the
 * bits, then test the code point and the shortest-form rule.
 */
static bool
ref_utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], cp, min;
		size_t len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static int utf8_mismatch;

static void
utf8_compare(const unsigned char *p, size_t n)
{
	bool got = ob_utf8_valid((const char *)p, n);
	bool ok = got == ref_utf8_valid(p, n);

	/* glib is a second opinion; it refuses NUL, so skip those. */
	if (ok && memchr(p, 0, n) == NULL)
		ok = g_utf8_validate_len((const char *)p, n, NULL) == got;
	if (!ok && utf8_mismatch++ < 10) {
		fprintf(stderr, "utf8 mismatch (got %d):", got);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %02x", p[i]);
		fputc('\n', stderr);
	}
}

static void
test_utf8(void)
{
	static const unsigned char edge[] = { 0x00, 0x7f, 0x80, 0x8f, 0x90,
		0x9f, 0xa0, 0xbf, 0xc0, 0xff };
	unsigned char b[4];

	CHECK(ob_utf8_valid(NULL, 0));
	CHECK(ob_utf8_valid("", 0));
	CHECK(ob_utf8_valid("a\0b", 3)); /* NUL is valid UTF-8 */
	CHECK(ob_utf8_valid("\xef\xbb\xbf", 3)); /* BOM */
	CHECK(ob_utf8_valid("\xef\xbf\xbe", 3)); /* noncharacter U+FFFE */
	CHECK(!ob_utf8_valid("\xc0\x80", 2));
	CHECK(!ob_utf8_valid("\xe0\x80\x80", 3));
	CHECK(!ob_utf8_valid("\xf0\x80\x80\x80", 4));
	CHECK(!ob_utf8_valid("\xed\xa0\x80", 3));
	CHECK(!ob_utf8_valid("\xf4\x90\x80\x80", 4));
	/* Truncation is seen through n, not a NUL. */
	CHECK(!ob_utf8_valid("\xe2\x82\xac", 2));
	CHECK(ob_utf8_valid("\xe2\x82\xac", 3));
	CHECK(!ob_utf8_valid("a\xf0\x9f\x98\x80", 4));

	/* Every 1-, 2- and 3-byte string against the reference. */
	for (unsigned i = 0; i < 256; i++) {
		b[0] = (unsigned char)i;
		utf8_compare(b, 1);
		for (unsigned j = 0; j < 256; j++) {
			b[1] = (unsigned char)j;
			utf8_compare(b, 2);
			for (unsigned k = 0; k < 256; k++) {
				b[2] = (unsigned char)k;
				utf8_compare(b, 3);
			}
		}
	}
	/* 4-byte strings: every lead and second byte, edges after. */
	for (unsigned i = 0xc0; i < 256; i++)
		for (unsigned j = 0; j < 256; j++)
			for (size_t k = 0; k < OB_NELEM(edge); k++)
				for (size_t l = 0; l < OB_NELEM(edge); l++) {
					b[0] = (unsigned char)i;
					b[1] = (unsigned char)j;
					b[2] = edge[k];
					b[3] = edge[l];
					utf8_compare(b, 4);
				}
	CHECK_INT(utf8_mismatch, 0);
}

static void
test_pct(struct ob_arena *a)
{
	char *out;
	size_t outlen;
	int rc;

	for (size_t i = 0; i < OB_NELEM(pct_cases); i++) {
		out = (char *)"untouched";
		outlen = 12345;
		rc = ob_pct_decode(a, pct_cases[i].in, strlen(pct_cases[i].in),
		    pct_cases[i].plus, &out, &outlen);
		if (rc != pct_cases[i].rc)
			fprintf(stderr, "pct case %zu: \"%s\"\n", i,
			    pct_cases[i].in);
		CHECK_INT(rc, pct_cases[i].rc);
		if (pct_cases[i].rc == 0) {
			CHECK_STR(out, pct_cases[i].want);
			CHECK_INT(outlen, strlen(pct_cases[i].want));
		} else {
			CHECK_STR(out, "untouched");
			CHECK_INT(outlen, 12345);
		}
	}

	/* Literal NUL bytes, which strlen-driven tables cannot carry. */
	CHECK_INT(ob_pct_decode(a, "a\0b", 3, true, &out, &outlen), OB_EINVAL);
	CHECK_INT(ob_pct_decode(a, "\0", 1, false, &out, &outlen), OB_EINVAL);
	/* Only n bytes are read: the escape is cut off at n. */
	CHECK_INT(ob_pct_decode(a, "%41", 2, true, &out, &outlen), OB_EINVAL);
	CHECK_INT(ob_pct_decode(a, "ab%41", 2, true, &out, &outlen), 0);
	CHECK_STR(out, "ab");
	CHECK_INT(ob_pct_decode(a, NULL, 0, true, &out, &outlen), 0);
	CHECK_STR(out, "");
	CHECK_INT(outlen, 0);

	/* Every byte value, escaped in both cases of hex. */
	for (unsigned c = 0; c < 256; c++) {
		static const char hex[] = "0123456789abcdef0123456789ABCDEF";
		char in[3] = { '%', hex[c >> 4], hex[c & 15] };
		char up[3] = { '%', hex[16 + (c >> 4)], hex[16 + (c & 15)] };
		bool ok = c == '\t' || c == '\n' || c == '\r' ||
		    (c >= 0x20 && c < 0x7f);
		int want = ok ? 0 : OB_EINVAL;

		CHECK_INT(ob_pct_decode(a, in, 3, false, &out, &outlen), want);
		if (ok)
			CHECK(outlen == 1 && (unsigned char)out[0] == c);
		CHECK_INT(ob_pct_decode(a, up, 3, true, &out, &outlen), want);
	}
}

/* ob_form_parse cases; want joins name=value pairs with '|'. */
static const struct ob_form_limits small = { 3, 4, 5 };

static const struct {
	const char *in;
	const struct ob_form_limits *lim;
	int rc;
	const char *want;
} form_cases[] = {
	{ "", NULL, 0, "" },
	{ "&", NULL, 0, "" },
	{ "&&&", NULL, 0, "" },
	{ "a=1", NULL, 0, "a=1" },
	{ "a=1&b=2", NULL, 0, "a=1|b=2" },
	{ "a=1&&b=2", NULL, 0, "a=1|b=2" },
	{ "a=1&", NULL, 0, "a=1" },
	{ "&a=1", NULL, 0, "a=1" },
	{ "a", NULL, 0, "a=" },
	{ "a&b", NULL, 0, "a=|b=" },
	{ "a=", NULL, 0, "a=" },
	{ "a==b", NULL, 0, "a==b" },
	{ "a=b=c", NULL, 0, "a=b=c" },
	{ "a=1;b=2", NULL, 0, "a=1;b=2" }, /* ';' is not a separator */
	{ "a+b=c+d", NULL, 0, "a b=c d" },
	{ "a%2Bb=c%2Bd", NULL, 0, "a+b=c+d" },
	{ "a%26b=c%3Dd%26e", NULL, 0, "a&b=c=d&e" },
	{ "a%3Db=c", NULL, 0, "a=b=c" },
	{ "n=J%C3%B8rgen", NULL, 0, "n=J\xc3\xb8rgen" },
	{ "%C3%A6=%E2%82%AC", NULL, 0, "\xc3\xa6=\xe2\x82\xac" },
	{ "x=1&x=2&x=3", NULL, 0, "x=1|x=2|x=3" },
	{ "t=line1%0D%0Aline2%09end", NULL, 0, "t=line1\r\nline2\tend" },
	{ "+=1", NULL, 0, " =1" },
	/* Empty names. */
	{ "=1", NULL, OB_EINVAL, NULL },
	{ "=", NULL, OB_EINVAL, NULL },
	{ "a=1&=2", NULL, OB_EINVAL, NULL },
	{ "a=1&=", NULL, OB_EINVAL, NULL },
	/* Bad encodings, in names and in values. */
	{ "a=%", NULL, OB_EINVAL, NULL },
	{ "a=%4", NULL, OB_EINVAL, NULL },
	{ "a=%4&b=1", NULL, OB_EINVAL, NULL },
	{ "a=%zz", NULL, OB_EINVAL, NULL },
	{ "%zz=1", NULL, OB_EINVAL, NULL },
	{ "%", NULL, OB_EINVAL, NULL },
	{ "a=%00", NULL, OB_EINVAL, NULL },
	{ "a%00=1", NULL, OB_EINVAL, NULL },
	{ "a=%01", NULL, OB_EINVAL, NULL },
	{ "a=%7F", NULL, OB_EINVAL, NULL },
	{ "a=%0A", NULL, 0, "a=\n" },
	{ "a=%C0%80", NULL, OB_EINVAL, NULL },
	{ "a=%E0%80%80", NULL, OB_EINVAL, NULL },
	{ "a=%F0%80%80%80", NULL, OB_EINVAL, NULL },
	{ "a=%ED%A0%80", NULL, OB_EINVAL, NULL },
	{ "a=%F4%90%80%80", NULL, OB_EINVAL, NULL },
	{ "a=%E2%82", NULL, OB_EINVAL, NULL },
	{ "a=%C3&b=%A6", NULL, OB_EINVAL, NULL }, /* no joining across '&' */
	{ "%FF=1", NULL, OB_EINVAL, NULL },
	{ "ok=1&bad=\xff", NULL, OB_EINVAL, NULL },
	/* Caps: 3 fields, 4-byte names, 5-byte values, all decoded. */
	{ "a=1&b=2&c=3", &small, 0, "a=1|b=2|c=3" },
	{ "a=1&&b=2&&c=3&&", &small, 0, "a=1|b=2|c=3" },
	{ "a=1&b=2&c=3&d=4", &small, OB_ETOOBIG, NULL },
	{ "a&b&c&d", &small, OB_ETOOBIG, NULL },
	{ "a=1&b=2&c=3&d=%zz", &small, OB_ETOOBIG, NULL }, /* count first */
	{ "abcd=1", &small, 0, "abcd=1" },
	{ "abcde=1", &small, OB_ETOOBIG, NULL },
	{ "abcde", &small, OB_ETOOBIG, NULL },
	{ "%41%42%43%44=1", &small, 0, "ABCD=1" },
	{ "%41%42%43%44%45=1", &small, OB_ETOOBIG, NULL },
	{ "%C3%A6%C3%A6=1", &small, 0, "\xc3\xa6\xc3\xa6=1" },
	{ "%C3%A6%C3%A6a=1", &small, OB_ETOOBIG, NULL },
	{ "k=12345", &small, 0, "k=12345" },
	{ "k=123456", &small, OB_ETOOBIG, NULL },
	{ "k=%31%32%33%34%35", &small, 0, "k=12345" },
	{ "k=%31%32%33%34%35%36", &small, OB_ETOOBIG, NULL },
	{ "k=+++++", &small, 0, "k=     " },
	{ "k=++++++", &small, OB_ETOOBIG, NULL },
	{ "k=1&k=123456", &small, OB_ETOOBIG, NULL },
};

static void
join(struct ob_buf *b, const struct ob_form *f)
{
	int rc = 0;

	ob_buf_reset(b);
	for (size_t i = 0; i < f->n && rc == 0; i++) {
		rc = ob_buf_printf(b, "%s%s=%s", i ? "|" : "",
		    f->fields[i].name, f->fields[i].value);
		CHECK_INT(f->fields[i].value_len, strlen(f->fields[i].value));
	}
	CHECK_INT(rc, 0);
}

static void
test_form_table(struct ob_arena *a)
{
	struct ob_buf b = OB_BUF_INIT(4096);
	static struct ob_field dummy;
	struct ob_form f, sentinel = { &dummy, 999 };
	int rc;

	for (size_t i = 0; i < OB_NELEM(form_cases); i++) {
		f = sentinel;
		rc = ob_form_parse(a, form_cases[i].in,
		    strlen(form_cases[i].in), form_cases[i].lim, &f);
		if (rc != form_cases[i].rc)
			fprintf(stderr, "form case %zu: \"%s\"\n", i,
			    form_cases[i].in);
		CHECK_INT(rc, form_cases[i].rc);
		if (form_cases[i].rc != 0) {
			CHECK(f.fields == sentinel.fields && f.n == 999);
			continue;
		}
		if (rc != 0)
			continue;
		join(&b, &f);
		CHECK_STR(ob_buf_cstr(&b), form_cases[i].want);
		CHECK((f.n == 0) == (f.fields == NULL));
	}
	ob_buf_release(&b);
}

static void
test_form_api(struct ob_arena *a)
{
	struct ob_form f = { NULL, 0 };
	const char *q = "x=1&y=&x=2&z&x=3";

	CHECK_INT(ob_form_parse(a, NULL, 0, NULL, &f), 0);
	CHECK_INT(f.n, 0);
	CHECK(ob_form_get(&f, "x") == NULL);
	CHECK_INT(ob_form_count(&f, "x"), 0);

	CHECK_INT(ob_form_parse(a, q, strlen(q), NULL, &f), 0);
	CHECK_INT(f.n, 5);
	CHECK_STR(ob_form_get(&f, "x"), "1");
	CHECK_INT(ob_form_count(&f, "x"), 3);
	CHECK_STR(f.fields[2].value, "2");
	CHECK_STR(f.fields[4].value, "3");
	CHECK_STR(ob_form_get(&f, "y"), "");
	CHECK_STR(ob_form_get(&f, "z"), "");
	CHECK_INT(ob_form_count(&f, "z"), 1);
	CHECK(ob_form_get(&f, "X") == NULL);
	CHECK(ob_form_get(&f, "") == NULL);
	CHECK_INT(ob_form_count(&f, "w"), 0);
	CHECK(ob_form_get(NULL, "x") == NULL);
	CHECK_INT(ob_form_count(NULL, "x"), 0);

	/* Only len bytes are read. */
	CHECK_INT(ob_form_parse(a, "a=1&b=2", 3, NULL, &f), 0);
	CHECK_INT(f.n, 1);
	CHECK_STR(ob_form_get(&f, "a"), "1");

	/* A literal NUL inside a value. */
	CHECK_INT(ob_form_parse(a, "a=1\0b", 5, NULL, &f), OB_EINVAL);

	/* max_fields 0 admits only the empty form. */
	{
		const struct ob_form_limits none = { 0, 8, 8 };

		CHECK_INT(ob_form_parse(a, "&&", 2, &none, &f), 0);
		CHECK_INT(f.n, 0);
		CHECK_INT(ob_form_parse(a, "a", 1, &none, &f), OB_ETOOBIG);
	}
}

/* The default caps: exactly at each one passes, one past fails. */
static void
test_default_caps(struct ob_arena *a)
{
	const struct ob_form_limits *d = &ob_form_default_limits;
	struct ob_buf b = OB_BUF_INIT(1 << 20);
	struct ob_form f;
	int rc = 0;

	CHECK_INT(d->max_fields, 64);
	CHECK_INT(d->max_name_len, 64);
	CHECK_INT(d->max_value_len, 65536);

	for (int i = 0; i < 64 && rc == 0; i++)
		rc = ob_buf_printf(&b, "f%d=%d&", i, i);
	CHECK_INT(rc, 0);
	CHECK_INT(ob_form_parse(a, b.data, b.len, NULL, &f), 0);
	CHECK_INT(f.n, 64);
	CHECK_STR(ob_form_get(&f, "f63"), "63");
	CHECK_INT(ob_buf_puts(&b, "f64=64"), 0);
	CHECK_INT(ob_form_parse(a, b.data, b.len, NULL, &f), OB_ETOOBIG);

	ob_buf_reset(&b);
	for (int i = 0; i < 64 && rc == 0; i++)
		rc = ob_buf_putc(&b, 'n');
	CHECK_INT(ob_buf_puts(&b, "=v"), 0);
	CHECK_INT(ob_form_parse(a, b.data, b.len, NULL, &f), 0);
	CHECK_INT(strlen(f.fields[0].name), 64);
	ob_buf_reset(&b);
	for (int i = 0; i < 65 && rc == 0; i++)
		rc = ob_buf_putc(&b, 'n');
	CHECK_INT(ob_buf_puts(&b, "=v"), 0);
	CHECK_INT(ob_form_parse(a, b.data, b.len, NULL, &f), OB_ETOOBIG);

	ob_buf_reset(&b);
	CHECK_INT(ob_buf_puts(&b, "v="), 0);
	for (int i = 0; i < 65536 && rc == 0; i++)
		rc = ob_buf_putc(&b, i % 2 ? '+' : 'x');
	CHECK_INT(rc, 0);
	CHECK_INT(ob_form_parse(a, b.data, b.len, NULL, &f), 0);
	CHECK_INT(f.fields[0].value_len, 65536);
	CHECK_INT(ob_buf_puts(&b, "%41"), 0);
	CHECK_INT(ob_form_parse(a, b.data, b.len, NULL, &f), OB_ETOOBIG);
	ob_buf_release(&b);
}

/*
 * Caps are enforced before allocation: with an arena that aborts the
 * process past 32 KiB, a megabyte of pairs, or one megabyte value, is
 * refused cleanly.
 */
static void
test_early_stop(void)
{
	const size_t big = 1 << 20;
	char *in = malloc(big);
	struct ob_arena small_arena;
	struct ob_form f;

	CHECK(in != NULL);
	if (in == NULL)
		return;
	ob_arena_init(&small_arena, 32 * 1024);
	for (size_t i = 0; i < big; i += 2) {
		in[i] = 'a';
		in[i + 1] = '&';
	}
	CHECK_INT(ob_form_parse(&small_arena, in, big, NULL, &f), OB_ETOOBIG);
	CHECK_INT(small_arena.total, 0);

	memset(in, 'x', big);
	in[0] = 'v';
	in[1] = '=';
	CHECK_INT(ob_form_parse(&small_arena, in, big, NULL, &f), OB_ETOOBIG);
	in[1] = 'x';
	CHECK_INT(ob_form_parse(&small_arena, in, big, NULL, &f), OB_ETOOBIG);
	CHECK(small_arena.total <= 16384);
	ob_arena_release(&small_arena);
	free(in);
}

/* What ob_form_append writes, ob_form_parse reads back unchanged. */
static void
test_append(struct ob_arena *a)
{
	static const char *const values[] = { "", "plain", "a b+c&d=e%f",
		"line\nbreak\ttab", "\xc3\xa6\xc3\xb8\xc3\xa5 \xe2\x82\xac",
		"~-._", NULL };
	struct ob_buf b = OB_BUF_INIT(4096), cap8 = OB_BUF_INIT(8);
	struct ob_form f;
	size_t n = 0;

	for (; values[n] != NULL; n++) {
		char name[8];

		snprintf(name, sizeof(name), "f%zu", n);
		CHECK_INT(ob_form_append(&b, name, values[n]), 0);
	}
	CHECK(strchr(ob_buf_cstr(&b), ' ') == NULL);
	CHECK(strchr(ob_buf_cstr(&b), '+') == NULL);
	CHECK_INT(ob_form_parse(a, b.data, b.len, NULL, &f), 0);
	CHECK_INT(f.n, n);
	for (size_t i = 0; i < n && i < f.n; i++)
		CHECK_STR(f.fields[i].value, values[i]);
	CHECK_INT(ob_form_append(&cap8, "a", "b"), 0);
	CHECK_INT(ob_form_append(&cap8, "name", "value"), OB_ETOOBIG);
	CHECK_STR(ob_buf_cstr(&cap8), "a=b");
	ob_buf_release(&b);
	ob_buf_release(&cap8);
}

int
main(void)
{
	struct ob_arena a;

	ob_arena_init(&a, 64 << 20);
	test_utf8();
	test_pct(&a);
	ob_arena_reset(&a);
	test_form_table(&a);
	ob_arena_reset(&a);
	test_form_api(&a);
	ob_arena_reset(&a);
	test_default_caps(&a);
	ob_arena_reset(&a);
	test_append(&a);
	ob_arena_release(&a);
	test_early_stop();
	return CHECK_DONE();
}
