#include "lib/multipart.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/form.h"
#include "test/unit/check.h"

#define BOUNDARY "AaB03x"
#define D "--" BOUNDARY
#define CD "Content-Disposition: form-data; "
#define END "\r\n" D "--\r\n"

/* A deterministic generator for chunk sizes and test data. */
static uint64_t
next_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static const char *
errname(int rc)
{
	switch (rc) {
	case 0:
		return "ok";
	case OB_EINVAL:
		return "EINVAL";
	case OB_ETOOBIG:
		return "ETOOBIG";
	case OB_EUNSUPP:
		return "EUNSUPP";
	case OB_EPERM:
		return "EPERM";
	case OB_EINTERNAL:
		return "EINTERNAL";
	default:
		return "E?";
	}
}

/*
 * Records the callbacks as a transcript: "{name|filename;type}" at the
 * start of a part (without "|filename" for a plain field, without
 * ";type" when none was sent), the data as it is, "{/len}" at the end,
 * and "!ERR" when the parse fails.  Also checks that the callbacks come
 * in order and agree with the part struct.
 */
struct rec {
	struct ob_buf t;
	bool open;
	uint64_t seen;
	size_t bad;
	int calls;
	int fail_at; /* fail the fail_at-th callback (1-based) */
	int fail_rc;
	struct ob_multipart *self; /* for the reentrancy test */
	int reenter_rc, reenter_rc2;
};

static int
rec_step(struct rec *r)
{
	r->calls++;
	if (r->self != NULL) {
		r->reenter_rc = ob_multipart_feed(r->self, "x", 1);
		r->reenter_rc2 = ob_multipart_finish(r->self);
	}
	return r->calls == r->fail_at ? r->fail_rc : 0;
}

static int
rec_begin(void *arg, const struct ob_multipart_part *pt)
{
	struct rec *r = arg;
	int rc = 0;

	r->bad += r->open || pt->len != 0;
	r->bad += pt->name == NULL || strlen(pt->name) != pt->name_len;
	r->bad +=
	    pt->filename != NULL && strlen(pt->filename) != pt->filename_len;
	r->bad += pt->content_type == NULL;
	r->open = true;
	r->seen = 0;
	rc |= ob_buf_printf(&r->t, "{%s", pt->name);
	if (pt->filename != NULL)
		rc |= ob_buf_printf(&r->t, "|%s", pt->filename);
	if (pt->content_type[0] != '\0')
		rc |= ob_buf_printf(&r->t, ";%s", pt->content_type);
	rc |= ob_buf_putc(&r->t, '}');
	r->bad += rc != 0;
	return rec_step(r);
}

static int
rec_data(void *arg, const struct ob_multipart_part *pt, const char *d, size_t n)
{
	struct rec *r = arg;

	r->bad += !r->open || n == 0;
	r->seen += n;
	r->bad += pt->len != r->seen;
	r->bad += ob_buf_append(&r->t, d, n) != 0;
	return rec_step(r);
}

static int
rec_end(void *arg, const struct ob_multipart_part *pt)
{
	struct rec *r = arg;

	r->bad += !r->open || pt->len != r->seen;
	r->open = false;
	r->bad +=
	    ob_buf_printf(&r->t, "{/%llu}", (unsigned long long)pt->len) != 0;
	return rec_step(r);
}

static const struct ob_multipart_cb rec_cb = { rec_begin, rec_data, rec_end };

/* How a body is cut into chunks. */
enum { ONE_SHOT, FIXED, SPLIT_AT, RANDOM };

struct chunker {
	int mode;
	size_t k; /* FIXED: chunk size; SPLIT_AT: first chunk */
	uint64_t seed;
	int calls;
};

static size_t
chunk_next(struct chunker *c, size_t left)
{
	size_t n = left;

	switch (c->mode) {
	case FIXED:
		n = c->k;
		break;
	case SPLIT_AT:
		n = c->calls++ == 0 ? c->k : left;
		break;
	case RANDOM:
		/* Some empty feeds, mostly short ones, a few long. */
		n = (size_t)(next_rand(&c->seed) % 8 == 0
			? next_rand(&c->seed) % 200
			: next_rand(&c->seed) % 7);
		break;
	}
	return n < left ? n : left;
}

/*
 * Parses body in chunks, recording into t.  Feeding goes on after an
 * error, to check that the error sticks.  Returns the final result.
 */
static int
parse_with(const char *body, size_t len, const struct ob_multipart_limits *lim,
    struct chunker *ck, struct ob_buf *t)
{
	struct rec r = { .t = OB_BUF_INIT(1 << 22) };
	struct ob_multipart *p = NULL;
	size_t pos = 0, before;
	int rc = 0, frc;

	CHECK_INT(ob_multipart_new(BOUNDARY, lim, &rec_cb, &r, &p), 0);
	if (p == NULL)
		return OB_EINTERNAL;
	do {
		size_t n = chunk_next(ck, len - pos);

		before = r.t.len;
		frc = ob_multipart_feed(p, body + pos, n);
		if (rc != 0) {
			/* Sticky: same code, no more callbacks. */
			CHECK_INT(frc, rc);
			CHECK_INT(r.t.len, before);
		}
		rc = frc;
		pos += n;
	} while (pos < len);
	frc = ob_multipart_finish(p);
	if (rc != 0)
		CHECK_INT(frc, rc);
	rc = frc;
	CHECK_INT(ob_multipart_finish(p), rc);
	CHECK_INT(ob_multipart_feed(p, "", 0), rc);
	if (rc == 0)
		CHECK(!r.open);
	CHECK_INT(r.bad, 0);
	if (rc != 0)
		CHECK_INT(ob_buf_printf(&r.t, "!%s", errname(rc)), 0);
	ob_buf_reset(t);
	CHECK_INT(ob_buf_append(t, r.t.data, r.t.len), 0);
	ob_buf_release(&r.t);
	ob_multipart_free(p);
	return rc;
}

