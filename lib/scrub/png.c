/*
 * png.c - PNG: chunks are copied as they are or left out, and every
 * chunk's CRC is checked on the way (a damaged file is refused, not
 * repaired).
 *
 * Kept, because rendering needs them: the critical chunks (IHDR, PLTE,
 * IDAT, IEND), transparency and colour (tRNS, gAMA, cHRM, sRGB, iCCP,
 * sBIT, cICP, mDCV, cLLI), the background (bKGD), the pixel size (pHYs:
 * a ratio or a DPI, nothing about a person) and APNG animation (acTL,
 * fcTL, fdAT).  Removed: text (tEXt, zTXt, iTXt, with XMP), EXIF
 * (eXIf; its orientation comes back alone when it is not the default),
 * the modification time (tIME), and every other ancillary chunk.  An
 * unknown critical chunk is refused: no decoder could show the file.
 */
#include "lib/scrub/sniff.h"

#include <string.h>

#include "lib/scrub/sio.h"
#include "lib/scrub/tiffdir.h"

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A,
	'\n' };

bool
ob_scrub_png_sniff(const unsigned char *head, size_t n)
{
	return n >= sizeof(png_sig) && memcmp(head, png_sig, 8) == 0;
}

/* Chunks kept as they are. */
static const char *const keep[] = {
	"IHDR",
	"PLTE",
	"IDAT",
	"IEND",
	"tRNS",
	"gAMA",
	"cHRM",
	"sRGB",
	"iCCP",
	"sBIT",
	"cICP",
	"mDCV",
	"cLLI",
	"bKGD",
	"pHYs",
	"acTL",
	"fcTL",
	"fdAT",
};

static const struct {
	const char *type;
	const char *kind;
} drop[] = {
	{ "tEXt", "text (author, comments, software or dates)" },
	{ "zTXt", "text (author, comments, software or dates)" },
	{ "iTXt", "text (author, comments, software or dates)" },
	{ "tIME", "modification time" },
	{ "eXIf", "EXIF data" },
	{ "sPLT", "suggested palette" },
	{ "dSIG", "digital signature" },
};

struct png {
	struct ob_sio *io;
	uint32_t crc[4][256];
	bool exif_seen;
};

/* CRC-32 four bytes at a time ("slicing by 4"): t[0] is the usual table. */
static void
crc_init(uint32_t t[4][256])
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		t[0][n] = c;
	}
	for (uint32_t n = 0; n < 256; n++)
		for (int k = 1; k < 4; k++)
			t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFF];
}

static uint32_t
crc_update(uint32_t t[4][256], uint32_t c, const unsigned char *p, size_t n)
{
	for (; n >= 4; p += 4, n -= 4) {
		c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		c = t[3][c & 0xFF] ^ t[2][(c >> 8) & 0xFF] ^
		    t[1][(c >> 16) & 0xFF] ^ t[0][c >> 24];
	}
	while (n-- > 0)
		c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c;
}

/*
 * Reads n bytes at off into the CRC, and writes them to out too when
 * put is true.
 */
static int
stream(struct png *p, uint64_t off, uint64_t n, uint32_t *crc, bool put)
{
	int rc;

	while (n > 0) {
		size_t step = n < OB_SIO_WINDOW ? (size_t)n : OB_SIO_WINDOW;
		const unsigned char *b;

		if ((rc = ob_sio_peek(p->io, off, step, &b)) != 0)
			return rc;
		*crc = crc_update(p->crc, *crc, b, step);
		if (put && (rc = ob_sio_write(p->io, b, step)) != 0)
			return rc;
		off += step;
		n -= step;
	}
	return 0;
}

/* Writes a whole chunk made here: length, type, data, CRC. */
static int
put_chunk(
    struct png *p, const char *type, const unsigned char *data, uint32_t len)
{
	unsigned char h[8], c[4];
	uint32_t crc = 0xFFFFFFFFu;
	int rc;

	ob_put_be32(h, len);
	memcpy(h + 4, type, 4);
	crc = crc_update(p->crc, crc, h + 4, 4);
	crc = crc_update(p->crc, crc, data, len);
	ob_put_be32(c, crc ^ 0xFFFFFFFFu);
	if ((rc = ob_sio_write(p->io, h, 8)) != 0 ||
	    (rc = ob_sio_write(p->io, data, len)) != 0)
		return rc;
	return ob_sio_write(p->io, c, 4);
}

/*
 * eXIf: its orientation, if any, comes back in a minimal block (the
 * first eXIf only: decoders read that one).  Says nothing for a block
 * that already is that minimal block.
 */
static int
exif(struct png *p, uint64_t off, uint32_t len)
{
	unsigned char block[OB_TIFF_ORIENT_LEN], have[OB_TIFF_ORIENT_LEN];
	const char *why = p->io->why;
	bool first = !p->exif_seen, minimal = false;
	struct ob_tiff t;
	unsigned o = 1;
	uint32_t ifd0;

	p->exif_seen = true;
	if (ob_tiff_open(&t, p->io, off, len, &ifd0) == 0) {
		o = ob_tiff_orientation(&t, ifd0);
		ob_tiff_orientation_block(block, o);
		minimal = len == OB_TIFF_ORIENT_LEN &&
		    ob_sio_pread(p->io, off, have, sizeof(have)) == 0 &&
		    memcmp(have, block, sizeof(have)) == 0;
		if (!minimal)
			ob_tiff_describe(&t, ifd0, "EXIF ");
	}
	p->io->why = why;
	if (!minimal)
		ob_scrub_note(p->io->rep, "removed", "EXIF data");
	if (!first || o == 1)
		return 0;
	if (!minimal)
		ob_scrub_note(p->io->rep, "changed",
		    "orientation kept, alone, in a new EXIF block");
	ob_tiff_orientation_block(block, o);
	return put_chunk(p, "eXIf", block, sizeof(block));
}

