#include "lib/scrub/tiffdir.h"

#include <string.h>

unsigned
ob_tiff_type_size(uint16_t type)
{
	switch (type) {
	case 1: /* BYTE */
	case 2: /* ASCII */
	case 6: /* SBYTE */
	case 7: /* UNDEFINED */
		return 1;
	case 3: /* SHORT */
	case 8: /* SSHORT */
		return 2;
	case 4: /* LONG */
	case 9: /* SLONG */
	case 11: /* FLOAT */
	case 13: /* IFD */
		return 4;
	case 5: /* RATIONAL */
	case 10: /* SRATIONAL */
	case 12: /* DOUBLE */
		return 8;
	default:
		return 0;
	}
}

uint16_t
ob_tiff_get16(const struct ob_tiff *t, const unsigned char *p)
{
	return t->be ? ob_be16(p) : ob_le16(p);
}

uint32_t
ob_tiff_get32(const struct ob_tiff *t, const unsigned char *p)
{
	return t->be ? ob_be32(p) : ob_le32(p);
}

void
ob_tiff_put16(const struct ob_tiff *t, unsigned char *p, uint16_t v)
{
	if (t->be) {
		p[0] = (unsigned char)(v >> 8);
		p[1] = (unsigned char)v;
	} else {
		p[0] = (unsigned char)v;
		p[1] = (unsigned char)(v >> 8);
	}
}

void
ob_tiff_put32(const struct ob_tiff *t, unsigned char *p, uint32_t v)
{
	if (t->be)
		ob_put_be32(p, v);
	else
		ob_put_le32(p, v);
}

/* Reads n bytes at off from the header, which must lie inside the data. */
static int
tread(struct ob_tiff *t, uint64_t off, void *p, size_t n)
{
	if (off > t->size || n > t->size - off)
		return ob_sio_fail(t->io, OB_EINVAL,
		    "an image directory points outside the file");
	return ob_sio_pread(t->io, t->base + off, p, n);
}

int
ob_tiff_open(struct ob_tiff *t, struct ob_sio *io, uint64_t base, uint64_t size,
    uint32_t *ifd0)
{
	unsigned char h[8];
	int rc;

	t->io = io;
	t->base = base;
	t->size = size;
	t->be = false;
	if ((rc = tread(t, 0, h, sizeof(h))) != 0)
		return rc;
	if (h[0] == 'M' && h[1] == 'M')
		t->be = true;
	else if (h[0] != 'I' || h[1] != 'I')
		return ob_sio_fail(io, OB_EINVAL, "not a TIFF structure");
	if (ob_tiff_get16(t, h + 2) == 43)
		return ob_sio_fail(io, OB_EUNSUPP,
		    "BigTIFF files are not supported; save as classic TIFF");
	if (ob_tiff_get16(t, h + 2) != 42)
		return ob_sio_fail(io, OB_EINVAL, "not a TIFF structure");
	*ifd0 = ob_tiff_get32(t, h + 4);
	if (*ifd0 < 8)
		return ob_sio_fail(io, OB_EINVAL,
		    "an image directory points outside the file");
	return 0;
}

int
ob_tiff_ifd(struct ob_tiff *t, uint32_t off, uint16_t *n, uint32_t *next)
{
	unsigned char b[4];
	int rc;

	if (off < 8)
		return ob_sio_fail(t->io, OB_EINVAL,
		    "an image directory points outside the file");
	if ((rc = tread(t, off, b, 2)) != 0)
		return rc;
	*n = ob_tiff_get16(t, b);
	if ((rc = tread(t, (uint64_t)off + 2 + 12 * (uint64_t)*n, b, 4)) != 0)
		return rc;
	*next = ob_tiff_get32(t, b);
	return 0;
}

int
ob_tiff_entry(
    struct ob_tiff *t, uint32_t ifd, uint16_t i, struct ob_tiff_entry *e)
{
	unsigned char b[12];
	unsigned sz;
	int rc;

	e->at = (uint64_t)ifd + 2 + 12 * (uint64_t)i;
	if ((rc = tread(t, e->at, b, sizeof(b))) != 0)
		return rc;
	e->tag = ob_tiff_get16(t, b);
	e->type = ob_tiff_get16(t, b + 2);
	e->count = ob_tiff_get32(t, b + 4);
	memcpy(e->field, b + 8, 4);
	sz = ob_tiff_type_size(e->type);
	e->bytes = (uint64_t)sz * e->count;
	if (sz == 0) {
		e->value = 0;
		return 0;
	}
	e->value = e->bytes <= 4 ? e->at + 8 : ob_tiff_get32(t, e->field);
	return 0;
}

int
ob_tiff_entry_check(struct ob_tiff *t, const struct ob_tiff_entry *e)
{
	if (ob_tiff_type_size(e->type) == 0)
		return ob_sio_fail(
		    t->io, OB_EINVAL, "a directory entry has an unknown type");
	if (e->value > t->size || e->bytes > t->size - e->value)
		return ob_sio_fail(t->io, OB_EINVAL,
		    "a directory entry points outside the file");
	return 0;
}

int
ob_tiff_uint(
    struct ob_tiff *t, const struct ob_tiff_entry *e, uint32_t i, uint32_t *v)
{
	unsigned char b[4];
	unsigned sz = ob_tiff_type_size(e->type);
	int rc;

