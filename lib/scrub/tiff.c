/*
 * tiff.c - TIFF: a new file is written, page by page, with only the
 * tags a viewer needs to draw each page; the strips or tiles are copied
 * byte for byte to new offsets, so the pixels do not change.
 *
 * Output layout, for each page: its strip or tile data, then the values
 * of its kept tags that do not fit in an entry, then its IFD.  The byte
 * order stays the input's, so kept values are copied as they are; only
 * the strip or tile offsets are new (always LONG).  Each IFD's "next"
 * field is patched when the next page is written.
 *
 * Kept: the tags of keep_tags below (size, compression, colour, strips
 * and tiles, resolution, orientation, ICC profile and the like).
 * Removed: everything else - Artist, Copyright, Make, Model, Software,
 * DateTime, HostComputer, ImageDescription, DocumentName, PageName,
 * XMP, IPTC, Photoshop, the EXIF and GPS IFDs, private and unknown tags
 * - and reduced-resolution pages after the first (thumbnails, which can
 * show what a crop cut away).  Refused: BigTIFF, old-style JPEG,
 * sub-IFDs and DNG (camera raw: no faithful copy without its private
 * tags), loops in the IFD chain.
 */
#include "lib/scrub/sniff.h"

#include <stdlib.h>
#include <string.h>

#include "lib/scrub/sio.h"
#include "lib/scrub/tiffdir.h"
#include "lib/util.h"

bool
ob_scrub_tiff_sniff(const unsigned char *head, size_t n)
{
	return n >= 4 &&
	    (memcmp(head, "II*\0", 4) == 0 || memcmp(head, "MM\0*", 4) == 0 ||
		memcmp(head, "II+\0", 4) == 0 || memcmp(head, "MM\0+", 4) == 0);
}

enum {
	T_SUBFILE = 254,
	T_WIDTH = 256,
	T_LENGTH = 257,
	T_COMPRESSION = 259,
	T_STRIP_OFFSETS = 273,
	T_STRIP_COUNTS = 279,
	T_TILE_WIDTH = 322,
	T_TILE_LENGTH = 323,
	T_TILE_OFFSETS = 324,
	T_TILE_COUNTS = 325,
	T_SUBIFDS = 330,
	T_DNG_VERSION = 50706,
};

/* What a viewer needs to draw a page, in ascending order. */
static const uint16_t keep_tags[] = {
	254, /* NewSubfileType */
	255, /* SubfileType */
	256, /* ImageWidth */
	257, /* ImageLength */
	258, /* BitsPerSample */
	259, /* Compression */
	262, /* PhotometricInterpretation */
	263, /* Threshholding */
	266, /* FillOrder */
	273, /* StripOffsets */
	274, /* Orientation */
	277, /* SamplesPerPixel */
	278, /* RowsPerStrip */
	279, /* StripByteCounts */
	280, /* MinSampleValue */
	281, /* MaxSampleValue */
	282, /* XResolution */
	283, /* YResolution */
	284, /* PlanarConfiguration */
	290, /* GrayResponseUnit */
	291, /* GrayResponseCurve */
	292, /* T4Options */
	293, /* T6Options */
	296, /* ResolutionUnit */
	297, /* PageNumber */
	301, /* TransferFunction */
	317, /* Predictor */
	318, /* WhitePoint */
	319, /* PrimaryChromaticities */
	320, /* ColorMap */
	322, /* TileWidth */
	323, /* TileLength */
	324, /* TileOffsets */
	325, /* TileByteCounts */
	332, /* InkSet */
	334, /* NumberOfInks */
	338, /* ExtraSamples */
	339, /* SampleFormat */
	340, /* SMinSampleValue */
	341, /* SMaxSampleValue */
	347, /* JPEGTables */
	529, /* YCbCrCoefficients */
	530, /* YCbCrSubSampling */
	531, /* YCbCrPositioning */
	532, /* ReferenceBlackWhite */
	34675, /* ICC profile */
};

#define KEEP_MAX OB_NELEM(keep_tags)

struct page {
	struct ob_tiff_entry e[KEEP_MAX]; /* kept, by ascending tag */
	size_t n;
	struct ob_tiff_entry *offsets, *counts; /* of strips or tiles */
};

