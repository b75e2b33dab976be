/*
 * bmp.c - BMP: a bitmap holds no metadata, so the scrubber checks that
 * the headers agree with each other and with the file, and copies the
 * parts a viewer reads - headers, bit masks, palette, pixels, an
 * embedded colour profile - as they are.  Bytes no header points to (a
 * gap before the pixels, anything after the last part) could hide
 * anything: gaps become zeros and the tail is cut off, with the file
 * size in the header made to match.  A BITMAPV5HEADER that links to a
 * colour profile file names a path on the sender's computer: the link
 * goes, and the bitmap says sRGB-like "Windows colour space" instead.
 *
 * Refused: sizes or offsets that disagree with the file, unknown header
 * sizes, OS/2 2.x headers, embedded JPEG or PNG (BI_JPEG, BI_PNG).
 */
#include "lib/scrub/sniff.h"

#include <string.h>

#include "lib/scrub/sio.h"

static bool
known_header(uint32_t n)
{
	return n == 12 || n == 40 || n == 52 || n == 56 || n == 108 || n == 124;
}

bool
ob_scrub_bmp_sniff(const unsigned char *head, size_t n)
{
	return n >= 18 && head[0] == 'B' && head[1] == 'M' &&
	    (known_header(ob_le32(head + 14)) || ob_le32(head + 14) == 64);
}

#define FILE_HEADER 14
/* Headers, masks and a 256-colour palette fit here. */
#define HEAD_MAX (FILE_HEADER + 124 + 16 + 256 * 4)

/* BITMAPV5HEADER colour spaces. */
#define CS_LINKED 0x4C494E4Bu /* 'LINK' */
#define CS_EMBEDDED 0x4D424544u /* 'MBED' */
#define CS_WINDOWS 0x57696E20u /* 'Win ' */

struct region {
	uint64_t off, len;
};

struct bmp {
	struct ob_sio *io;
	unsigned char h[HEAD_MAX];
	struct region part[3]; /* headers, pixels, profile, sorted */
	size_t nparts;
};

static int
bad(struct bmp *b, const char *why)
{
	return ob_sio_fail(b->io, OB_EINVAL, why);
}

