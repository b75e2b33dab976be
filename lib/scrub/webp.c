/*
 * webp.c - WebP: the RIFF chunks are copied as they are or left out,
 * and the RIFF size and the VP8X flags are set to match what is left.
 *
 * Kept: the image data (VP8, VP8L, ALPH), the extended header (VP8X),
 * the colour profile (ICCP) and animation (ANIM, and ANMF frames with
 * only their image chunks), and the orientation in a minimal EXIF chunk
 * when it is not the default.  Removed: EXIF, XMP, unknown chunks
 * (inside frames too), and anything after the RIFF.
 */
#include "lib/scrub/sniff.h"

#include <string.h>

#include "lib/scrub/sio.h"
#include "lib/scrub/tiffdir.h"

bool
ob_scrub_webp_sniff(const unsigned char *head, size_t n)
{
	return n >= 16 && memcmp(head, "RIFF", 4) == 0 &&
	    memcmp(head + 8, "WEBP", 4) == 0 &&
	    (memcmp(head + 12, "VP8", 3) == 0);
}

/* VP8X flags. */
#define F_ICC 0x20
#define F_EXIF 0x08
#define F_XMP 0x04

struct webp {
	struct ob_sio *io;
	uint64_t end; /* of the RIFF data in the input */
	uint64_t chunks;
	bool extended;
	bool exif_seen;
	bool exif_put;
};

struct chunk {
	unsigned char id[4];
	uint32_t size; /* of the data, without the pad byte */
	uint64_t off; /* of the chunk header */
	uint64_t next; /* of the next chunk: data, and a pad to even */
};

/* The chunk at off, which must lie with its pad byte before end. */
static int
chunk_at(struct webp *w, uint64_t off, uint64_t end, struct chunk *c)
{
	unsigned char h[8];
	int rc;

	if (++w->chunks > w->io->lim->max_entries)
		return ob_sio_fail(w->io, OB_ETOOBIG, "too many WebP chunks");
	if (off + 8 > end)
		return ob_sio_fail(
		    w->io, OB_EINVAL, "damaged WebP: a chunk is cut off");
	if ((rc = ob_sio_pread(w->io, off, h, 8)) != 0)
		return rc;
	memcpy(c->id, h, 4);
	c->size = ob_le32(h + 4);
	c->off = off;
	c->next = off + 8 + c->size + (c->size & 1);
	if (c->next > end)
		return ob_sio_fail(
		    w->io, OB_EINVAL, "damaged WebP: a chunk is cut off");
	return 0;
}

static bool
is(const struct chunk *c, const char *id)
{
	return memcmp(c->id, id, 4) == 0;
}

/* Copies a chunk with its pad byte. */
static int
copy_chunk(struct webp *w, const struct chunk *c)
{
	return ob_sio_copy(w->io, c->off, c->next - c->off);
}

static const char *
drop_kind(const struct chunk *c)
{
	if (is(c, "EXIF"))
		return "EXIF data";
	if (is(c, "XMP "))
		return "XMP metadata";
	return "other data";
}

/* An animation frame keeps its header and its image chunks only. */
static bool
frame_keeps(const struct chunk *c)
{
	return is(c, "ALPH") || is(c, "VP8 ") || is(c, "VP8L");
}

static int
frame(struct webp *w, const struct chunk *f)
{
	unsigned char h[8 + 16];
	uint64_t first = f->off + 8 + 16, end = f->off + 8 + f->size;
	uint64_t kept = 16;
	struct chunk c;
	int rc;

	if (f->size < 16)
		return ob_sio_fail(
		    w->io, OB_EINVAL, "damaged WebP: a frame is too short");
	/* First the size of what stays, for the frame's header. */
	for (uint64_t off = first; off < end; off = c.next) {
		if ((rc = chunk_at(w, off, end, &c)) != 0)
			return rc;
		if (frame_keeps(&c))
			kept += c.next - c.off;
	}
	if ((rc = ob_sio_pread(w->io, f->off, h, sizeof(h))) != 0)
		return rc;
	ob_put_le32(h + 4, (uint32_t)kept);
	if ((rc = ob_sio_write(w->io, h, sizeof(h))) != 0)
		return rc;
	for (uint64_t off = first; off < end; off = c.next) {
		if ((rc = chunk_at(w, off, end, &c)) != 0)
			return rc;
		if (frame_keeps(&c)) {
			if ((rc = copy_chunk(w, &c)) != 0)
				return rc;
		} else {
			ob_scrub_note(
			    w->io->rep, "removed", "%s", drop_kind(&c));
		}
	}
	return 0;
}

