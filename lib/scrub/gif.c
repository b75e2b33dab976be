/*
 * gif.c - GIF: the blocks are walked front to back and copied as they
 * are or left out; image data is copied byte for byte.
 *
 * Kept: the header, screen descriptor and colour tables, images,
 * graphic control extensions (frame timing, transparency), plain-text
 * extensions (text drawn into the picture: content, not metadata),
 * the looping extensions NETSCAPE2.0 and ANIMEXTS1.0 (only their loop
 * count and buffer size sub-blocks) and an ICC profile extension.
 * Removed: comment extensions, XMP and every other application
 * extension, unknown extensions, and anything after the trailer.
 */
#include "lib/scrub/sniff.h"

#include <string.h>

#include "lib/scrub/sio.h"

bool
ob_scrub_gif_sniff(const unsigned char *head, size_t n)
{
	return n >= 6 &&
	    (memcmp(head, "GIF87a", 6) == 0 || memcmp(head, "GIF89a", 6) == 0);
}

/* Walks a chain of sub-blocks up to and past its empty terminator. */
static int
skip_subblocks(struct ob_sio *io)
{
	unsigned char n;
	int rc;

	for (;;) {
		if ((rc = ob_sio_byte(io, &n)) != 0)
			return rc;
		if (n == 0)
			return 0;
		if ((rc = ob_sio_skip(io, n)) != 0)
			return rc;
	}
}

/* Copies from start to where the reader now is. */
static int
copy_to_here(struct ob_sio *io, uint64_t start)
{
	return ob_sio_copy(io, start, ob_sio_tell(io) - start);
}

/*
 * A looping extension: its identifier, then only the sub-blocks that
 * say how often to loop (1) or how much to buffer (2).
 */
static int
looping(struct ob_sio *io, const unsigned char *id)
{
	unsigned char head[3] = { 0x21, 0xFF, 11 }, sub[256], n;
	int rc;

	if ((rc = ob_sio_write(io, head, 3)) != 0 ||
	    (rc = ob_sio_write(io, id, 11)) != 0)
		return rc;
	for (;;) {
		if ((rc = ob_sio_byte(io, &n)) != 0)
			return rc;
		sub[0] = n;
		if (n == 0)
			return ob_sio_write(io, sub, 1);
		if ((rc = ob_sio_read(io, sub + 1, n)) != 0)
			return rc;
		if ((n == 3 && sub[1] == 1) || (n == 5 && sub[1] == 2)) {
			if ((rc = ob_sio_write(io, sub, 1 + (size_t)n)) != 0)
				return rc;
		} else {
			ob_scrub_note(io->rep, "removed", "application data");
		}
	}
}

static int
extension(struct ob_sio *io, uint64_t start)
{
	struct ob_scrub_report *rep = io->rep;
	unsigned char label, n, id[11];
	int rc;

	if ((rc = ob_sio_byte(io, &label)) != 0)
		return rc;
	switch (label) {
	case 0xF9: /* graphic control: timing and transparency */
	case 0x01: /* plain text: drawn into the picture */
		if ((rc = skip_subblocks(io)) != 0)
			return rc;
		return copy_to_here(io, start);
	case 0xFE:
		ob_scrub_note(rep, "removed", "comment");
		return skip_subblocks(io);
	case 0xFF:
		if ((rc = ob_sio_byte(io, &n)) != 0)
			return rc;
		if (n != 11) {
			ob_scrub_note(rep, "removed", "application data");
			if ((rc = ob_sio_skip(io, n)) != 0)
				return rc;
			return n == 0 ? 0 : skip_subblocks(io);
		}
		if ((rc = ob_sio_read(io, id, 11)) != 0)
			return rc;
		if (memcmp(id, "NETSCAPE2.0", 11) == 0 ||
		    memcmp(id, "ANIMEXTS1.0", 11) == 0)
			return looping(io, id);
		if (memcmp(id, "ICCRGBG1012", 11) == 0) {
			ob_scrub_note(rep, "not-checked",
			    "colour profile (kept: needed to show the "
			    "colours)");
			if ((rc = skip_subblocks(io)) != 0)
				return rc;
			return copy_to_here(io, start);
		}
		ob_scrub_note(rep, "removed", "%s",
		    memcmp(id, "XMP DataXMP", 11) == 0 ? "XMP metadata"
						       : "application data");
		return skip_subblocks(io);
	default:
		ob_scrub_note(rep, "removed", "unknown extension data");
		return skip_subblocks(io);
	}
}

static int
scrub(void *ctx)
{
	struct ob_sio *io = ctx;
	unsigned char h[13], b;
	uint64_t blocks = 0;
	int rc;

	if ((rc = ob_sio_read(io, h, 13)) != 0 || !ob_scrub_gif_sniff(h, 13))
		return ob_sio_fail(io, OB_EINVAL, "not a GIF image");
	/* The global colour table follows the screen descriptor. */
	if ((h[10] & 0x80) &&
	    (rc = ob_sio_skip(io, 3u << ((h[10] & 7) + 1))) != 0)
		return rc;
	if ((rc = copy_to_here(io, 0)) != 0)
		return rc;
	for (;;) {
		uint64_t start = ob_sio_tell(io);
		unsigned char d[9];

		if (++blocks > io->lim->max_entries)
			return ob_sio_fail(
			    io, OB_ETOOBIG, "too many GIF blocks");
		if ((rc = ob_sio_byte(io, &b)) != 0)
			return rc;
		switch (b) {
		case 0x2C:
			if ((rc = ob_sio_read(io, d, 9)) != 0)
				return rc;
			if ((d[8] & 0x80) &&
			    (rc = ob_sio_skip(io, 3u << ((d[8] & 7) + 1))) != 0)
				return rc;
			/* LZW minimum code size: 12 bits is the most. */
			if ((rc = ob_sio_byte(io, &b)) != 0)
				return rc;
			if (b > 11)
				return ob_sio_fail(io, OB_EINVAL,
				    "damaged GIF: a wrong code size");
			if ((rc = skip_subblocks(io)) != 0 ||
			    (rc = copy_to_here(io, start)) != 0)
				return rc;
			break;
		case 0x21:
			if ((rc = extension(io, start)) != 0)
				return rc;
			break;
		case 0x3B:
			if ((rc = copy_to_here(io, start)) != 0)
				return rc;
			if (ob_sio_tell(io) < io->size)
				ob_scrub_note(io->rep, "removed",
				    "data after the end of the image "
				    "(hidden data)");
			return 0;
		default:
			return ob_sio_fail(
			    io, OB_EINVAL, "damaged GIF: an unknown block");
		}
	}
}

int
ob_scrub_gif(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_sio io;

	return ob_sio_run(&io, in, out, lim, rep, scrub, &io);
}