static bool
is_keep(const unsigned char *type)
{
	for (size_t i = 0; i < OB_NELEM(keep); i++)
		if (memcmp(type, keep[i], 4) == 0)
			return true;
	return false;
}

static const char *
drop_kind(const unsigned char *type)
{
	for (size_t i = 0; i < OB_NELEM(drop); i++)
		if (memcmp(type, drop[i].type, 4) == 0)
			return drop[i].kind;
	return "other ancillary data";
}

static bool
is_letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

#define XMP_KEY "XML:com.adobe.xmp"

static int
scrub(void *ctx)
{
	struct png *p = ctx;
	struct ob_sio *io = p->io;
	unsigned char h[8], c[4];
	uint64_t off = 8, chunks = 0;
	bool idat = false;
	int rc;

	if ((rc = ob_sio_pread(io, 0, h, 8)) != 0 || memcmp(h, png_sig, 8) != 0)
		return ob_sio_fail(io, OB_EINVAL, "not a PNG image");
	if ((rc = ob_sio_write(io, h, 8)) != 0)
		return rc;
	for (;;) {
		uint32_t len, crc = 0xFFFFFFFFu;
		bool put;

		if (++chunks > io->lim->max_entries)
			return ob_sio_fail(
			    io, OB_ETOOBIG, "too many PNG chunks");
		if ((rc = ob_sio_pread(io, off, h, 8)) != 0)
			return rc;
		len = ob_be32(h);
		if (len > 0x7FFFFFFFu || !is_letter(h[4]) || !is_letter(h[5]) ||
		    !is_letter(h[6]) || !is_letter(h[7]))
			return ob_sio_fail(io, OB_EINVAL,
			    "damaged PNG: a chunk header is wrong");
		if (off + 12 + len > io->size)
			return ob_sio_fail(
			    io, OB_EINVAL, "the file is truncated");
		if (chunks == 1 && (memcmp(h + 4, "IHDR", 4) != 0 || len != 13))
			return ob_sio_fail(io, OB_EINVAL,
			    "damaged PNG: no image header first");
		if (chunks > 1 && memcmp(h + 4, "IHDR", 4) == 0)
			return ob_sio_fail(io, OB_EINVAL,
			    "damaged PNG: a second image header");
		put = is_keep(h + 4);
		if (!put && !(h[4] & 0x20))
			return ob_sio_fail(io, OB_EUNSUPP,
			    "PNG with a critical chunk no decoder knows");
		if (memcmp(h + 4, "IDAT", 4) == 0)
			idat = true;
		if (put && (rc = ob_sio_write(io, h, 8)) != 0)
			return rc;
		crc = crc_update(p->crc, crc, h + 4, 4);
		if ((rc = stream(p, off + 8, len, &crc, put)) != 0 ||
		    (rc = ob_sio_pread(io, off + 8 + len, c, 4)) != 0)
			return rc;
		if (ob_be32(c) != (crc ^ 0xFFFFFFFFu))
			return ob_sio_fail(io, OB_EINVAL,
			    "damaged PNG: a chunk checksum is wrong");
		if (put && (rc = ob_sio_write(io, c, 4)) != 0)
			return rc;
		if (put && memcmp(h + 4, "iCCP", 4) == 0)
			ob_scrub_note(io->rep, "not-checked",
			    "colour profile (kept: needed to show the "
			    "colours)");
		if (!put && memcmp(h + 4, "eXIf", 4) == 0) {
			if ((rc = exif(p, off + 8, len)) != 0)
				return rc;
		} else if (!put) {
			unsigned char key[sizeof(XMP_KEY)];
			bool xmp = memcmp(h + 4, "iTXt", 4) == 0 &&
			    len >= sizeof(key) &&
			    ob_sio_pread(io, off + 8, key, sizeof(key)) == 0 &&
			    memcmp(key, XMP_KEY, sizeof(key)) == 0;

			ob_scrub_note(io->rep, "removed", "%s",
			    xmp ? "XMP metadata" : drop_kind(h + 4));
		}
		off += 12 + (uint64_t)len;
		if (memcmp(h + 4, "IEND", 4) == 0)
			break;
	}
	if (!idat)
		return ob_sio_fail(io, OB_EINVAL, "damaged PNG: no image data");
	if (off < io->size)
		ob_scrub_note(io->rep, "removed",
		    "data after the end of the image (hidden data)");
	return 0;
}

int
ob_scrub_png(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_sio io;
	struct png p = { .io = &io };

	crc_init(p.crc);
	return ob_sio_run(&io, in, out, lim, rep, scrub, &p);
}