/* Checks the headers and finds the parts; fills b->h with the headers. */
static int
parse(struct bmp *b)
{
	struct ob_sio *io = b->io;
	unsigned char *h = b->h;
	uint32_t dib, off_bits, compression = 0, used = 0, bpp, planes;
	uint64_t width, height, row, pixels, head_len, masks = 0, ncolours;
	struct region profile = { 0, 0 };
	int64_t sh;
	int rc;

	if ((rc = ob_sio_pread(io, 0, h, FILE_HEADER + 4)) != 0 ||
	    h[0] != 'B' || h[1] != 'M')
		return bad(b, "not a BMP image");
	dib = ob_le32(h + 14);
	if (dib == 64)
		return ob_sio_fail(
		    io, OB_EUNSUPP, "OS/2 2.x bitmaps are not supported");
	if (!known_header(dib))
		return bad(b, "damaged BMP: an unknown header size");
	if ((rc = ob_sio_pread(io, 0, h, FILE_HEADER + dib)) != 0)
		return rc;
	if (ob_le32(h + 2) != io->size)
		return bad(b, "damaged BMP: the size in the header is wrong");
	off_bits = ob_le32(h + 10);
	if (dib == 12) {
		width = ob_le16(h + 18);
		height = ob_le16(h + 20);
		planes = ob_le16(h + 22);
		bpp = ob_le16(h + 24);
	} else {
		sh = (int32_t)ob_le32(h + 22);
		width = (uint64_t)(int64_t)(int32_t)ob_le32(h + 18);
		if ((int32_t)ob_le32(h + 18) <= 0)
			return bad(b, "damaged BMP: a wrong image size");
		height = (uint64_t)(sh < 0 ? -sh : sh);
		planes = ob_le16(h + 26);
		bpp = ob_le16(h + 28);
		compression = ob_le32(h + 30);
		used = ob_le32(h + 46);
		if (sh < 0 && compression != 0 && compression != 3 &&
		    compression != 6)
			return bad(b,
			    "damaged BMP: a compressed image "
			    "cannot be stored top-down");
	}
	if (width == 0 || height == 0 || planes != 1)
		return bad(b, "damaged BMP: a wrong image size");
	if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 &&
	    bpp != 32)
		return bad(b, "damaged BMP: a wrong number of bits per pixel");
	switch (compression) {
	case 0:
		break;
	case 1:
	case 2:
		if (bpp != (compression == 1 ? 8u : 4u))
			return bad(b, "damaged BMP: a wrong compression");
		break;
	case 3:
	case 6:
		if (bpp != 16 && bpp != 32)
			return bad(b, "damaged BMP: a wrong compression");
		if (dib == 40)
			masks = compression == 3 ? 12 : 16;
		break;
	case 4:
	case 5:
		return ob_sio_fail(io, OB_EUNSUPP,
		    "bitmaps holding a JPEG or PNG image are not supported");
	default:
		return bad(b, "damaged BMP: an unknown compression");
	}
	if (used > 256 || (bpp <= 8 && used > (1u << bpp)))
		return bad(b, "damaged BMP: too many palette colours");
	ncolours = used != 0 ? used : bpp <= 8 ? (1u << bpp) : 0;
	head_len = FILE_HEADER + dib + masks + ncolours * (dib == 12 ? 3 : 4);
	if (head_len > off_bits || off_bits >= io->size)
		return bad(b,
		    "damaged BMP: the image data is not where it "
		    "says");
	if ((rc = ob_sio_pread(io, 0, h, head_len)) != 0)
		return rc;
	if (compression == 1 || compression == 2) {
		pixels = ob_le32(h + 34);
		if (pixels == 0)
			return bad(b, "damaged BMP: a wrong image data size");
	} else {
		row = (width * bpp + 31) / 32 * 4;
		pixels = row * height;
		/* width < 2^31 and bpp <= 32: no overflow before here. */
		if (height > UINT32_MAX || pixels / height != row)
			return bad(b, "damaged BMP: a wrong image size");
	}
	if (pixels > io->size - off_bits)
		return bad(b, "the file is truncated");
	if (dib == 124 && ob_le32(h + FILE_HEADER + 56) == CS_EMBEDDED) {
		profile.off =
		    FILE_HEADER + (uint64_t)ob_le32(h + FILE_HEADER + 112);
		profile.len = ob_le32(h + FILE_HEADER + 116);
		if (profile.len == 0 || profile.off > io->size ||
		    profile.len > io->size - profile.off)
			return bad(b,
			    "damaged BMP: the colour profile is "
			    "not where it says");
		ob_scrub_note(io->rep, "not-checked",
		    "colour profile (kept: needed to show the colours)");
	} else if (dib == 124 && ob_le32(h + FILE_HEADER + 56) == CS_LINKED) {
		ob_put_le32(h + FILE_HEADER + 56, CS_WINDOWS);
		ob_put_le32(h + FILE_HEADER + 112, 0);
		ob_put_le32(h + FILE_HEADER + 116, 0);
		ob_scrub_note(
		    io->rep, "removed", "name of a linked colour profile file");
	}
	b->part[0] = (struct region){ 0, head_len };
	b->part[1] = (struct region){ off_bits, pixels };
	b->nparts = 2;
	if (profile.len > 0) {
		/* Sorted, and no part may overlap another. */
		if (profile.off < off_bits) {
			if (profile.off < head_len ||
			    profile.off + profile.len > off_bits)
				return bad(b,
				    "damaged BMP: the colour "
				    "profile overlaps the image");
			b->part[2] = b->part[1];
			b->part[1] = profile;
		} else {
			if (profile.off < off_bits + pixels)
				return bad(b,
				    "damaged BMP: the colour "
				    "profile overlaps the image");
			b->part[2] = profile;
		}
		b->nparts = 3;
	}
	return 0;
}

/* Writes n zero bytes for input bytes at off that nothing points to. */
static int
fill_gap(struct bmp *b, uint64_t off, uint64_t n, bool *hidden)
{
	struct ob_sio *io = b->io;
	int rc;

	while (n > 0) {
		size_t step = n < OB_SIO_WINDOW ? (size_t)n : OB_SIO_WINDOW;
		const unsigned char *p;

		if ((rc = ob_sio_peek(io, off, step, &p)) != 0)
			return rc;
		for (size_t i = 0; i < step && !*hidden; i++)
			*hidden = p[i] != 0;
		if ((rc = ob_sio_zeros(io, step)) != 0)
			return rc;
		off += step;
		n -= step;
	}
	return 0;
}

static int
scrub(void *ctx)
{
	struct bmp *b = ctx;
	struct ob_sio *io = b->io;
	uint64_t at = 0, end;
	bool hidden = false;
	int rc;

	if ((rc = parse(b)) != 0)
		return rc;
	end = b->part[b->nparts - 1].off + b->part[b->nparts - 1].len;
	if (end < io->size) {
		ob_put_le32(b->h + 2, (uint32_t)end);
		ob_scrub_note(io->rep, "removed",
		    "data after the end of the image (hidden data)");
	}
	if ((rc = ob_sio_write(io, b->h, b->part[0].len)) != 0)
		return rc;
	at = b->part[0].len;
	for (size_t i = 1; i < b->nparts; i++) {
		if ((rc = fill_gap(b, at, b->part[i].off - at, &hidden)) != 0 ||
		    (rc = ob_sio_copy(io, b->part[i].off, b->part[i].len)) != 0)
			return rc;
		at = b->part[i].off + b->part[i].len;
	}
	if (hidden)
		ob_scrub_note(io->rep, "removed",
		    "unused bytes between the parts of the image (hidden "
		    "data)");
	return 0;
}

int
ob_scrub_bmp(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_sio io;
	struct bmp b = { .io = &io };

	return ob_sio_run(&io, in, out, lim, rep, scrub, &b);
}