struct tiff {
	struct ob_sio *io;
	struct ob_tiff t;
	uint64_t entries; /* IFDs, entries and strips seen, for max_entries */
	uint64_t copied; /* bytes of strips and tiles copied */
	unsigned described; /* EXIF and GPS IFDs named in the report */
	struct page *page; /* the page being read and written */
};

static bool
is_kept(uint16_t tag)
{
	for (size_t i = 0; i < KEEP_MAX; i++)
		if (keep_tags[i] == tag)
			return true;
	return false;
}

static struct ob_tiff_entry *
find(struct page *p, uint16_t tag)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].tag == tag)
			return &p->e[i];
	return NULL;
}

static int
count(struct tiff *x, uint64_t n)
{
	x->entries += n;
	if (x->entries > x->io->lim->max_entries)
		return ob_sio_fail(x->io, OB_ETOOBIG,
		    "too many pages, tags or strips in the TIFF file");
	return 0;
}

/*
 * Walks the chain of IFDs without writing anything, so that a loop
 * (Brent's cycle finding: constant memory) or an overlong chain is
 * refused before any output.
 */
static int
check_chain(struct tiff *x, uint32_t ifd0)
{
	uint32_t tortoise = ifd0, hare = ifd0, next;
	uint64_t power = 1, lam = 0;
	uint16_t n;
	int rc;

	for (;;) {
		if ((rc = ob_tiff_ifd(&x->t, hare, &n, &next)) != 0 ||
		    (rc = count(x, 1 + (uint64_t)n)) != 0)
			return rc;
		if (next == 0)
			return 0;
		hare = next;
		if (hare == tortoise)
			return ob_sio_fail(x->io, OB_EINVAL,
			    "damaged TIFF: the pages form a loop");
		if (++lam == power) {
			tortoise = hare;
			power *= 2;
			lam = 0;
		}
	}
}

/*
 * The first value of a kept SHORT or LONG entry, if it is one; a wrong
 * type here is not a reason to refuse (the viewer decides).
 */
static bool
first_value(struct tiff *x, struct page *p, uint16_t tag, uint32_t *v)
{
	const struct ob_tiff_entry *e = find(p, tag);
	const char *why = x->io->why;
	bool ok = e != NULL && ob_tiff_uint(&x->t, e, 0, v) == 0;

	x->io->why = why;
	return ok;
}

/*
 * Reads the IFD at ifd: kept entries into p, a note for each kind of
 * dropped one.  *skip is set for a reduced-resolution copy of an
 * earlier page (a thumbnail).
 */
