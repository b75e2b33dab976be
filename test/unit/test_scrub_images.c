/*
 * The image scrubbers (lib/scrub/{jpeg,png,gif,webp,tiff,bmp}.c and
 * their shared sio and tiffdir) on files built here byte by byte, so
 * that each expectation is exact: which bytes stay, which go, what the
 * report says, and that the limits of struct ob_scrub_limits hold.
 * Real files made by real tools are test/integration/test_scrub_images.py.
 */
#include "lib/scrub/sniff.h"
#include "lib/scrub/scrub.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test/unit/check.h"

/* The result of one scrub. */
struct res {
	int rc;
	unsigned char out[4096];
	size_t n;
	char report[2048];
};

static void
run(ob_scrub_fn fn, const void *in, size_t len,
    const struct ob_scrub_limits *lim, struct res *r)
{
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	int fi = memfd_create("in", MFD_CLOEXEC);
	int fo = memfd_create("out", MFD_CLOEXEC);
	ssize_t got;

	memset(r, 0, sizeof(*r));
	if (fi < 0 || fo < 0 || write(fi, in, len) != (ssize_t)len ||
	    lseek(fi, 0, SEEK_SET) != 0)
		abort();
	r->rc = fn(fi, fo, lim != NULL ? lim : &ob_scrub_default_limits, &rep);
	got = pread(fo, r->out, sizeof(r->out), 0);
	r->n = got > 0 ? (size_t)got : 0;
	snprintf(r->report, sizeof(r->report), "%s", ob_buf_cstr(&rep.lines));
	ob_scrub_report_release(&rep);
	close(fi);
	close(fo);
}

static bool
has(const struct res *r, const char *line)
{
	return strstr(r->report, line) != NULL;
}

static bool
contains(const struct res *r, const char *s)
{
	return memmem(r->out, r->n, s, strlen(s)) != NULL;
}

/* A JPEG in structure only: the scrubber never decodes the pixels. */
static const unsigned char jpeg_sof[] = { 0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1,
	1, 0x11, 0 };
static const unsigned char jpeg_sos[] = { 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0,
	/* entropy data: a stuffed 0xFF00, a restart marker, fill */
	0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF };

static size_t
put(unsigned char *b, size_t at, const void *p, size_t n)
{
	memcpy(b + at, p, n);
	return at + n;
}

static void
test_jpeg(void)
{
	/* APP1 Exif, little-endian: Orientation 6 and Artist. */
	static const unsigned char exif[] = { 0xFF, 0xE1, 0, 54, 'E', 'x', 'i',
		'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0, 0x12, 0x01, 3, 0,
		1, 0, 0, 0, 6, 0, 0, 0, 0x3B, 0x01, 2, 0, 8, 0, 0, 0, 38, 0, 0,
		0, 0, 0, 0, 0, 'C', 'a', 'n', 'a', 'r', 'y', 'X', 0 };
	static const unsigned char com[] = { 0xFF, 0xFE, 0, 8, 'c', 'a', 'n',
		'a', 'r', 'y' };
	static const unsigned char want_exif[] = { 0xFF, 0xE1, 0, 34, 'E', 'x',
		'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12,
		0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0 };
	unsigned char in[512], want[512];
	size_t n = 0, w = 0;
	struct res r, again;

	n = put(in, n, "\xFF\xD8", 2);
	n = put(in, n, exif, sizeof(exif));
	n = put(in, n, com, sizeof(com));
	n = put(in, n, jpeg_sof, sizeof(jpeg_sof));
	n = put(in, n, jpeg_sos, sizeof(jpeg_sos));
	n = put(in, n, "\xD9trailing canary", 16);
	w = put(want, w, "\xFF\xD8", 2);
	w = put(want, w, want_exif, sizeof(want_exif));
	w = put(want, w, jpeg_sof, sizeof(jpeg_sof));
	w = put(want, w, jpeg_sos, sizeof(jpeg_sos));
	w = put(want, w, "\xD9", 1);
	run(ob_scrub_jpeg, in, n, NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK_INT(r.n, w);
	CHECK(r.n == w && memcmp(r.out, want, w) == 0);
	CHECK(!contains(&r, "anary"));
	CHECK(has(&r, "removed: EXIF data\n"));
	CHECK(has(&r, "removed: EXIF author or copyright\n"));
	CHECK(has(&r, "removed: comment\n"));
	CHECK(has(&r, "removed: data after the end of the image"));
	/* The output is accepted as it is, and says nothing more. */
	run(ob_scrub_jpeg, r.out, r.n, NULL, &again);
	CHECK_INT(again.rc, 0);
	CHECK(again.n == r.n && memcmp(again.out, r.out, r.n) == 0);
	CHECK_STR(again.report, "");

	/* Cut short inside the scan: refused. */
	run(ob_scrub_jpeg, in, 2 + sizeof(exif) + sizeof(jpeg_sof) + 14, NULL,
	    &r);
	CHECK_INT(r.rc, OB_EINVAL);
	CHECK(has(&r, "refused: "));
	/* A scan before any frame. */
	n = put(in, 2, jpeg_sos, sizeof(jpeg_sos));
	n = put(in, n, "\xD9", 1);
	run(ob_scrub_jpeg, in, n, NULL, &r);
	CHECK_INT(r.rc, OB_EINVAL);
	CHECK(has(&r, "refused: damaged JPEG: image data before its frame"));
}

/* PNG pieces: a CRC to build chunks with, and a 1x1 grey image. */
static uint32_t
crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	while (n-- > 0) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xFFFFFFFFu;
}

