/*
 * jpeg.c - JPEG: every segment is read and either copied as it is or
 * left out; the entropy-coded image data is copied byte for byte, so
 * the pixels do not change.
 *
 * Kept: the frame, tables, scans and restart markers; JFIF (APP0)
 * without its thumbnail; ICC profiles (APP2), needed for the colours;
 * Adobe (APP14), which says how to convert the colours; and the
 * orientation, in a new minimal EXIF block when it is not the default.
 * Removed: EXIF (with GPS, maker notes, serial numbers, thumbnails and
 * their own EXIF), XMP and extended XMP, IPTC and Photoshop (APP13),
 * comments, every other APPn (MPF, FlashPix, JUMBF ...), and anything
 * after the end of the image (MPF's extra images).
 */
#include "lib/scrub/sniff.h"

#include <string.h>

#include "lib/scrub/sio.h"
#include "lib/scrub/tiffdir.h"

bool
ob_scrub_jpeg_sniff(const unsigned char *head, size_t n)
{
	return n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
}

struct jpeg {
	struct ob_sio *io;
	bool frame; /* a SOFn was seen: scans may follow */
	bool scan; /* a scan was seen: EOI may follow */
	bool exif_seen; /* the first EXIF block decides the orientation */
	bool jfif_seen;
};

static int
put_segment_head(struct jpeg *j, unsigned char m, size_t payload)
{
	unsigned char h[4] = { 0xFF, m, (unsigned char)((payload + 2) >> 8),
		(unsigned char)(payload + 2) };

	return ob_sio_write(j->io, h, sizeof(h));
}

/* Copies a segment as it is: marker, length and payload. */
static int
copy_segment(struct jpeg *j, unsigned char m, uint64_t off, size_t len)
{
	int rc;

	if ((rc = put_segment_head(j, m, len)) != 0)
		return rc;
	return ob_sio_copy(j->io, off, len);
}

#define EXIF_ID "Exif\0\0"
#define XMP_ID "http://ns.adobe.com/xap/1.0/"
#define XMP_EXT_ID "http://ns.adobe.com/xmp/extension/"
#define ICC_ID "ICC_PROFILE"

static bool
starts(const unsigned char *h, size_t n, const char *id, size_t idlen)
{
	return n >= idlen && memcmp(h, id, idlen) == 0;
}

/*
 * EXIF: the block goes; the first one's orientation comes back alone in
 * a new block when it is not the default, so the picture stays upright.
 */
static int
exif(struct jpeg *j, uint64_t off, size_t len)
{
	unsigned char block[6 + OB_TIFF_ORIENT_LEN], have[OB_TIFF_ORIENT_LEN];
	struct ob_tiff t;
	const char *why = j->io->why;
	unsigned o = 1;
	uint32_t ifd0;
	bool minimal = false, first = !j->exif_seen;
	int rc;

	if (ob_tiff_open(&t, j->io, off + 6, len - 6, &ifd0) == 0) {
		o = ob_tiff_orientation(&t, ifd0);
		ob_tiff_orientation_block(block + 6, o);
		minimal = len - 6 == OB_TIFF_ORIENT_LEN &&
		    ob_sio_pread(j->io, off + 6, have, sizeof(have)) == 0 &&
		    memcmp(have, block + 6, sizeof(have)) == 0;
		if (!minimal)
			ob_tiff_describe(&t, ifd0, "EXIF ");
	}
	/* A damaged EXIF block is removed, not a reason to refuse. */
	j->io->why = why;
	if (!minimal)
		ob_scrub_note(j->io->rep, "removed", "EXIF data");
	j->exif_seen = true;
	if (!first || o == 1)
		return 0;
	if (!minimal)
		ob_scrub_note(j->io->rep, "changed",
		    "orientation kept, alone, in a new EXIF block");
	memcpy(block, EXIF_ID, 6);
	ob_tiff_orientation_block(block + 6, o);
	if ((rc = put_segment_head(j, 0xE1, sizeof(block))) != 0)
		return rc;
	return ob_sio_write(j->io, block, sizeof(block));
}

/* APPn and COM segments: metadata unless known to be needed to render. */
static int
app(struct jpeg *j, unsigned char m, uint64_t off, size_t len)
{
	unsigned char h[40];
	size_t hn = len < sizeof(h) ? len : sizeof(h);
	struct ob_scrub_report *rep = j->io->rep;
	int rc;

	if ((rc = ob_sio_pread(j->io, off, h, hn)) != 0)
		return rc;
	switch (m) {
	case 0xE0:
		if (starts(h, hn, "JFIF", 5) && len >= 14) {
			if (j->jfif_seen)
				return 0;
			j->jfif_seen = true;
			if (h[12] != 0 || h[13] != 0 || len > 14)
				ob_scrub_note(
				    rep, "removed", "JFIF thumbnail image");
			h[12] = h[13] = 0;
			if ((rc = put_segment_head(j, m, 14)) != 0)
				return rc;
			return ob_sio_write(j->io, h, 14);
		}
		if (starts(h, hn, "JFXX", 5)) {
			ob_scrub_note(rep, "removed", "JFIF thumbnail image");
			return 0;
		}
		break;
	case 0xE1:
		if (starts(h, hn, EXIF_ID, 6) || starts(h, hn, "Exif\0\xff", 6))
			return exif(j, off, len);
		if (starts(h, hn, XMP_ID, sizeof(XMP_ID)) ||
		    starts(h, hn, XMP_EXT_ID, sizeof(XMP_EXT_ID))) {
			ob_scrub_note(rep, "removed", "XMP metadata");
			return 0;
		}
		break;
	case 0xE2:
		if (starts(h, hn, ICC_ID, sizeof(ICC_ID))) {
			/* Text inside (a profile's name) is not looked at. */
			ob_scrub_note(rep, "not-checked",
			    "colour profile (kept: needed to show the "
			    "colours)");
			return copy_segment(j, m, off, len);
		}
		if (starts(h, hn, "MPF", 4)) {
			ob_scrub_note(rep, "removed",
			    "multi-picture index (extra images)");
			return 0;
		}
		if (starts(h, hn, "FPXR", 5)) {
			ob_scrub_note(rep, "removed", "FlashPix data");
			return 0;
		}
		break;
	case 0xED:
		ob_scrub_note(rep, "removed", "IPTC and Photoshop data");
		return 0;
	case 0xEE:
		/* Adobe's colour transform: how to read YCCK and CMYK. */
		if (starts(h, hn, "Adobe", 5) && len >= 12) {
			if ((rc = put_segment_head(j, m, 12)) != 0)
				return rc;
			return ob_sio_write(j->io, h, 12);
		}
		break;
	case 0xFE:
		ob_scrub_note(rep, "removed", "comment");
		return 0;
	default:
		break;
	}
	ob_scrub_note(
	    rep, "removed", "application data (APP%u)", (unsigned)(m - 0xE0));
	return 0;
}