static int
read_page(struct tiff *x, uint32_t ifd, bool first, struct page *p, bool *skip)
{
	struct ob_scrub_report *rep = x->io->rep;
	const char *why;
	uint32_t next, v;
	uint16_t n;
	int rc;

	memset(p, 0, sizeof(*p));
	*skip = false;
	if ((rc = ob_tiff_ifd(&x->t, ifd, &n, &next)) != 0)
		return rc;
	for (uint16_t i = 0; i < n; i++) {
		struct ob_tiff_entry e;
		const char *kind;
		size_t k;

		if ((rc = ob_tiff_entry(&x->t, ifd, i, &e)) != 0)
			return rc;
		if (e.tag == T_SUBIFDS || e.tag == T_DNG_VERSION)
			return ob_sio_fail(x->io, OB_EUNSUPP,
			    "camera raw (DNG) and TIFF files with sub-images "
			    "are not supported");
		if (!is_kept(e.tag)) {
			kind = ob_tiff_tag_kind(e.tag);
			ob_scrub_note(rep, "removed", "%s",
			    kind != NULL ? kind
					 : "other tags (private or "
					   "unknown)");
			/* Name what the EXIF and GPS directories held. */
			why = x->io->why;
			if ((e.tag == 0x8769 || e.tag == 0x8825) &&
			    x->described < 4 &&
			    ob_tiff_uint(&x->t, &e, 0, &v) == 0) {
				/* Pages may all point at one large IFD. */
				x->described++;
				ob_tiff_describe(&x->t, v, "EXIF ");
			}
			x->io->why = why;
			continue;
		}
		if (find(p, e.tag) != NULL)
			return ob_sio_fail(x->io, OB_EINVAL,
			    "damaged TIFF: a tag appears twice");
		if ((rc = ob_tiff_entry_check(&x->t, &e)) != 0)
			return rc;
		/* Insertion in tag order: IFD entries must be sorted. */
		for (k = p->n; k > 0 && p->e[k - 1].tag > e.tag; k--)
			p->e[k] = p->e[k - 1];
		p->e[k] = e;
		p->n++;
	}
	if (!first && first_value(x, p, T_SUBFILE, &v) && (v & 1)) {
		ob_scrub_note(rep, "removed", "thumbnail image");
		*skip = true;
		return 0;
	}
	if (first_value(x, p, T_COMPRESSION, &v) && v == 6)
		return ob_sio_fail(x->io, OB_EUNSUPP,
		    "old-style JPEG compression in TIFF is not supported");
	if (find(p, T_WIDTH) == NULL || find(p, T_LENGTH) == NULL)
		return ob_sio_fail(
		    x->io, OB_EINVAL, "damaged TIFF: a page without a size");
	if (find(p, T_TILE_OFFSETS) != NULL || find(p, T_TILE_COUNTS) != NULL) {
		if (find(p, T_STRIP_OFFSETS) != NULL ||
		    find(p, T_STRIP_COUNTS) != NULL ||
		    find(p, T_TILE_WIDTH) == NULL ||
		    find(p, T_TILE_LENGTH) == NULL)
			return ob_sio_fail(x->io, OB_EINVAL,
			    "damaged TIFF: strips and tiles do not match");
		p->offsets = find(p, T_TILE_OFFSETS);
		p->counts = find(p, T_TILE_COUNTS);
	} else {
		p->offsets = find(p, T_STRIP_OFFSETS);
		p->counts = find(p, T_STRIP_COUNTS);
	}
	if (p->offsets == NULL || p->counts == NULL || p->offsets->count == 0 ||
	    p->offsets->count != p->counts->count ||
	    (p->offsets->type != OB_TIFF_SHORT &&
		p->offsets->type != OB_TIFF_LONG) ||
	    (p->counts->type != OB_TIFF_SHORT &&
		p->counts->type != OB_TIFF_LONG))
		return ob_sio_fail(x->io, OB_EINVAL,
		    "damaged TIFF: the image data is not where it says");
	return count(x, p->offsets->count);
}

/* Pads the output to an even offset: TIFF values and IFDs start there. */
static int
align(struct tiff *x)
{
	unsigned char z = 0;

	return (x->io->written & 1) ? ob_sio_write(x->io, &z, 1) : 0;
}

static int
fits(struct tiff *x)
{
	if (x->io->written > UINT32_MAX)
		return ob_sio_fail(x->io, OB_ETOOBIG,
		    "the cleaned file would be too large for TIFF");
	return 0;
}

/* The new offsets of the strips, which start at data and follow on. */
static int
write_offsets(struct tiff *x, const struct page *p, uint64_t data)
{
	unsigned char b[1024];
	size_t used = 0;
	uint32_t cnt;
	int rc;

	for (uint32_t i = 0; i < p->offsets->count; i++) {
		if ((rc = ob_tiff_uint(&x->t, p->counts, i, &cnt)) != 0)
			return rc;
		if (used == sizeof(b)) {
			if ((rc = ob_sio_write(x->io, b, used)) != 0)
				return rc;
			used = 0;
		}
		ob_tiff_put32(&x->t, b + used, (uint32_t)data);
		used += 4;
		data += cnt;
	}
	return ob_sio_write(x->io, b, used);
}