static bool
same(const struct ob_buf *a, const struct ob_buf *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int split_mismatch;

static void
split_differs(const char *how, size_t k, const struct ob_buf *want,
    const struct ob_buf *got)
{
	if (split_mismatch++ < 10)
		fprintf(stderr,
		    "split %s %zu differs:\n  one shot: %s\n  got:      %s\n",
		    how, k, ob_buf_cstr(want), ob_buf_cstr(got));
}

/*
 * Parses body one-shot, then one byte at a time, two and three bytes at
 * a time, cut in two at every position, and in random chunks: every
 * transcript must be the one-shot one.  Returns the one-shot result,
 * its transcript in t.
 */
static int
parse_all_ways(const char *body, size_t len,
    const struct ob_multipart_limits *lim, struct ob_buf *t)
{
	struct ob_buf o = OB_BUF_INIT(1 << 22);
	struct chunker ck = { .mode = ONE_SHOT, .k = 0, .seed = 0 };
	int rc = parse_with(body, len, lim, &ck, t), orc;

	for (size_t k = 1; k <= 3; k++) {
		ck = (struct chunker){ .mode = FIXED, .k = k };
		orc = parse_with(body, len, lim, &ck, &o);
		if (orc != rc || !same(t, &o))
			split_differs("fixed", k, t, &o);
	}
	for (size_t k = 0; k <= len; k++) {
		ck = (struct chunker){ .mode = SPLIT_AT, .k = k };
		orc = parse_with(body, len, lim, &ck, &o);
		if (orc != rc || !same(t, &o))
			split_differs("at", k, t, &o);
	}
	for (uint64_t s = 1; s <= 20; s++) {
		ck = (struct chunker){ .mode = RANDOM,
			.seed = s * 0x9e3779b97f4a7c15ULL };
		orc = parse_with(body, len, lim, &ck, &o);
		if (orc != rc || !same(t, &o))
			split_differs("random", (size_t)s, t, &o);
	}
	ob_buf_release(&o);
	return rc;
}

static const struct ob_multipart_limits tight = {
	.max_parts = 2,
	.max_header_bytes = 128,
	.max_header_lines = 3,
	.max_name_len = 4,
	.max_filename_len = 8,
	.max_field_len = 5,
	.max_total = 4096,
};

/* Bodies and their transcripts (see struct rec). */
static const struct {
	const char *body;
	const struct ob_multipart_limits *lim;
	const char *want;
} cases[] = {
	/* The basics. */
	{ D "\r\n" CD "name=\"a\"\r\n\r\nhello" END, NULL, "{a}hello{/5}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\n1\r\n" D "\r\n" CD
	    "name=\"b\"\r\n\r\n22" END,
	    NULL, "{a}1{/1}{b}22{/2}" },
	{ D "\r\n" CD "name=\"f\"; filename=\"x.txt\"\r\n"
	    "Content-Type: text/plain\r\n\r\nfile body" END,
	    NULL, "{f|x.txt;text/plain}file body{/9}" },
	/* Several files, and a field among them. */
	{ D "\r\n" CD "name=\"file\"; filename=\"a.jpg\"\r\n"
	    "Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0"
	    "\r\n" D "\r\n" CD "name=\"csrf\"\r\n\r\ntok\r\n" D "\r\n" CD
	    "name=\"file\"; filename=\"b.pdf\"\r\n"
	    "Content-Type: application/pdf\r\n\r\n%PDF-1.7" END,
	    NULL,
	    "{file|a.jpg;image/jpeg}\xff\xd8\xff\xe0{/4}{csrf}tok{/3}"
	    "{file|b.pdf;application/pdf}%PDF-1.7{/8}" },
	/* Empty parts and empty bodies. */
	{ D "\r\n" CD "name=\"e\"\r\n\r\n" END, NULL, "{e}{/0}" },
	{ D "\r\n" CD "name=\"e\"\r\n\r\n\r\n" D "\r\n" CD
	    "name=\"f\"\r\n\r\n" END,
	    NULL, "{e}{/0}{f}{/0}" },
	{ D "\r\n" CD "name=\"f\"; filename=\"\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n" END,
	    NULL, "{f|;application/octet-stream}{/0}" },
	{ D "--", NULL, "" },
	{ D "--\r\n", NULL, "" },
	{ "", NULL, "!EINVAL" },
	/* CRLF at a part's end belongs to the delimiter, not the data. */
	{ D "\r\n" CD "name=\"a\"\r\n\r\nabc\r\n" END, NULL, "{a}abc\r\n{/5}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nabc\r\r\n" D "--", NULL,
	    "{a}abc\r{/4}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\n\r\n\r\n\r\n" D "--", NULL,
	    "{a}\r\n\r\n{/4}" },
	/* Boundary-like bytes inside data. */
	{ D "\r\n" CD "name=\"a\"\r\n\r\nx" D "y" END, NULL,
	    "{a}x" D "y{/10}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\n" D END, NULL, "{a}" D "{/8}" },
	/* The blank line's CRLF is not a delimiter's: this is data. */
	{ D "\r\n" CD "name=\"a\"\r\n\r\n" D "--\r\n", NULL,
	    "{a}" D "--!EINVAL" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nx\r\n--AaB03" END, NULL,
	    "{a}x\r\n--AaB03{/10}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nx\r\n--AaB0\r\n--AaB03" END, NULL,
	    "{a}x\r\n--AaB0\r\n--AaB03{/18}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\n\r\n-" END, NULL, "{a}\r\n-{/3}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\n\r\r\r\n\r\n-\r\n--" END, NULL,
	    "{a}\r\r\r\n\r\n-\r\n--{/11}" },
	/* A bare LF does not start a delimiter line. */
	{ D "\r\n" CD "name=\"a\"\r\n\r\nx\n" D "\r\nmore" END, NULL,
	    "{a}x\n" D "\r\nmore{/16}" },
	/* A delimiter followed by anything else is refused. */
	{ D "\r\n" CD "name=\"a\"\r\n\r\nx\r\n" D "y\r\n" END, NULL,
	    "{a}x!EINVAL" },
	{ D "x\r\n" CD "name=\"a\"\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "-x" END, NULL, "!EINVAL" },
	{ D "\n" CD "name=\"a\"\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r" CD "name=\"a\"\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D " \t x\r\n", NULL, "!EINVAL" },
	/* Transport padding. */
	{ D " \t \r\n" CD "name=\"a\"\r\n\r\nx\r\n" D "\t\r\n" CD
	    "name=\"b\"\r\n\r\ny" END,
	    NULL, "{a}x{/1}{b}y{/1}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nx\r\n" D "-- \r\n", NULL, "{a}x{/1}" },
	/* Preamble and epilogue. */
	{ "preamble\r\n" D "\r\n" CD "name=\"a\"\r\n\r\nx" END, NULL,
	    "{a}x{/1}" },
	{ "\r\n" D "\r\n" CD "name=\"a\"\r\n\r\nx" END, NULL, "{a}x{/1}" },
	{ "x" D "\r\n" CD "name=\"a\"\r\n\r\nx\r\n" D "--", NULL, "" },
	{ "pre" D "\r\nfake\r\n" D "\r\n" CD "name=\"a\"\r\n\r\nx" END, NULL,
	    "{a}x{/1}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nx" END "epilogue\r\n" D "\r\n" CD
	    "name=\"b\"\r\n\r\ny" END,
	    NULL, "{a}x{/1}" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nx\r\n" D "--junk", NULL, "{a}x{/1}" },
	{ "x" D "\r\n" CD "name=\"a\"\r\n\r\nx", NULL, "!EINVAL" },
	{ "\n" D "\r\n" CD "name=\"a\"\r\n\r\nx", NULL, "!EINVAL" },
	/* Missing or cut-off close delimiter. */
	{ D "\r\n" CD "name=\"a\"\r\n\r\nhello", NULL, "{a}hello!EINVAL" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nhello\r\n", NULL, "{a}hello!EINVAL" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nhello\r\n" D, NULL,
	    "{a}hello!EINVAL" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nhello\r\n" D "-", NULL,
	    "{a}hello!EINVAL" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nhello\r\n" D "\r\n", NULL,
	    "{a}hello{/5}!EINVAL" },
	{ D "\r\n" CD "name=\"a\"\r\n\r\nhello\r\n" D "  ", NULL,
	    "{a}hello!EINVAL" },
	{ D "\r\n" CD "name=\"a\"", NULL, "!EINVAL" },
	{ D "\r\n" CD "name=\"a\"\r\n", NULL, "!EINVAL" },
	{ D, NULL, "!EINVAL" },
	{ "no boundary at all", NULL, "!EINVAL" },
	{ "--AaB03y\r\n" CD "name=\"a\"\r\n\r\nx\r\n--AaB03y--", NULL,
	    "!EINVAL" },
	/* Header names and values. */
	{ D "\r\nCONTENT-DISPOSITION: FORM-DATA; NAME=\"a\"; FILENAME=\"B\"\r\n"
	    "content-TYPE:   Text/Plain; charset=utf-8  \r\n\r\nx" END,
	    NULL, "{a|B;Text/Plain; charset=utf-8}x{/1}" },
	{ D "\r\nContent-Disposition:form-data;name=a;filename=b."
	    "c\r\n\r\nx" END,
	    NULL, "{a|b.c}x{/1}" },
	{ D "\r\n" CD "name=\"a\"; size=3; creation-date=\"x; y\"\r\n"
	    "X-Other: whatever \"\r\n\r\nx" END,
	    NULL, "{a}x{/1}" },
	{ D "\r\n" CD "name=\"a\";\r\n\r\nx" END, NULL, "{a}x{/1}" },
	{ D "\r\nContent-Disposition: form-data;; name=\"a\" ; \r\n\r\nx" END,
	    NULL, "{a}x{/1}" },
	{ D "\r\n" CD "name=\"a\"\r\nContent-Transfer-Encoding: binary\r\n"
	    "\r\nx" END,
	    NULL, "{a}x{/1}" },
	{ D "\r\n" CD "name=\"a\"\r\nContent-Transfer-Encoding: 8BIT\r\n"
	    "\r\nx" END,
	    NULL, "{a}x{/1}" },
	{ D "\r\n" CD "name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n"
	    "\r\neA==" END,
	    NULL, "!EUNSUPP" },
	{ D "\r\n" CD "name=\"a\"\r\nContent-Transfer-Encoding: binary\r\n"
	    "Content-Transfer-Encoding: binary\r\n\r\nx" END,
	    NULL, "!EINVAL" },
	{ D "\r\nContent-Type: text/plain\r\n" CD "name=\"a\"\r\n\r\nx" END,
	    NULL, "{a;text/plain}x{/1}" },
	{ D "\r\n" CD "name=\"a\"\r\nContent-Type:\r\n\r\nx" END, NULL,
	    "{a}x{/1}" },
	/* Quoted-strings. */
	{ D "\r\n" CD "name=\"a\\\"b\\\\c\"\r\n\r\nx" END, NULL,
	    "{a\"b\\c}x{/1}" },
	{ D "\r\n" CD "name=\"a\\b\"\r\n\r\nx" END, NULL, "{a\\b}x{/1}" },
	{ D "\r\n" CD "name=\"a;b=c\"\r\n\r\nx" END, NULL, "{a;b=c}x{/1}" },
	{ D "\r\n" CD "name=\"a b\"\r\n\r\nx" END, NULL, "{a b}x{/1}" },
	{ D "\r\n" CD "name=\"a\"; filename=\"x\\\".txt\"\r\n\r\nx" END, NULL,
	    "{a|x\".txt}x{/1}" },
	{ D "\r\n" CD "name=\"a\"; filename=\"x%22.txt\"\r\n\r\nx" END, NULL,
	    "{a|x%22.txt}x{/1}" },
	{ D "\r\n" CD "name=\"a\\\"\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=\"a\r\n\r\nx" END, NULL, "!EINVAL" },
	/* Filenames: raw, paths and all. */
	{ D "\r\n" CD "name=\"f\"; filename=\"C:\\Users\\x\\report.pdf\"\r\n"
	    "\r\nx" END,
	    NULL, "{f|C:\\Users\\x\\report.pdf}x{/1}" },
	{ D "\r\n" CD "name=\"f\"; filename=\"../../etc/passwd\"\r\n\r\nx" END,
	    NULL, "{f|../../etc/passwd}x{/1}" },
	{ D "\r\n" CD "name=\"f\"; filename=\"\t.txt\"\r\n\r\nx" END, NULL,
	    "{f|\t.txt}x{/1}" },
	/* UTF-8 names; raw bytes in a filename. */
	{ D "\r\n" CD "name=\"\xc3\xa6\xc3\xb8\xc3\xa5\"; filename=\"\xc3\x86"
	    "ble.jpg\"\r\n\r\nx" END,
	    NULL,
	    "{\xc3\xa6\xc3\xb8\xc3\xa5|\xc3\x86"
	    "ble.jpg}x{/1}" },
	{ D "\r\n" CD "name=\"f\"; filename=\"\xe6"
	    "ble.jpg\"\r\n\r\nx" END,
	    NULL,
	    "{f|\xe6"
	    "ble.jpg}x{/1}" },
	{ D "\r\n" CD "name=\"\xe6\"\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=\"\xc0\xaf\"\r\n\r\nx" END, NULL, "!EINVAL" },
	/* Malformed headers. */
	{ D "\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\nContent-Type: text/plain\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\nContent-Disposition form-data; name=a\r\n\r\nx" END, NULL,
	    "!EINVAL" },
	{ D "\r\nContent-Disposition : form-data; name=a\r\n\r\nx" END, NULL,
	    "!EINVAL" },
	{ D "\r\n: x\r\n" CD "name=a\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a\r\n ; filename=b\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a\r\n\tfolded\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a\r\n\nx" END, NULL, "!EINVAL" },
	{ D "\r\nX: a\rb\r\n" CD "name=a\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\nX: a\x7f\r\n" CD "name=a\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\nX: a\x1b[0m\r\n" CD "name=a\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\nX\xc3\xa6: a\r\n" CD "name=a\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a\r\n" CD "name=b\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\nContent-Disposition: attachment; name=a\r\n\r\nx" END, NULL,
	    "!EINVAL" },
	{ D "\r\nContent-Disposition: form-data\r\n\r\nx" END, NULL,
	    "!EINVAL" },
	{ D "\r\nContent-Disposition: form-data; filename=a\r\n\r\nx" END, NULL,
	    "!EINVAL" },
	{ D "\r\n" CD "name=\"\"\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a; name=b\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a; NAME=a\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a; filename=b; filename=c\r\n\r\nx" END, NULL,
	    "!EINVAL" },
	{ D "\r\n" CD "name=a; filename*=UTF-8''%C3%A6.txt\r\n\r\nx" END, NULL,
	    "!EINVAL" },
	{ D "\r\n" CD "name=a; filename=b; FILENAME*=UTF-8''b\r\n\r\nx" END,
	    NULL, "!EINVAL" },
	{ D "\r\n" CD "name = a\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name= a\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a b\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a\"b\"\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\n" CD "name=\"a\tb\"\r\n\r\nx" END, NULL, "!EINVAL" },
	{ D "\r\nContent-Disposition: form-data name=a\r\n\r\nx" END, NULL,
	    "!EINVAL" },
	{ D "\r\n" CD
	    "name=a\r\nContent-Type: a\r\nContent-Type: b\r\n\r\nx" END,
	    NULL, "!EINVAL" },
	{ D "\r\n" CD "name=a\r\nContent-Type: text/\xc3\xa6\r\n\r\nx" END,
	    NULL, "!EINVAL" },
	/* A failure in the second part leaves the first one whole. */
	{ D "\r\n" CD "name=\"a\"\r\n\r\n1\r\n" D "\r\n" CD
	    "name=\"\"\r\n\r\n2" END,
	    NULL, "{a}1{/1}!EINVAL" },
	/* Limits: 2 parts, 128 header bytes, 3 lines, 4, 8, 5 bytes. */
	{ D "\r\n" CD "name=a\r\n\r\n1\r\n" D "\r\n" CD "name=b\r\n\r\n2" END,
	    &tight, "{a}1{/1}{b}2{/1}" },
	{ D "\r\n" CD "name=a\r\n\r\n1\r\n" D "\r\n" CD "name=b\r\n\r\n2\r\n" D
	    "\r\n" CD "name=c\r\n\r\n3" END,
	    &tight, "{a}1{/1}{b}2{/1}!ETOOBIG" },
	{ D "\r\n" CD "name=abcd\r\n\r\nx" END, &tight, "{abcd}x{/1}" },
	{ D "\r\n" CD "name=abcde\r\n\r\nx" END, &tight, "!ETOOBIG" },
	{ D "\r\n" CD "name=\"a\\\\\\\"d\"\r\n\r\nx" END, &tight,
	    "{a\\\"d}x{/1}" },
	{ D "\r\n" CD "name=\"\xc3\xa6\xc3\xa6\"\r\n\r\nx" END, &tight,
	    "{\xc3\xa6\xc3\xa6}x{/1}" },
	{ D "\r\n" CD "name=\"\xc3\xa6\xc3\xa6"
	    "a\"\r\n\r\nx" END,
	    &tight, "!ETOOBIG" },
	{ D "\r\n" CD "name=a; filename=12345678\r\n\r\nx" END, &tight,
	    "{a|12345678}x{/1}" },
	{ D "\r\n" CD "name=a; filename=\"123456789\"\r\n\r\nx" END, &tight,
	    "!ETOOBIG" },
	{ D "\r\n" CD "name=a\r\n\r\n12345" END, &tight, "{a}12345{/5}" },
	{ D "\r\n" CD "name=a\r\n\r\n123456" END, &tight, "{a}12345!ETOOBIG" },
	{ D "\r\n" CD "name=a\r\n\r\n1234\r\n" END, &tight,
	    "{a}1234\r!ETOOBIG" },
	{ D "\r\n" CD "name=a; filename=f\r\n\r\n123456789" END, &tight,
	    "{a|f}123456789{/9}" },
	{ D "\r\n" CD "name=a\r\nX: 1\r\nY: 2\r\n\r\nx" END, &tight,
	    "{a}x{/1}" },
	{ D "\r\n" CD "name=a\r\nX: 1\r\nY: 2\r\nZ: 3\r\n\r\nx" END, &tight,
	    "!ETOOBIG" },
};

static void
test_cases(void)
{
	struct ob_buf t = OB_BUF_INIT(1 << 22);

	for (size_t i = 0; i < OB_NELEM(cases); i++) {
		const char *want = cases[i].want;
		size_t wl = strlen(want);

		(void)parse_all_ways(
		    cases[i].body, strlen(cases[i].body), cases[i].lim, &t);
		if (t.len != wl || memcmp(t.data, want, wl) != 0) {
			fprintf(stderr, "case %zu: %s\n", i, cases[i].body);
			CHECK_STR(ob_buf_cstr(&t), want);
		}
	}
	CHECK_INT(split_mismatch, 0);
	ob_buf_release(&t);
}

/* The 128-byte header block of tight: exactly at it, and one past. */
static void
test_header_bytes(void)
{
	struct ob_buf body = OB_BUF_INIT(4096), t = OB_BUF_INIT(4096);
	/* "Content-Disposition: form-data; name=a\r\n" + "X: ...\r\n" +
	 * "\r\n" = 128 bytes. */
	size_t fill = 128 - strlen(CD "name=a\r\n") - strlen("X: \r\n") - 2;

	for (int extra = 0; extra <= 1; extra++) {
		int rc = 0;

		ob_buf_reset(&body);
		rc |= ob_buf_puts(&body, D "\r\n" CD "name=a\r\nX: ");
		for (size_t i = 0; i < fill + (size_t)extra; i++)
			rc |= ob_buf_putc(&body, 'h');
		rc |= ob_buf_puts(&body, "\r\n\r\nx" END);
		CHECK_INT(rc, 0);
		rc = parse_all_ways(body.data, body.len, &tight, &t);
		CHECK_INT(rc, extra ? OB_ETOOBIG : 0);
	}
	ob_buf_release(&body);
	ob_buf_release(&t);
}

/* max_total counts every byte; the bytes before it are parsed. */
static void
test_total(void)
{
	const char body[] =
	    D "\r\n" CD "name=a; filename=f\r\n\r\n0123456789" END "epilogue";
	struct ob_multipart_limits lim = ob_multipart_default_limits;
	struct ob_buf t = OB_BUF_INIT(4096);
	size_t len = sizeof(body) - 1;

	lim.max_total = len;
	CHECK_INT(parse_all_ways(body, len, &lim, &t), 0);
	CHECK_STR(ob_buf_cstr(&t), "{a|f}0123456789{/10}");
	lim.max_total = len - 1;
	CHECK_INT(parse_all_ways(body, len, &lim, &t), OB_ETOOBIG);
	CHECK_STR(ob_buf_cstr(&t), "{a|f}0123456789{/10}!ETOOBIG");
	/* Cut inside the data: what came before the cap was delivered. */
	lim.max_total = (size_t)(strstr(body, "5") - body);
	CHECK_INT(parse_all_ways(body, len, &lim, &t), OB_ETOOBIG);
	CHECK_STR(ob_buf_cstr(&t), "{a|f}01234!ETOOBIG");
	ob_buf_release(&t);
}

/* Bodies with NUL bytes, which the table cannot hold. */
static void
test_nul(void)
{
	static const char in_data[] = D "\r\n" CD "name=a\r\n\r\nx\0y" END;
	static const char in_head[] =
	    D "\r\n" CD "name=a\r\nX: \0\r\n\r\nx" END;
	static const char in_name[] = D "\r\n" CD "name=\"a\0\"\r\n\r\nx" END;
	struct ob_buf t = OB_BUF_INIT(4096);

	CHECK_INT(parse_all_ways(in_data, sizeof(in_data) - 1, NULL, &t), 0);
	CHECK(t.len == 10 && memcmp(t.data, "{a}x\0y{/3}", 10) == 0);
	CHECK_INT(
	    parse_all_ways(in_head, sizeof(in_head) - 1, NULL, &t), OB_EINVAL);
	CHECK_INT(
	    parse_all_ways(in_name, sizeof(in_name) - 1, NULL, &t), OB_EINVAL);
	ob_buf_release(&t);
}

/* The default limits, at and one past each. */
static void
test_defaults(void)
{
	const struct ob_multipart_limits *d = &ob_multipart_default_limits;
	struct ob_buf body = OB_BUF_INIT(1 << 20), t = OB_BUF_INIT(1 << 20);
	int rc = 0;

	CHECK_INT(d->max_parts, 32);
	CHECK_INT(d->max_header_bytes, 8192);
	CHECK_INT(d->max_header_lines, 8);
	CHECK_INT(d->max_name_len, 64);
	CHECK_INT(d->max_filename_len, 255);
	CHECK_INT(d->max_field_len, 65536);
	CHECK_INT(d->max_total, 64 << 20);

	for (int n = 32; n <= 33; n++) {
		ob_buf_reset(&body);
		for (int i = 0; i < n; i++)
			rc |= ob_buf_printf(
			    &body, D "\r\n" CD "name=f%d\r\n\r\n%d\r\n", i, i);
		rc |= ob_buf_puts(&body, D "--");
		CHECK_INT(rc, 0);
		struct chunker ck = { .mode = ONE_SHOT, .k = 0, .seed = 0 };
		CHECK_INT(parse_with(body.data, body.len, NULL, &ck, &t),
		    n == 32 ? 0 : OB_ETOOBIG);
	}
	/* A 64 KiB field, then 64 KiB + 1. */
	for (int extra = 0; extra <= 1; extra++) {
		struct chunker ck = { .mode = RANDOM, .k = 0, .seed = 99 };

		ob_buf_reset(&body);
		rc |= ob_buf_puts(&body, D "\r\n" CD "name=a\r\n\r\n");
		for (int i = 0; i < 65536 + extra; i++)
			rc |= ob_buf_putc(&body, (char)('a' + i % 26));
		rc |= ob_buf_puts(&body, END);
		CHECK_INT(rc, 0);
		CHECK_INT(parse_with(body.data, body.len, NULL, &ck, &t),
		    extra ? OB_ETOOBIG : 0);
	}
	/* 255-byte filename, then 256; 64-byte name, then 65. */
	for (int extra = 0; extra <= 1; extra++) {
		struct chunker ck = { .mode = ONE_SHOT, .k = 0, .seed = 0 };

		ob_buf_reset(&body);
		rc |= ob_buf_puts(&body, D "\r\n" CD "name=a; filename=\"");
		for (int i = 0; i < 255 + extra; i++)
			rc |= ob_buf_putc(&body, 'f');
		rc |= ob_buf_puts(&body, "\"\r\n\r\nx" END);
		CHECK_INT(rc, 0);
		CHECK_INT(parse_with(body.data, body.len, NULL, &ck, &t),
		    extra ? OB_ETOOBIG : 0);

		ob_buf_reset(&body);
		rc |= ob_buf_puts(&body, D "\r\n" CD "name=");
		for (int i = 0; i < 64 + extra; i++)
			rc |= ob_buf_putc(&body, 'n');
		rc |= ob_buf_puts(&body, "\r\n\r\nx" END);
		CHECK_INT(rc, 0);
		CHECK_INT(parse_with(body.data, body.len, NULL, &ck, &t),
		    extra ? OB_ETOOBIG : 0);
	}
	/* A 255-byte Content-Type, then 256. */
	for (int extra = 0; extra <= 1; extra++) {
		struct chunker ck = { .mode = ONE_SHOT, .k = 0, .seed = 0 };

		ob_buf_reset(&body);
		rc |=
		    ob_buf_puts(&body, D "\r\n" CD "name=a\r\nContent-Type: ");
		for (int i = 0; i < OB_MULTIPART_CTYPE_MAX + extra; i++)
			rc |= ob_buf_putc(&body, 't');
		rc |= ob_buf_puts(&body, "\r\n\r\nx" END);
		CHECK_INT(rc, 0);
		CHECK_INT(parse_with(body.data, body.len, NULL, &ck, &t),
		    extra ? OB_ETOOBIG : 0);
		if (!extra)
			CHECK_INT(t.len, strlen("{a;}x{/1}") + 255);
	}
	/* 8 header lines, then 9. */
	for (int extra = 0; extra <= 1; extra++) {
		struct chunker ck = { .mode = FIXED, .k = 1, .seed = 0 };

		ob_buf_reset(&body);
		rc |= ob_buf_puts(&body, D "\r\n" CD "name=a\r\n");
		for (int i = 0; i < 7 + extra; i++)
			rc |= ob_buf_printf(&body, "X-%d: y\r\n", i);
		rc |= ob_buf_puts(&body, "\r\nx" END);
		CHECK_INT(rc, 0);
		CHECK_INT(parse_with(body.data, body.len, NULL, &ck, &t),
		    extra ? OB_ETOOBIG : 0);
	}
	ob_buf_release(&body);
	ob_buf_release(&t);
}

/*
 * A header block far past its cap: refused after 8 KiB, without the
 * parser allocating anything while it reads it.
 */
static void
test_huge_headers(void)
{
	const size_t big = 1 << 20;
	char *body = malloc(big);
	struct rec r = { .t = OB_BUF_INIT(4096) };
	struct ob_multipart *p = NULL;
	struct mallinfo2 before, after;
	size_t pre;

	CHECK(body != NULL);
	if (body == NULL)
		return;
	pre = (size_t)snprintf(body, big, D "\r\n" CD "name=a\r\nX: ");
	memset(body + pre, 'h', big - pre);
	CHECK_INT(ob_multipart_new(BOUNDARY, NULL, &rec_cb, &r, &p), 0);
	CHECK_INT(ob_buf_putc(&r.t, 0), 0); /* allocate before measuring */
	ob_buf_reset(&r.t);
	before = mallinfo2();
	CHECK_INT(ob_multipart_feed(p, body, 4096), 0);
	CHECK_INT(ob_multipart_feed(p, body + 4096, big - 4096), OB_ETOOBIG);
	CHECK_INT(ob_multipart_feed(p, body, 1), OB_ETOOBIG);
	after = mallinfo2();
	CHECK_INT(after.uordblks, before.uordblks);
	CHECK_INT(r.calls, 0);
	CHECK_INT(ob_multipart_finish(p), OB_ETOOBIG);
	ob_multipart_free(p);

	/* Many short lines instead: the line cap. */
	for (size_t i = pre; i + 6 < big; i += 6)
		memcpy(body + i, "\r\nX: y", 6);
	CHECK_INT(ob_multipart_new(BOUNDARY, NULL, &rec_cb, &r, &p), 0);
	CHECK_INT(ob_multipart_feed(p, body, big), OB_ETOOBIG);
	ob_multipart_free(p);
	ob_buf_release(&r.t);
	free(body);
}

/* Hashes what it is given, allocating nothing (FNV-1a). */
struct sink {
	uint64_t hash;
	uint64_t bytes;
	size_t parts, ends, bad;
};

static void
fnv(uint64_t *h, const char *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		*h ^= (unsigned char)d[i];
		*h *= 0x100000001b3ULL;
	}
}

static int
sink_begin(void *arg, const struct ob_multipart_part *pt)
{
	struct sink *s = arg;

	s->parts++;
	s->bad += strcmp(pt->name, "file") != 0;
	return 0;
}

static int
sink_data(
    void *arg, const struct ob_multipart_part *pt, const char *d, size_t n)
{
	struct sink *s = arg;

	fnv(&s->hash, d, n);
	s->bytes += n;
	s->bad += pt->len != s->bytes;
	return 0;
}

static int
sink_end(void *arg, const struct ob_multipart_part *pt)
{
	struct sink *s = arg;

	s->ends++;
	s->bad += pt->len != s->bytes;
	return 0;
}

/*
 * A 1 MiB file full of CRs, CRLFs and near-delimiters, fed in random
 * chunks of 1 byte to 64 KiB: the bytes come out exactly, and the heap
 * does not grow while they pass through.
 */
static void
test_large(void)
{
	static const struct ob_multipart_cb cb = { sink_begin, sink_data,
		sink_end };
	const size_t size = 1 << 20;
	const char head[] = D "\r\n" CD "name=file; filename=big.bin\r\n"
			      "Content-Type: application/octet-stream\r\n\r\n";
	const char tail[] = END;
	size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
	size_t total = hl + size + tl;
	char *body = malloc(total), *data;
	uint64_t seed = 0x1234567, want = 0xcbf29ce484222325ULL;

	CHECK(body != NULL);
	if (body == NULL)
		return;
	memcpy(body, head, hl);
	data = body + hl;
	for (size_t i = 0; i < size;) {
		uint64_t r = next_rand(&seed);
		/* Prefixes of the delimiter, cut short or spoiled. */
		static const char *const near[] = { "\r", "\r\n", "\r\n-",
			"\r\n--", "\r\n--AaB03", "\r\n--AaB03X", "\n--AaB03x",
			"--AaB03x", "\r\r\n--AaB0" };
		const char *s = near[r % OB_NELEM(near)];
		size_t sl = strlen(s);

		if (r % 5 == 0 && i + sl <= size) {
			memcpy(data + i, s, sl);
			i += sl;
		} else {
			data[i++] = (char)(r >> 24);
		}
	}
	/* Random bytes could spell the delimiter: spoil any such place. */
	for (char *q = data;
	     (q = memmem(q, (size_t)(data + size - q), "\r\n" D, 10)) != NULL;)
		q[2] = 'x';
	memcpy(data + size, tail, tl);
	fnv(&want, data, size);

	for (int round = 0; round < 4; round++) {
		struct sink s = { .hash = 0xcbf29ce484222325ULL };
		struct ob_multipart *p = NULL;
		struct mallinfo2 before, after;
		size_t pos = 0;
		int rc = 0;

		CHECK_INT(ob_multipart_new(BOUNDARY, NULL, &cb, &s, &p), 0);
		before = mallinfo2();
		while (pos < total && rc == 0) {
			size_t n = round == 0 ? total
					      : (size_t)(next_rand(&seed) %
						    (round == 1 ? 16 : 65536)) +
				1;

			if (n > total - pos)
				n = total - pos;
			rc = ob_multipart_feed(p, body + pos, n);
			pos += n;
		}
		CHECK_INT(rc, 0);
		CHECK_INT(ob_multipart_finish(p), 0);
		after = mallinfo2();
		CHECK_INT(after.uordblks, before.uordblks);
		CHECK_INT(s.bytes, size);
		CHECK(s.hash == want);
		CHECK_INT(s.parts, 1);
		CHECK_INT(s.ends, 1);
		CHECK_INT(s.bad, 0);
		CHECK_INT(ob_multipart_nparts(p), 1);
		ob_multipart_free(p);
	}
	free(body);
}

/* A callback's error stops the parser and sticks. */
static void
test_callback_errors(void)
{
	const char body[] =
	    D "\r\n" CD "name=a\r\n\r\n1\r\n" D "\r\n" CD "name=b\r\n\r\n2" END;
	struct ob_buf t = OB_BUF_INIT(4096);

	for (int at = 1; at <= 6; at++) {
		struct rec r = { .t = OB_BUF_INIT(4096),
			.fail_at = at,
			.fail_rc = at == 6 ? 7 : OB_EPERM };
		struct ob_multipart *p = NULL;
		int want = at == 6 ? OB_EINTERNAL : OB_EPERM;

		CHECK_INT(ob_multipart_new(BOUNDARY, NULL, &rec_cb, &r, &p), 0);
		CHECK_INT(ob_multipart_feed(p, body, sizeof(body) - 1), want);
		CHECK_INT(r.calls, at);
		CHECK_INT(ob_multipart_feed(p, body, sizeof(body) - 1), want);
		CHECK_INT(ob_multipart_finish(p), want);
		CHECK_INT(r.calls, at);
		ob_multipart_free(p);
		ob_buf_release(&r.t);
	}

	/* Calling back into the parser is refused, and harmless. */
	{
		struct rec r = { .t = OB_BUF_INIT(4096) };
		struct ob_multipart *p = NULL;

		CHECK_INT(ob_multipart_new(BOUNDARY, NULL, &rec_cb, &r, &p), 0);
		r.self = p;
		CHECK_INT(ob_multipart_feed(p, body, sizeof(body) - 1), 0);
		CHECK_INT(r.reenter_rc, OB_EINTERNAL);
		CHECK_INT(r.reenter_rc2, OB_EINTERNAL);
		CHECK_INT(ob_multipart_finish(p), 0);
		CHECK_STR(ob_buf_cstr(&r.t), "{a}1{/1}{b}2{/1}");
		ob_multipart_free(p);
		ob_buf_release(&r.t);
	}

	/* NULL callbacks are fine. */
	{
		struct ob_multipart *p = NULL;

		CHECK_INT(ob_multipart_new(BOUNDARY, NULL, NULL, NULL, &p), 0);
		CHECK_INT(ob_multipart_feed(p, body, sizeof(body) - 1), 0);
		CHECK_INT(ob_multipart_finish(p), 0);
		CHECK_INT(ob_multipart_nparts(p), 2);
		ob_multipart_free(p);
	}
	ob_buf_release(&t);
}

static void
test_new(void)
{
	struct ob_multipart *p = (struct ob_multipart *)&p;
	struct ob_multipart_limits lim = ob_multipart_default_limits;
	char b71[72];

	memset(b71, 'b', 71);
	b71[71] = '\0';
	CHECK_INT(ob_multipart_new(NULL, NULL, NULL, NULL, &p), OB_EINVAL);
	CHECK_INT(ob_multipart_new("", NULL, NULL, NULL, &p), OB_EINVAL);
	CHECK_INT(ob_multipart_new("a b ", NULL, NULL, NULL, &p), OB_EINVAL);
	CHECK_INT(ob_multipart_new("a\r\nb", NULL, NULL, NULL, &p), OB_EINVAL);
	CHECK_INT(ob_multipart_new("a\"b", NULL, NULL, NULL, &p), OB_EINVAL);
	CHECK_INT(ob_multipart_new(b71, NULL, NULL, NULL, &p), OB_EINVAL);
	lim.max_parts = 0;
	CHECK_INT(ob_multipart_new("x", &lim, NULL, NULL, &p), OB_EINVAL);
	lim = ob_multipart_default_limits;
	lim.max_header_bytes = OB_MULTIPART_HEADER_BYTES_MAX + 1;
	CHECK_INT(ob_multipart_new("x", &lim, NULL, NULL, &p), OB_EINVAL);
	lim.max_header_bytes = 0;
	CHECK_INT(ob_multipart_new("x", &lim, NULL, NULL, &p), OB_EINVAL);
	lim = ob_multipart_default_limits;
	lim.max_header_lines = 0;
	CHECK_INT(ob_multipart_new("x", &lim, NULL, NULL, &p), OB_EINVAL);
	lim = ob_multipart_default_limits;
	lim.max_name_len = 0;
	CHECK_INT(ob_multipart_new("x", &lim, NULL, NULL, &p), OB_EINVAL);
	CHECK(p == (struct ob_multipart *)&p);

	/* Huge name caps are clamped to the header block, not allocated. */
	lim = ob_multipart_default_limits;
	lim.max_name_len = SIZE_MAX;
	lim.max_filename_len = SIZE_MAX;
	CHECK_INT(ob_multipart_new("x", &lim, NULL, NULL, &p), 0);
	CHECK_INT(ob_multipart_feed(p, "--x--", 5), 0);
	CHECK_INT(ob_multipart_finish(p), 0);
	CHECK_INT(ob_multipart_nparts(p), 0);
	ob_multipart_free(p);
	ob_multipart_free(NULL);

	b71[70] = '\0';
	CHECK_INT(ob_multipart_new(b71, NULL, NULL, NULL, &p), 0);
	ob_multipart_free(p);
	CHECK_INT(ob_multipart_new("'()+_,-./:=? x", NULL, NULL, NULL, &p), 0);
	ob_multipart_free(p);
}

/* A boundary with spaces and the odd bchars. */
static void
test_odd_boundary(void)
{
	const char body[] = "--a b:c=d?\r\n" CD "name=x\r\n\r\n"
			    "--a b:c=d?x\r\n--a b:c=d? \r\n" CD
			    "name=y\r\n\r\n\r\n--a b:c=d?--";
	struct rec r = { .t = OB_BUF_INIT(4096) };
	struct ob_multipart *p = NULL;

	CHECK_INT(ob_multipart_new("a b:c=d?", NULL, &rec_cb, &r, &p), 0);
	CHECK_INT(ob_multipart_feed(p, body, sizeof(body) - 1), 0);
	CHECK_INT(ob_multipart_finish(p), 0);
	CHECK_STR(ob_buf_cstr(&r.t), "{x}--a b:c=d?x{/11}{y}{/0}");
	ob_multipart_free(p);
	ob_buf_release(&r.t);
}

static const struct {
	const char *ct;
	int rc;
	const char *want;
} boundary_cases[] = {
	{ "multipart/form-data; boundary=AaB03x", 0, "AaB03x" },
	{ "Multipart/Form-Data; BOUNDARY=AaB03x", 0, "AaB03x" },
	{ "multipart/form-data; boundary=\"AaB03x\"", 0, "AaB03x" },
	{ "multipart/form-data;boundary=x", 0, "x" },
	{ "  multipart/form-data ; boundary=x  ", 0, "x" },
	{ "multipart/form-data; charset=utf-8; boundary=x", 0, "x" },
	{ "multipart/form-data; boundary=x; charset=\"utf\\-8\"", 0, "x" },
	{ "multipart/form-data; boundary=x;", 0, "x" },
	{ "multipart/form-data;; boundary=x", 0, "x" },
	{ "multipart/form-data; boundary=\"a b:c=d?\"", 0, "a b:c=d?" },
	{ "multipart/form-data; boundary=\"'()+_,-./:=? x\"", 0,
	    "'()+_,-./:=? x" },
	{ "multipart/form-data; boundary=a'b+c_d-e.f", 0, "a'b+c_d-e.f" },
	{ "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
	    0, "----WebKitFormBoundary7MA4YWxkTrZu0gW" },
	{ "multipart/form-data; boundary=-------------------------"
	  "--9051914041544843365972754266",
	    0, "---------------------------9051914041544843365972754266" },
	{ "multipart/form-data; boundary=------------------------"
	  "d74496d66958873e",
	    0, "------------------------d74496d66958873e" }, /* curl */
	{ "multipart/form-data; boundary=1234567890123456789012345678901234567"
	  "890123456789012345678901234567890",
	    0,
	    "1234567890123456789012345678901234567890123456789012345678901234"
	    "567890" },
	{ "multipart/form-data; boundary=1234567890123456789012345678901234567"
	  "8901234567890123456789012345678901",
	    OB_EINVAL, NULL },
	{ "", OB_EINVAL, NULL },
	{ "multipart/form-data", OB_EINVAL, NULL },
	{ "multipart/form-data;", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"\"", OB_EINVAL, NULL },
	{ "multipart/mixed; boundary=x", OB_EINVAL, NULL },
	{ "multipart/form-datax; boundary=x", OB_EINVAL, NULL },
	{ "multipart/form-data x; boundary=x", OB_EINVAL, NULL },
	{ "multipart/ form-data; boundary=x", OB_EINVAL, NULL },
	{ "multipart /form-data; boundary=x", OB_EINVAL, NULL },
	{ "text/plain; boundary=x", OB_EINVAL, NULL },
	{ "application/x-www-form-urlencoded", OB_EINVAL, NULL },
	{ "multipart/form-data boundary=x", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=x; boundary=y", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=x; Boundary=x", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary = x", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary =x", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary= x", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=a b", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"a\\b\"", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"a\\\"b\"", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"x \"", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\" \"", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"a@b\"", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=a!b", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"abc", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=ab\xc3\xa6", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"ab\xc3\xa6\"", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=a\x01", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"a\tb\"", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=\"a\x7f\"", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=x; charset", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=x; charset=\"a", OB_EINVAL, NULL },
	{ "multipart/form-data; boundary=x y=z", OB_EINVAL, NULL },
};

static void
test_boundary(void)
{
	char out[OB_MULTIPART_BOUNDARY_MAX + 1], small[4];

	for (size_t i = 0; i < OB_NELEM(boundary_cases); i++) {
		int rc;

		snprintf(out, sizeof(out), "untouched");
		rc = ob_multipart_boundary(
		    boundary_cases[i].ct, out, sizeof(out));
		if (rc != boundary_cases[i].rc)
			fprintf(stderr, "boundary case %zu: %s\n", i,
			    boundary_cases[i].ct);
		CHECK_INT(rc, boundary_cases[i].rc);
		CHECK_STR(out,
		    boundary_cases[i].rc == 0 ? boundary_cases[i].want
					      : "untouched");
	}
	CHECK_INT(ob_multipart_boundary(NULL, out, sizeof(out)), OB_EINVAL);
	CHECK_INT(ob_multipart_boundary("multipart/form-data; boundary=abc",
		      small, sizeof(small)),
	    0);
	CHECK_STR(small, "abc");
	CHECK_INT(ob_multipart_boundary("multipart/form-data; boundary=abcd",
		      small, sizeof(small)),
	    OB_ETOOBIG);
}

static const struct {
	const char *in;
	size_t outsz;
	int rc;
	const char *want;
} fn_cases[] = {
	{ "report.pdf", 256, 0, "report.pdf" },
	{ "C:\\Users\\x\\report.pdf", 256, 0, "report.pdf" },
	{ "../../etc/passwd", 256, 0, "passwd" },
	{ "a/b\\c", 256, 0, "c" },
	{ ".bashrc", 256, 0, ".bashrc" },
	{ "  spaced name.txt  ", 256, 0, "spaced name.txt" },
	{ "file.txt.", 256, 0, "file.txt" },
	{ "file.txt . . ", 256, 0, "file.txt" },
	{ "a\tb\x01"
	  "c\x7f.txt",
	    256, 0, "abc.txt" },
	{ "\x1b[31mred.txt", 256, 0, "[31mred.txt" },
	{ "in\xe2\x80\xae"
	  "fdp.exe",
	    256, 0, "infdp.exe" },
	{ "a\xe2\x80\x8b"
	  "b\xe2\x81\xa6"
	  "c\xd8\x9c"
	  "d",
	    256, 0, "abcd" },
	{ "\xef\xbb\xbf"
	  "bom.txt",
	    256, 0, "bom.txt" },
	{ "x\xc2\x85y", 256, 0, "xy" },
	{ "\xc3\xa6"
	  "bler.jpg",
	    256, 0,
	    "\xc3\xa6"
	    "bler.jpg" },
	{ "\xf0\x9f\x98\x80.png", 256, 0, "\xf0\x9f\x98\x80.png" },
	{ "bad\xff.txt", 256, 0, "bad_.txt" },
	{ "\xc3(", 256, 0, "_(" },
	{ "x\xe2\x82", 256, 0, "x__" },
	{ "\xc0\xaf", 256, 0, "__" },
	{ "\xed\xa0\x80", 256, 0, "___" },
	{ "\xf4\x90\x80\x80", 256, 0, "____" },
	{ "a\"b.txt", 256, 0, "a_b.txt" },
	{ "x%22.txt", 256, 0, "x%22.txt" },
	{ "", 256, OB_EINVAL, "" },
	{ ".", 256, OB_EINVAL, "" },
	{ "..", 256, OB_EINVAL, "" },
	{ "...", 256, OB_EINVAL, "" },
	{ " . ", 256, OB_EINVAL, "" },
	{ "/", 256, OB_EINVAL, "" },
	{ "dir/", 256, OB_EINVAL, "" },
	{ "a\\..", 256, OB_EINVAL, "" },
	{ "\x01\x02", 256, OB_EINVAL, "" },
	{ "\xe2\x80\xae", 256, OB_EINVAL, "" },
	/* Cut to fit, at a character, keeping a short extension. */
	{ "abcdef", 4, 0, "abc" },
	{ "abcdef.txt", 8, 0, "abc.txt" },
	{ "abc def.txt", 9, 0, "abc.txt" },
	{ "ab...cd.txt", 8, 0, "ab.txt" },
	{ "abcdef.longextension12345", 8, 0, "abcdef" },
	{ "\xc3\xa6\xc3\xa6\xc3\xa6\xc3\xa6.txt", 10, 0,
	    "\xc3\xa6\xc3\xa6.txt" },
	{ "\xc3\xa6\xc3\xa6\xc3\xa6\xc3\xa6.txt", 9, 0,
	    "\xc3\xa6\xc3\xa6.txt" },
	{ "\xc3\xa6\xc3\xa6\xc3\xa6\xc3\xa6", 4, 0, "\xc3\xa6" },
	{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 4, OB_ETOOBIG, "" },
	{ ".abcdef", 2, OB_ETOOBIG, "" },
	{ "a", 1, OB_ETOOBIG, "" },
	{ "ab", 2, 0, "a" },
};

/* What every successful result must be. */
static bool
fn_clean(const char *s, size_t outsz)
{
	size_t n = strlen(s);

	if (n == 0 || n >= outsz || !ob_utf8_valid(s, n))
		return false;
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	if (s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '"')
			return false;
		if (c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)
			return false;
		if (c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
		    (unsigned char)s[i + 2] == 0xae)
			return false;
	}
	return true;
}

static void
test_safe_filename(void)
{
	char out[256];
	int bad = 0;

	for (size_t i = 0; i < OB_NELEM(fn_cases); i++) {
		int rc;

		CHECK(fn_cases[i].outsz <= sizeof(out));
		rc = ob_multipart_safe_filename(
		    fn_cases[i].in, out, fn_cases[i].outsz);
		if (rc != fn_cases[i].rc)
			fprintf(stderr, "filename case %zu: %s\n", i,
			    fn_cases[i].in);
		CHECK_INT(rc, fn_cases[i].rc);
		CHECK_STR(out, fn_cases[i].want);
		if (rc == 0)
			CHECK(fn_clean(out, fn_cases[i].outsz));
	}
	CHECK_INT(
	    ob_multipart_safe_filename(NULL, out, sizeof(out)), OB_EINVAL);
	CHECK_INT(ob_multipart_safe_filename("a", out, 0), OB_ETOOBIG);

	/* A long name keeps its extension and stays within outsz. */
	{
		char in[400];

		memset(in, 'a', 300);
		memcpy(in + 300, ".jpg", 5);
		CHECK_INT(ob_multipart_safe_filename(in, out, sizeof(out)), 0);
		CHECK_INT(strlen(out), 255);
		CHECK_STR(out + 251, ".jpg");
	}

	/* Every 1-, 2- and 3-byte name, at two sizes. */
	for (unsigned a = 1; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			for (unsigned c = 0; c < 256;
			     c += (a >= 0xc0 && b >= 0x80 ? 1 : 37)) {
				char in[4] = { (char)a, (char)b, (char)c, 0 };

				for (size_t sz = 3; sz <= 5; sz += 2) {
					int rc = ob_multipart_safe_filename(
					    in, out, sz);

					if (rc == 0 ? !fn_clean(out, sz)
						    : out[0] != '\0')
						bad++;
				}
				if (b == 0)
					break;
			}
		}
	}
	CHECK_INT(bad, 0);
}

int
main(void)
{
	test_boundary();
	test_new();
	test_cases();
	test_header_bytes();
	test_total();
	test_nul();
	test_defaults();
	test_huge_headers();
	test_large();
	test_callback_errors();
	test_odd_boundary();
	test_safe_filename();
	return CHECK_DONE();
}