static size_t
chunk(unsigned char *b, size_t at, const char *type, const void *data,
    uint32_t len)
{
	uint32_t c;

	b[at] = (unsigned char)(len >> 24);
	b[at + 1] = (unsigned char)(len >> 16);
	b[at + 2] = (unsigned char)(len >> 8);
	b[at + 3] = (unsigned char)len;
	memcpy(b + at + 4, type, 4);
	memcpy(b + at + 8, data, len);
	c = crc32(b + at + 4, len + 4);
	b[at + 8 + len] = (unsigned char)(c >> 24);
	b[at + 9 + len] = (unsigned char)(c >> 16);
	b[at + 10 + len] = (unsigned char)(c >> 8);
	b[at + 11 + len] = (unsigned char)c;
	return at + 12 + len;
}

static const unsigned char ihdr[13] = { 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0 };
/* zlib of one filter byte and one grey pixel. */
static const unsigned char idat[] = { 0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x01 };

static size_t
png(unsigned char *b, unsigned ntext)
{
	size_t n = put(b, 0, "\x89PNG\r\n\x1a\n", 8);

	n = chunk(b, n, "IHDR", ihdr, sizeof(ihdr));
	n = chunk(b, n, "gAMA", "\0\0\xb1\x8f", 4);
	for (unsigned i = 0; i < ntext; i++)
		n = chunk(b, n, "tEXt", "Author\0Canary", 13);
	n = chunk(b, n, "tIME", "\x07\xe4\x01\x02\x03\x04\x05", 7);
	n = chunk(b, n, "IDAT", idat, sizeof(idat));
	return chunk(b, n, "IEND", "", 0);
}

static void
test_png(void)
{
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	unsigned char in[2048];
	size_t n = png(in, 3);
	struct res r;

	run(ob_scrub_png, in, n, NULL, &r);
	CHECK_INT(r.rc, 0);
	/* Signature, IHDR, gAMA, IDAT, IEND. */
	CHECK_INT(r.n, 8 + 25 + 16 + 12 + sizeof(idat) + 12);
	CHECK(!contains(&r, "Canary") && !contains(&r, "tIME"));
	CHECK(contains(&r, "gAMA"));
	CHECK(has(&r, "removed: text (author, comments, software or dates)"));
	CHECK(has(&r, "removed: modification time"));

	/* Limits: output, and chunks. */
	lim.max_output = 40;
	run(ob_scrub_png, in, n, &lim, &r);
	CHECK_INT(r.rc, OB_ETOOBIG);
	CHECK(has(&r,
	    "refused: the cleaned file would be larger than "
	    "allowed"));
	lim = ob_scrub_default_limits;
	lim.max_entries = 5;
	run(ob_scrub_png, in, n, &lim, &r);
	CHECK_INT(r.rc, OB_ETOOBIG);
	CHECK(has(&r, "refused: too many PNG chunks"));

	/* A wrong CRC, and an unknown critical chunk. */
	in[8 + 25 + 14] ^= 1;
	run(ob_scrub_png, in, n, NULL, &r);
	CHECK_INT(r.rc, OB_EINVAL);
	CHECK(has(&r, "refused: damaged PNG: a chunk checksum is wrong"));
	n = put(in, 0, "\x89PNG\r\n\x1a\n", 8);
	n = chunk(in, n, "IHDR", ihdr, sizeof(ihdr));
	n = chunk(in, n, "XYZW", "x", 1);
	run(ob_scrub_png, in, n, NULL, &r);
	CHECK_INT(r.rc, OB_EUNSUPP);
	/* A length larger than the file. */
	n = put(in, 0, "\x89PNG\r\n\x1a\n", 8);
	n = chunk(in, n, "IHDR", ihdr, sizeof(ihdr));
	n = put(in, n, "\x7f\0\0\0tEXt", 8);
	run(ob_scrub_png, in, n, NULL, &r);
	CHECK_INT(r.rc, OB_EINVAL);
	CHECK(has(&r, "refused: "));
}

