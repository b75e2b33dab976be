/*
 * fuzz_multipart.c - the streaming multipart parser, ob_multipart_boundary
 * and ob_multipart_safe_filename.
 *
 * Input: one control byte c; (c & 7) chunk sizes, one byte each; a
 * Content-Type line up to the first '\n' (its boundary is used when
 * ob_multipart_boundary accepts it, else "AaB03x"); the rest is the
 * body.  The body is parsed one-shot and in chunks of the given sizes
 * (cycled; 0 is an empty feed), with default and with tight limits.
 *
 * Invariants: no crash or leak; the chunked parse makes the same
 * callbacks with the same bytes and ends the same as the one-shot one;
 * callbacks nest properly and respect every limit; tight limits succeed
 * only where the default ones give the same result; a successful parse
 * written out again with another boundary parses back to the same
 * parts; every filename comes out of ob_multipart_safe_filename clean.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/form.h"
#include "lib/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static const struct ob_multipart_limits tight = {
	.max_parts = 3,
	.max_header_bytes = 100,
	.max_header_lines = 2,
	.max_name_len = 4,
	.max_filename_len = 8,
	.max_field_len = 16,
	.max_total = 512,
};

/* One part as recorded, for writing the body out again. */
struct part {
	char name[256], filename[256], ctype[OB_MULTIPART_CTYPE_MAX + 1];
	bool is_file;
	size_t off, len; /* of its data in rec.data */
};

/*
 * The callbacks' transcript ("{name|filename;type}data{/len}"), and the
 * parts themselves.
 */
struct rec {
	const struct ob_multipart_limits *lim;
	struct ob_buf t, data;
	struct part parts[32];
	size_t nparts;
	bool open;
};

static void
check_clean_filename(const char *raw)
{
	char out[256];
	int rc = ob_multipart_safe_filename(raw, out, sizeof(out));
	size_t n = strlen(out);

	REQUIRE(rc == 0 || rc == OB_EINVAL);
	if (rc != 0) {
		REQUIRE(n == 0);
		return;
	}
	REQUIRE(n > 0 && n < sizeof(out) && ob_utf8_valid(out, n));
	REQUIRE(out[0] != ' ' && out[n - 1] != ' ' && out[n - 1] != '.');
	REQUIRE(strcmp(out, ".") != 0 && strcmp(out, "..") != 0);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		REQUIRE(c >= 0x20 && c != 0x7f);
		REQUIRE(c != '/' && c != '\\' && c != '"');
	}
	/* Cleaning is idempotent. */
	{
		char again[256];

		REQUIRE(
		    ob_multipart_safe_filename(out, again, sizeof(again)) == 0);
		REQUIRE(strcmp(out, again) == 0);
	}
}

static int
on_begin(void *arg, const struct ob_multipart_part *pt)
{
	struct rec *r = arg;
	struct part *p;

	REQUIRE(!r->open && pt->len == 0);
	REQUIRE(pt->index == r->nparts && r->nparts < r->lim->max_parts);
	REQUIRE(pt->name_len > 0 && pt->name_len <= r->lim->max_name_len);
	REQUIRE(strlen(pt->name) == pt->name_len);
	REQUIRE(ob_utf8_valid(pt->name, pt->name_len));
	for (size_t i = 0; i < pt->name_len; i++)
		REQUIRE(
		    (unsigned char)pt->name[i] >= 0x20 && pt->name[i] != 0x7f);
	if (pt->filename != NULL) {
		REQUIRE(pt->filename_len <= r->lim->max_filename_len);
		REQUIRE(strlen(pt->filename) == pt->filename_len);
		check_clean_filename(pt->filename);
	}
	REQUIRE(strlen(pt->content_type) <= OB_MULTIPART_CTYPE_MAX);
	for (const char *c = pt->content_type; *c != '\0'; c++)
		REQUIRE((unsigned char)*c < 0x7f &&
		    ((unsigned char)*c >= 0x20 || *c == '\t'));

	p = &r->parts[r->nparts++];
	REQUIRE(pt->name_len < sizeof(p->name));
	memcpy(p->name, pt->name, pt->name_len + 1);
	p->is_file = pt->filename != NULL;
	if (p->is_file) {
		REQUIRE(pt->filename_len < sizeof(p->filename));
		memcpy(p->filename, pt->filename, pt->filename_len + 1);
	}
	memcpy(p->ctype, pt->content_type, strlen(pt->content_type) + 1);
	p->off = r->data.len;
	p->len = 0;
	r->open = true;
	REQUIRE(ob_buf_printf(&r->t, "{%s", pt->name) == 0);
	if (pt->filename != NULL)
		REQUIRE(ob_buf_printf(&r->t, "|%s", pt->filename) == 0);
	if (pt->content_type[0] != '\0')
		REQUIRE(ob_buf_printf(&r->t, ";%s", pt->content_type) == 0);
	REQUIRE(ob_buf_putc(&r->t, '}') == 0);
	return 0;
}