/* EXIF: the first one's orientation comes back alone. */
static int
exif(struct webp *w, const struct chunk *c)
{
	unsigned char out[8 + OB_TIFF_ORIENT_LEN], have[OB_TIFF_ORIENT_LEN];
	uint64_t base = c->off + 8, size = c->size;
	const char *why = w->io->why;
	bool first = !w->exif_seen, minimal = false;
	struct ob_tiff t;
	unsigned o = 1;
	uint32_t ifd0;

	w->exif_seen = true;
	/* Some writers keep JPEG's "Exif\0\0" in front of the TIFF data. */
	if (size >= 6 && ob_sio_pread(w->io, base, have, 6) == 0 &&
	    memcmp(have, "Exif\0\0", 6) == 0) {
		base += 6;
		size -= 6;
	}
	if (ob_tiff_open(&t, w->io, base, size, &ifd0) == 0) {
		o = ob_tiff_orientation(&t, ifd0);
		ob_tiff_orientation_block(out + 8, o);
		minimal = size == OB_TIFF_ORIENT_LEN &&
		    ob_sio_pread(w->io, base, have, sizeof(have)) == 0 &&
		    memcmp(have, out + 8, sizeof(have)) == 0;
		if (!minimal)
			ob_tiff_describe(&t, ifd0, "EXIF ");
	}
	w->io->why = why;
	if (!minimal)
		ob_scrub_note(w->io->rep, "removed", "EXIF data");
	/* Only an extended file may have one (a simple one is only VP8). */
	if (!first || o == 1 || !w->extended)
		return 0;
	if (!minimal)
		ob_scrub_note(w->io->rep, "changed",
		    "orientation kept, alone, in a new EXIF block");
	memcpy(out, "EXIF", 4);
	ob_put_le32(out + 4, OB_TIFF_ORIENT_LEN);
	ob_tiff_orientation_block(out + 8, o);
	w->exif_put = true;
	return ob_sio_write(w->io, out, sizeof(out));
}

static int
scrub(void *ctx)
{
	struct webp *w = ctx;
	struct ob_sio *io = w->io;
	unsigned char h[12];
	bool extended;
	struct chunk c;
	uint64_t off;
	int rc;

	if ((rc = ob_sio_pread(io, 0, h, 12)) != 0 ||
	    memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WEBP", 4) != 0)
		return ob_sio_fail(io, OB_EINVAL, "not a WebP image");
	w->end = 8 + (uint64_t)ob_le32(h + 4);
	if (w->end > io->size)
		return ob_sio_fail(io, OB_EINVAL, "the file is truncated");
	if ((rc = ob_sio_write(io, h, 12)) != 0 ||
	    (rc = chunk_at(w, 12, w->end, &c)) != 0)
		return rc;
	extended = w->extended = is(&c, "VP8X");
	if (!extended && !is(&c, "VP8 ") && !is(&c, "VP8L"))
		return ob_sio_fail(io, OB_EINVAL, "not a WebP image");
	if (extended && c.size < 10)
		return ob_sio_fail(
		    io, OB_EINVAL, "damaged WebP: the header is too short");
	if ((rc = copy_chunk(w, &c)) != 0)
		return rc;
	for (off = c.next; off < w->end; off = c.next) {
		if ((rc = chunk_at(w, off, w->end, &c)) != 0)
			return rc;
		/* A simple file is its image chunk: nothing else is read. */
		if (extended &&
		    (is(&c, "ICCP") || is(&c, "ANIM") || is(&c, "ALPH") ||
			is(&c, "VP8 ") || is(&c, "VP8L"))) {
			if (is(&c, "ICCP"))
				ob_scrub_note(io->rep, "not-checked",
				    "colour profile (kept: needed to show "
				    "the colours)");
			if ((rc = copy_chunk(w, &c)) != 0)
				return rc;
		} else if (extended && is(&c, "ANMF")) {
			if ((rc = frame(w, &c)) != 0)
				return rc;
		} else if (is(&c, "EXIF")) {
			if ((rc = exif(w, &c)) != 0)
				return rc;
		} else {
			ob_scrub_note(io->rep, "removed", "%s", drop_kind(&c));
		}
	}
	if (w->end < io->size)
		ob_scrub_note(io->rep, "removed",
		    "data after the end of the image (hidden data)");
	if (extended) {
		unsigned char flags;

		if ((rc = ob_sio_pread(io, 20, &flags, 1)) != 0)
			return rc;
		flags &= (unsigned char)~(F_EXIF | F_XMP);
		if (w->exif_put)
			flags |= F_EXIF;
		if ((rc = ob_sio_patch(io, 20, &flags, 1)) != 0)
			return rc;
	}
	if (io->written - 8 > UINT32_MAX)
		return ob_sio_fail(
		    io, OB_ETOOBIG, "the cleaned file would be too large");
	ob_put_le32(h, (uint32_t)(io->written - 8));
	return ob_sio_patch(io, 4, h, 4);
}

int
ob_scrub_webp(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_sio io;
	struct webp w = { .io = &io };

	return ob_sio_run(&io, in, out, lim, rep, scrub, &w);
}