/* Writes one page; *link is where its offset goes (patched). */
static int
write_page(struct tiff *x, struct page *p, uint64_t *link)
{
	unsigned char ent[12], b[4];
	uint64_t data = x->io->written, at;
	uint32_t off, cnt;
	int rc;

	for (uint32_t i = 0; i < p->offsets->count; i++) {
		if ((rc = ob_tiff_uint(&x->t, p->offsets, i, &off)) != 0 ||
		    (rc = ob_tiff_uint(&x->t, p->counts, i, &cnt)) != 0)
			return rc;
		/*
		 * Strips of a real file do not overlap, so copying more than
		 * the whole file means pages share their data: a bomb.
		 */
		x->copied += cnt;
		if (x->copied > x->io->size)
			return ob_sio_fail(x->io, OB_ETOOBIG,
			    "TIFF pages share their image data (a bomb)");
		/* An empty tile may point anywhere: nothing is read. */
		if (cnt > 0 && (rc = ob_sio_copy(x->io, off, cnt)) != 0)
			return rc;
	}
	if ((rc = fits(x)) != 0)
		return rc;
	/* Values too large for their entry, and where they now are. */
	for (size_t i = 0; i < p->n; i++) {
		struct ob_tiff_entry *e = &p->e[i];

		if (e == p->offsets) {
			e->type = OB_TIFF_LONG;
			e->bytes = 4 * (uint64_t)e->count;
			if (e->count == 1) {
				ob_tiff_put32(&x->t, e->field, (uint32_t)data);
				continue;
			}
			if ((rc = align(x)) != 0)
				return rc;
			ob_tiff_put32(
			    &x->t, e->field, (uint32_t)x->io->written);
			if ((rc = write_offsets(x, p, data)) != 0)
				return rc;
		} else if (e->bytes > 4) {
			if ((rc = align(x)) != 0)
				return rc;
			ob_tiff_put32(
			    &x->t, e->field, (uint32_t)x->io->written);
			if ((rc = ob_sio_copy(x->io, e->value, e->bytes)) != 0)
				return rc;
		}
		if ((rc = fits(x)) != 0)
			return rc;
	}
	if ((rc = align(x)) != 0 || (rc = fits(x)) != 0)
		return rc;
	at = x->io->written;
	ob_tiff_put32(&x->t, b, (uint32_t)at);
	if ((rc = ob_sio_patch(x->io, *link, b, 4)) != 0)
		return rc;
	ob_tiff_put16(&x->t, b, (uint16_t)p->n);
	if ((rc = ob_sio_write(x->io, b, 2)) != 0)
		return rc;
	for (size_t i = 0; i < p->n; i++) {
		ob_tiff_put16(&x->t, ent, p->e[i].tag);
		ob_tiff_put16(&x->t, ent + 2, p->e[i].type);
		ob_tiff_put32(&x->t, ent + 4, p->e[i].count);
		memcpy(ent + 8, p->e[i].field, 4);
		if ((rc = ob_sio_write(x->io, ent, 12)) != 0)
			return rc;
	}
	*link = x->io->written;
	memset(b, 0, 4);
	if ((rc = ob_sio_write(x->io, b, 4)) != 0)
		return rc;
	return fits(x);
}

static int
scrub(void *ctx)
{
	struct tiff *x = ctx;
	struct page *p = x->page;
	struct ob_sio *io = x->io;
	unsigned char h[8];
	uint64_t link = 4;
	uint32_t ifd, next;
	uint16_t n;
	bool first = true, skip;
	int rc;

	if ((rc = ob_tiff_open(&x->t, io, 0, io->size, &ifd)) != 0)
		return rc;
	if ((rc = check_chain(x, ifd)) != 0)
		return rc;
	x->entries = 0;
	if ((rc = ob_sio_pread(io, 0, h, 4)) != 0)
		return rc;
	memset(h + 4, 0, 4);
	if ((rc = ob_sio_write(io, h, 8)) != 0)
		return rc;
	for (; ifd != 0; ifd = next, first = false) {
		if ((rc = ob_tiff_ifd(&x->t, ifd, &n, &next)) != 0 ||
		    (rc = read_page(x, ifd, first, p, &skip)) != 0)
			return rc;
		if (!skip && (rc = write_page(x, p, &link)) != 0)
			return rc;
	}
	return 0;
}

int
ob_scrub_tiff(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_sio io;
	struct tiff x = { .io = &io, .page = ob_xmalloc(sizeof(*x.page)) };
	int rc = ob_sio_run(&io, in, out, lim, rep, scrub, &x);

	free(x.page);
	return rc;
}