static void
test_gif(void)
{
	static const char gif[] =
	    "GIF89a\x01\0\x01\0\x80\0\0" /* screen, two colours */
	    "\0\0\0\xff\xff\xff"
	    "\x21\xff\x0bNETSCAPE2.0\x03\x01\0\0\x04"
	    "cany\0" /* loop */
	    "\x21\xfe\x06"
	    "canary\0" /* comment */
	    "\x21\xf9\x04\0\x0a\0\0\0" /* graphic control */
	    "\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x4c\x01\0" /* image */
	    "\x3b";

	struct res r;

	run(ob_scrub_gif, gif, sizeof(gif) - 1, NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK_INT(r.n, sizeof(gif) - 1 - 5 - 10);
	CHECK(!contains(&r, "can"));
	CHECK(contains(&r, "NETSCAPE2.0\x03\x01\x00\x00\x00"));
	CHECK(has(&r, "removed: comment\n"));
	CHECK(has(&r, "removed: application data\n"));
	run(ob_scrub_gif, gif, sizeof(gif) - 2, NULL, &r);
	CHECK_INT(r.rc, OB_EINVAL);
	CHECK(has(&r, "refused: the file is truncated"));
}

static void
test_webp(void)
{
	/* VP8X (flags: EXIF, XMP), VP8L of 5 bytes and a pad, XMP. */
	static const char webp[] = "RIFF\x32\0\0\0WEBP"
				   "VP8X\x0a\0\0\0\x0c\0\0\0\0\0\0\0\0\0"
				   "VP8L\x05\0\0\0\x2f\0\0\0\0\0"
				   "XMP \x06\0\0\0"
				   "canary";

	struct res r;

	run(ob_scrub_webp, webp, sizeof(webp) - 1, NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK_INT(r.n, sizeof(webp) - 1 - 14);
	CHECK_INT(r.out[4], sizeof(webp) - 1 - 14 - 8);
	CHECK_INT(r.out[20], 0); /* flags cleared */
	CHECK(!contains(&r, "canary"));
	CHECK(has(&r, "removed: XMP metadata\n"));
	/* The RIFF says more than there is. */
	run(ob_scrub_webp, webp, sizeof(webp) - 3, NULL, &r);
	CHECK_INT(r.rc, OB_EINVAL);
	CHECK(has(&r, "refused: "));
}

/* A little-endian TIFF: 2x1 grey pixels, an Artist, a chain to itself. */
static size_t
tiff(unsigned char *b, bool loop)
{
	static const unsigned char head[] = { 'I', 'I', 42, 0, 10, 0, 0, 0,
		0x11, 0x22 }; /* the two pixels at 8 */
	static const struct {
		uint16_t tag, type;
		uint32_t count, value;
	} e[] = {
		{ 256, 3, 1, 2 }, { 257, 3, 1, 1 }, { 258, 3, 1, 8 },
		{ 259, 3, 1, 1 }, { 262, 3, 1, 1 }, { 273, 4, 1, 8 },
		{ 278, 3, 1, 1 }, { 279, 4, 1, 2 },
		{ 315, 2, 4, 0x00726143 }, /* "Car" */
	};
	size_t n = put(b, 0, head, sizeof(head));

	b[n++] = OB_NELEM(e);
	b[n++] = 0;
	for (size_t i = 0; i < OB_NELEM(e); i++) {
		unsigned char x[12] = { (unsigned char)e[i].tag,
			(unsigned char)(e[i].tag >> 8),
			(unsigned char)e[i].type, 0, (unsigned char)e[i].count,
			0, 0, 0, (unsigned char)e[i].value,
			(unsigned char)(e[i].value >> 8),
			(unsigned char)(e[i].value >> 16),
			(unsigned char)(e[i].value >> 24) };

		n = put(b, n, x, 12);
	}
	return put(b, n, loop ? "\x0a\0\0\0" : "\0\0\0\0", 4);
}

static void
test_tiff(void)
{
	unsigned char in[256];
	size_t n = tiff(in, false);
	struct res r, again;

	run(ob_scrub_tiff, in, n, NULL, &r);
	CHECK_INT(r.rc, 0);
	/* Header, the two pixels, IFD of 8 entries at 10. */
	CHECK_INT(r.n, 8 + 2 + 2 + 8 * 12 + 4);
	CHECK(r.n > 10 && r.out[8] == 0x11 && r.out[9] == 0x22);
	CHECK(!contains(&r, "Car"));
	CHECK(has(&r, "removed: author or copyright\n"));
	run(ob_scrub_tiff, r.out, r.n, NULL, &again);
	CHECK_INT(again.rc, 0);
	CHECK(again.n == r.n && memcmp(again.out, r.out, r.n) == 0);

	n = tiff(in, true);
	run(ob_scrub_tiff, in, n, NULL, &r);
	CHECK_INT(r.rc, OB_EINVAL);
	CHECK(has(&r, "refused: damaged TIFF: the pages form a loop"));
	in[2] = 43;
	run(ob_scrub_tiff, in, n, NULL, &r);
	CHECK_INT(r.rc, OB_EUNSUPP);
	CHECK(has(&r, "refused: BigTIFF"));
}

static void
test_bmp(void)
{
	/* 1x1, 24 bits: a 4-byte row. */
	unsigned char in[14 + 40 + 4 + 6] = { 'B', 'M', 58, 0, 0, 0, 0, 0, 0, 0,
		54, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 24 };
	struct res r;

	in[54] = 0xAB;
	run(ob_scrub_bmp, in, 58, NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK(r.n == 58 && memcmp(r.out, in, 58) == 0);
	CHECK_STR(r.report, "");
	/* A size in the header that is not the file's. */
	run(ob_scrub_bmp, in, sizeof(in), NULL, &r);
	CHECK_INT(r.rc, OB_EINVAL);
	CHECK(has(&r,
	    "refused: damaged BMP: the size in the header is "
	    "wrong"));
	/* Trailing bytes go, and the size follows. */
	in[2] = sizeof(in);
	memcpy(in + 58, "canary", 6);
	run(ob_scrub_bmp, in, sizeof(in), NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK_INT(r.n, 58);
	CHECK_INT(r.out[2], 58);
	/* Pixels that would pass the end. */
	in[2] = 58;
	in[18] = 9;
	run(ob_scrub_bmp, in, 58, NULL, &r);
	CHECK_INT(r.rc, OB_EINVAL);
}

static void
test_sniff(void)
{
	static const struct {
		const char *head;
		size_t n;
		const char *family;
	} cases[] = {
		{ "\xFF\xD8\xFF\xE0", 4, "jpeg" },
		{ "\x89PNG\r\n\x1a\n", 8, "png" },
		{ "GIF89a", 6, "gif" },
		{ "RIFF\0\0\0\0WEBPVP8L", 16, "webp" },
		{ "II*\0", 4, "tiff" },
		{ "MM\0*", 4, "tiff" },
		{ "BM\0\0\0\0\0\0\0\0\0\0\0\0\x28\0\0\0", 18, "bmp" },
		{ "BM and some text", 16, NULL },
		{ "RIFF\0\0\0\0WEBPXYZW", 16, NULL },
	};

	for (size_t i = 0; i < OB_NELEM(cases); i++) {
		const struct ob_scrub_family *f = ob_scrub_sniff(
		    (const unsigned char *)cases[i].head, cases[i].n);

		if (cases[i].family == NULL)
			CHECK(f == NULL);
		else
			CHECK(
			    f != NULL && strcmp(f->name, cases[i].family) == 0);
	}
}

int
main(void)
{
	test_jpeg();
	test_png();
	test_gif();
	test_webp();
	test_tiff();
	test_bmp();
	test_sniff();
	return CHECK_DONE();
}