/*
 * Copies entropy-coded data up to the next marker that is neither a
 * stuffed 0xFF00 nor a restart marker, and returns that marker.
 */
static int
scan_data(struct jpeg *j, unsigned char *next)
{
	uint64_t start = ob_sio_tell(j->io);
	unsigned char c;
	int rc;

	for (;;) {
		if ((rc = ob_sio_find(j->io, 0xFF)) != 0 ||
		    (rc = ob_sio_byte(j->io, &c)) != 0)
			return rc;
		do
			if ((rc = ob_sio_byte(j->io, &c)) != 0)
				return rc;
		while (c == 0xFF);
		if (c == 0x00 || (c >= 0xD0 && c <= 0xD7))
			continue;
		*next = c;
		return ob_sio_copy(
		    j->io, start, ob_sio_tell(j->io) - 2 - start);
	}
}

static int
scrub(void *ctx)
{
	struct jpeg *j = ctx;
	struct ob_sio *io = j->io;
	uint64_t segments = 0;
	unsigned char b[2], m = 0;
	bool pending = false;
	int rc;

	if ((rc = ob_sio_read(j->io, b, 2)) != 0 || b[0] != 0xFF ||
	    b[1] != 0xD8)
		return ob_sio_fail(io, OB_EINVAL, "not a JPEG image");
	if ((rc = ob_sio_write(io, b, 2)) != 0)
		return rc;
	for (;;) {
		uint64_t off;
		size_t len;

		if (!pending) {
			if ((rc = ob_sio_byte(j->io, &m)) != 0)
				return rc;
			if (m != 0xFF)
				return ob_sio_fail(io, OB_EINVAL,
				    "damaged JPEG: data where a marker "
				    "should be");
			do
				if ((rc = ob_sio_byte(j->io, &m)) != 0)
					return rc;
			while (m == 0xFF);
		}
		pending = false;
		if (++segments > io->lim->max_entries)
			return ob_sio_fail(
			    io, OB_ETOOBIG, "too many JPEG segments");
		if (m == 0xD9) {
			if (!j->scan)
				return ob_sio_fail(io, OB_EINVAL,
				    "damaged JPEG: no image data");
			b[0] = 0xFF;
			b[1] = m;
			if ((rc = ob_sio_write(io, b, 2)) != 0)
				return rc;
			if (ob_sio_tell(j->io) < io->size)
				ob_scrub_note(io->rep, "removed",
				    "data after the end of the image "
				    "(extra images or hidden data)");
			return 0;
		}
		if (m == 0x00 || m == 0x01 || m == 0xD8 ||
		    (m >= 0xD0 && m <= 0xD7))
			return ob_sio_fail(io, OB_EINVAL,
			    "damaged JPEG: a marker out of place");
		if (m < 0xC0 || (m >= 0xF0 && m <= 0xFD))
			return ob_sio_fail(io, OB_EUNSUPP,
			    "JPEG extensions (JPEG-LS, reserved markers) are "
			    "not supported");
		if ((rc = ob_sio_read(j->io, b, 2)) != 0)
			return rc;
		if (ob_be16(b) < 2)
			return ob_sio_fail(io, OB_EINVAL,
			    "damaged JPEG: a segment length is wrong");
		len = (size_t)ob_be16(b) - 2;
		off = ob_sio_tell(j->io);
		if ((rc = ob_sio_skip(j->io, len)) != 0)
			return rc;
		if ((m >= 0xE0 && m <= 0xEF) || m == 0xFE) {
			if ((rc = app(j, m, off, len)) != 0)
				return rc;
			continue;
		}
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 &&
		    m != 0xCC)
			j->frame = true;
		if (m == 0xDA && !j->frame)
			return ob_sio_fail(io, OB_EINVAL,
			    "damaged JPEG: image data before its frame");
		if ((rc = copy_segment(j, m, off, len)) != 0)
			return rc;
		if (m == 0xDA) {
			j->scan = true;
			if ((rc = scan_data(j, &m)) != 0)
				return rc;
			pending = true;
		}
	}
}

int
ob_scrub_jpeg(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_sio io;
	struct jpeg j = { .io = &io };

	return ob_sio_run(&io, in, out, lim, rep, scrub, &j);
}