static int
on_data(void *arg, const struct ob_multipart_part *pt, const char *d, size_t n)
{
	struct rec *r = arg;
	struct part *p = &r->parts[r->nparts - 1];

	REQUIRE(r->open && n > 0);
	p->len += n;
	REQUIRE(pt->len == p->len);
	if (pt->filename == NULL)
		REQUIRE(pt->len <= r->lim->max_field_len);
	REQUIRE(ob_buf_append(&r->t, d, n) == 0);
	REQUIRE(ob_buf_append(&r->data, d, n) == 0);
	return 0;
}

static int
on_end(void *arg, const struct ob_multipart_part *pt)
{
	struct rec *r = arg;

	REQUIRE(r->open && pt->len == r->parts[r->nparts - 1].len);
	r->open = false;
	REQUIRE(
	    ob_buf_printf(&r->t, "{/%llu}", (unsigned long long)pt->len) == 0);
	return 0;
}

static const struct ob_multipart_cb cbs = { on_begin, on_data, on_end };

static void
rec_init(struct rec *r, const struct ob_multipart_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->lim = lim;
	ob_buf_init(&r->t, 8 << 20);
	ob_buf_init(&r->data, 4 << 20);
}

static void
rec_release(struct rec *r)
{
	ob_buf_release(&r->t);
	ob_buf_release(&r->data);
}

/*
 * Parses body in chunks of sizes[] (cycled; nsizes 0 is one shot) and
 * records it.  Returns the result; feeds after an error must repeat it.
 */
static int
parse(const char *boundary, const char *body, size_t len, const uint8_t *sizes,
    size_t nsizes, const struct ob_multipart_limits *lim, struct rec *r)
{
	struct ob_multipart *p = NULL;
	size_t pos = 0, k = 0;
	int rc = 0, frc;

	rec_init(r, lim);
	REQUIRE(ob_multipart_new(boundary, lim, &cbs, r, &p) == 0);
	do {
		size_t n = nsizes == 0 ? len - pos : sizes[k++ % nsizes];
		size_t before = r->t.len;

		if (n > len - pos)
			n = len - pos;
		frc = ob_multipart_feed(p, body + pos, n);
		REQUIRE(frc == 0 || frc == OB_EINVAL || frc == OB_ETOOBIG ||
		    frc == OB_EUNSUPP);
		if (rc != 0)
			REQUIRE(frc == rc && r->t.len == before);
		rc = frc;
		pos += n;
	} while (pos < len);
	frc = ob_multipart_finish(p);
	REQUIRE(rc == 0 || frc == rc);
	rc = frc;
	REQUIRE(ob_multipart_nparts(p) >= r->nparts);
	REQUIRE(ob_multipart_nparts(p) <= lim->max_parts);
	if (rc == 0)
		REQUIRE(!r->open && ob_multipart_nparts(p) == r->nparts);
	ob_multipart_free(p);
	REQUIRE(ob_buf_printf(&r->t, "!%d", rc) == 0);
	return rc;
}

static bool
same(const struct ob_buf *a, const struct ob_buf *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void
put_quoted(struct ob_buf *b, const char *s)
{
	REQUIRE(ob_buf_putc(b, '"') == 0);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			REQUIRE(ob_buf_putc(b, '\\') == 0);
		REQUIRE(ob_buf_putc(b, *s) == 0);
	}
	REQUIRE(ob_buf_putc(b, '"') == 0);
}