	if (i >= e->count ||
	    (e->type != OB_TIFF_BYTE && e->type != OB_TIFF_SHORT &&
		e->type != OB_TIFF_LONG && e->type != OB_TIFF_IFD))
		return ob_sio_fail(
		    t->io, OB_EINVAL, "a directory entry has the wrong type");
	if (e->bytes <= 4)
		memcpy(b, e->field + (size_t)i * sz, sz);
	else if ((rc = tread(t, e->value + (uint64_t)i * sz, b, sz)) != 0)
		return rc;
	*v = sz == 1  ? b[0]
	    : sz == 2 ? ob_tiff_get16(t, b)
		      : ob_tiff_get32(t, b);
	return 0;
}

/* Tags whose values could say who made a picture, where, when, with what. */
static const struct {
	uint16_t tag;
	const char *kind;
} kinds[] = {
	{ 0x010D, "document name" },
	{ 0x010E, "image description" },
	{ 0x010F, "camera make and model" },
	{ 0x0110, "camera make and model" },
	{ 0x011D, "page name" },
	{ 0x0131, "software name" },
	{ 0x0132, "date and time" },
	{ 0x013B, "author or copyright" },
	{ 0x013C, "computer name" },
	{ 0x014A, "sub-images (previews)" },
	{ 0x0201, "thumbnail image" },
	{ 0x02BC, "XMP metadata" },
	{ 0x8298, "author or copyright" },
	{ 0x83BB, "IPTC data" },
	{ 0x8649, "Photoshop data" },
	{ 0x8769, "EXIF camera data" },
	{ 0x8825, "GPS position" },
	{ 0x9003, "date and time" },
	{ 0x9004, "date and time" },
	{ 0x9010, "date and time" },
	{ 0x9011, "date and time" },
	{ 0x9012, "date and time" },
	{ 0x927C, "maker notes (camera-specific data)" },
	{ 0x9286, "comments" },
	{ 0x9C9B, "title, subject or keywords" },
	{ 0x9C9C, "comments" },
	{ 0x9C9D, "author or copyright" },
	{ 0x9C9E, "title, subject or keywords" },
	{ 0x9C9F, "title, subject or keywords" },
	{ 0xA420, "unique image ID" },
	{ 0xA430, "camera owner name" },
	{ 0xA431, "serial numbers" },
	{ 0xA433, "lens make and model" },
	{ 0xA434, "lens make and model" },
	{ 0xA435, "serial numbers" },
	{ 0xC62F, "serial numbers" },
};

const char *
ob_tiff_tag_kind(uint16_t tag)
{
	for (size_t i = 0; i < OB_NELEM(kinds); i++)
		if (kinds[i].tag == tag)
			return kinds[i].kind;
	return NULL;
}

/* Enough for any real EXIF block; a walk stops there, the removal not. */
#define DESCRIBE_MAX_ENTRIES 4096
#define DESCRIBE_MAX_IFDS 8

void
ob_tiff_describe(struct ob_tiff *t, uint32_t ifd0, const char *prefix)
{
	uint32_t todo[DESCRIBE_MAX_IFDS];
	size_t ntodo = 0, entries = 0;
	const char *why = t->io->why;

	todo[ntodo++] = ifd0;
	/* A queue, not recursion: each IFD may add the ones it points to. */
	for (size_t k = 0; k < ntodo; k++) {
		uint32_t next;
		uint16_t n;

		if (ob_tiff_ifd(t, todo[k], &n, &next) != 0)
			break;
		if (k == 0 && next != 0 && ntodo < DESCRIBE_MAX_IFDS) {
			ob_scrub_note(t->io->rep, "removed", "%s%s", prefix,
			    "thumbnail image");
			todo[ntodo++] = next;
		}
		for (uint16_t i = 0; i < n; i++) {
			struct ob_tiff_entry e;
			const char *kind;
			uint32_t sub;

			if (++entries > DESCRIBE_MAX_ENTRIES ||
			    ob_tiff_entry(t, todo[k], i, &e) != 0)
				goto out;
			if ((kind = ob_tiff_tag_kind(e.tag)) != NULL &&
			    e.tag != 0x8769)
				ob_scrub_note(t->io->rep, "removed", "%s%s",
				    prefix, kind);
			if ((e.tag == 0x8769 || e.tag == 0x8825 ||
				e.tag == 0xA005) &&
			    ntodo < DESCRIBE_MAX_IFDS &&
			    ob_tiff_uint(t, &e, 0, &sub) == 0)
				todo[ntodo++] = sub;
		}
	}
out:
	/* A damaged block is removed all the same: not a refusal. */
	t->io->why = why;
}

unsigned
ob_tiff_orientation(struct ob_tiff *t, uint32_t ifd0)
{
	const char *why = t->io->why;
	unsigned o = 1;
	uint32_t next, v;
	uint16_t n;

	if (ob_tiff_ifd(t, ifd0, &n, &next) != 0)
		goto out;
	for (uint16_t i = 0; i < n; i++) {
		struct ob_tiff_entry e;

		if (ob_tiff_entry(t, ifd0, i, &e) != 0)
			break;
		if (e.tag != 0x0112)
			continue;
		if (e.type == OB_TIFF_SHORT && e.count == 1 &&
		    ob_tiff_uint(t, &e, 0, &v) == 0 && v >= 1 && v <= 8)
			o = v;
		break;
	}
out:
	t->io->why = why;
	return o;
}

void
ob_tiff_orientation_block(unsigned char *out, unsigned o)
{
	static const unsigned char block[OB_TIFF_ORIENT_LEN] = {
		'M', 'M', 0, 42, 0, 0, 0, 8, /* header, IFD0 at 8 */
		0, 1, /* one entry */
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0, /* Orientation */
		0, 0, 0, 0, /* no next IFD */
	};

	memcpy(out, block, sizeof(block));
	out[19] = (unsigned char)(o >= 1 && o <= 8 ? o : 1);
}