/* Writes the parts of r out again with another boundary and compares. */
static void
check_roundtrip(const struct rec *r)
{
	static const char b[] = "ob-roundtrip-7c1f0e9a4b";
	struct ob_buf body = OB_BUF_INIT(8 << 20);
	struct rec again;

	if (r->data.len > 0 &&
	    memmem(r->data.data, r->data.len, "\r\n--ob-roundtrip", 16) != NULL)
		return;
	for (size_t i = 0; i < r->nparts; i++) {
		const struct part *p = &r->parts[i];

		REQUIRE(ob_buf_printf(&body,
			    "--%s\r\nContent-Disposition: form-data; name=",
			    b) == 0);
		put_quoted(&body, p->name);
		if (p->is_file) {
			REQUIRE(ob_buf_puts(&body, "; filename=") == 0);
			put_quoted(&body, p->filename);
		}
		REQUIRE(ob_buf_puts(&body, "\r\n") == 0);
		if (p->ctype[0] != '\0')
			REQUIRE(ob_buf_printf(&body, "Content-Type: %s\r\n",
				    p->ctype) == 0);
		REQUIRE(ob_buf_puts(&body, "\r\n") == 0);
		/* An empty part has no data buffer at all (NULL + 0 is UB). */
		if (p->len > 0)
			REQUIRE(ob_buf_append(
				    &body, r->data.data + p->off, p->len) == 0);
		REQUIRE(ob_buf_puts(&body, "\r\n") == 0);
	}
	REQUIRE(ob_buf_printf(&body, "--%s--\r\n", b) == 0);
	REQUIRE(parse(b, body.data, body.len, NULL, 0,
		    &ob_multipart_default_limits, &again) == 0);
	REQUIRE(same(&r->t, &again.t));
	rec_release(&again);
	ob_buf_release(&body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ob_multipart_limits *def = &ob_multipart_default_limits;
	char ct[256], boundary[OB_MULTIPART_BOUNDARY_MAX + 1] = "AaB03x";
	const uint8_t *sizes, *nl;
	const char *body;
	size_t nsizes, len, ctlen;
	struct rec one, chunked, t_one, t_chunked;
	int rc, crc, trc, tcrc;
	bool moves = false;

	if (size < 1 || size > (1 << 20))
		return 0;
	nsizes = data[0] & 7;
	if (size < 1 + nsizes)
		return 0;
	sizes = data + 1;
	for (size_t i = 0; i < nsizes; i++)
		moves |= sizes[i] != 0;
	if (!moves)
		nsizes = 0;
	body = (const char *)data + 1 + (data[0] & 7);
	len = size - 1 - (data[0] & 7);

	nl = memchr(body, '\n', len < sizeof(ct) ? len : sizeof(ct));
	if (nl != NULL) {
		char out[OB_MULTIPART_BOUNDARY_MAX + 1];

		ctlen = (size_t)((const char *)nl - body);
		memcpy(ct, body, ctlen);
		ct[ctlen] = '\0';
		if (ob_multipart_boundary(ct, out, sizeof(out)) == 0) {
			struct ob_multipart *p = NULL;
			size_t n = strlen(out);

			REQUIRE(n >= 1 && n <= OB_MULTIPART_BOUNDARY_MAX);
			REQUIRE(out[n - 1] != ' ');
			REQUIRE(
			    ob_multipart_new(out, NULL, NULL, NULL, &p) == 0);
			ob_multipart_free(p);
			memcpy(boundary, out, n + 1);
		}
		body += ctlen + 1;
		len -= ctlen + 1;
	}

	rc = parse(boundary, body, len, NULL, 0, def, &one);
	crc = parse(boundary, body, len, sizes, nsizes, def, &chunked);
	REQUIRE(rc == crc && same(&one.t, &chunked.t));
	trc = parse(boundary, body, len, NULL, 0, &tight, &t_one);
	tcrc = parse(boundary, body, len, sizes, nsizes, &tight, &t_chunked);
	REQUIRE(trc == tcrc && same(&t_one.t, &t_chunked.t));
	/* Tighter caps can only refuse more, and only as too big. */
	if (trc == 0)
		REQUIRE(rc == 0 && same(&t_one.t, &one.t));
	if (rc == OB_ETOOBIG)
		REQUIRE(trc == OB_ETOOBIG);
	if (rc == 0)
		check_roundtrip(&one);

	rec_release(&one);
	rec_release(&chunked);
	rec_release(&t_one);
	rec_release(&t_chunked);
	return 0;
}
