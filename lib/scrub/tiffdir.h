/*
 * tiffdir.h - reading TIFF image file directories (IFDs), for TIFF files
 * and for the TIFF structure inside EXIF blocks (JPEG APP1, PNG eXIf,
 * WebP EXIF).  Classic TIFF only: BigTIFF is OB_EUNSUPP.
 *
 * Every offset in the structure is relative to the TIFF header and is
 * checked against the size given to ob_tiff_open before it is read;
 * nothing is held in memory but the entry being looked at.
 */
#ifndef OB_SCRUB_TIFFDIR_H
#define OB_SCRUB_TIFFDIR_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/scrub/sio.h"

struct ob_tiff {
	struct ob_sio *io;
	uint64_t base; /* file offset of the TIFF header */
	uint64_t size; /* bytes of TIFF data from base */
	bool be; /* "MM": big-endian */
};

/* Field types (TIFF 6.0 section 2). */
enum {
	OB_TIFF_BYTE = 1,
	OB_TIFF_ASCII = 2,
	OB_TIFF_SHORT = 3,
	OB_TIFF_LONG = 4,
	OB_TIFF_RATIONAL = 5,
	OB_TIFF_UNDEFINED = 7,
	OB_TIFF_IFD = 13,
};

struct ob_tiff_entry {
	uint16_t tag, type;
	uint32_t count;
	uint64_t bytes; /* count times the size of type; 0: unknown type */
	uint64_t value; /* where the value is, from the header */
	uint64_t at; /* where the 12-byte entry is, from the header */
	unsigned char field[4]; /* the entry's value-or-offset, raw */
};

/* The size of one value of a type, 0 for a type TIFF 6.0 does not know. */
unsigned ob_tiff_type_size(uint16_t type);

/*
 * Reads the 8-byte header at base (size bytes of TIFF data there) and
 * the offset of IFD0.  OB_EINVAL if it is not a TIFF header, OB_EUNSUPP
 * for BigTIFF.
 */
int ob_tiff_open(struct ob_tiff *t, struct ob_sio *io, uint64_t base,
    uint64_t size, uint32_t *ifd0) OB_MUST_CHECK;

/*
 * The number of entries of the IFD at off and the offset of the next
 * IFD (0: none).  OB_EINVAL if the IFD does not fit.
 */
int ob_tiff_ifd(
    struct ob_tiff *t, uint32_t off, uint16_t *n, uint32_t *next) OB_MUST_CHECK;

/*
 * Entry i of the IFD at ifd, as it is: its value is not checked (an
 * entry that is only dropped need not be valid); bytes is 0 for a type
 * TIFF 6.0 does not know.
 */
int ob_tiff_entry(struct ob_tiff *t, uint32_t ifd, uint16_t i,
    struct ob_tiff_entry *e) OB_MUST_CHECK;

/* OB_EINVAL unless e has a known type and its value fits in the data. */
int ob_tiff_entry_check(
    struct ob_tiff *t, const struct ob_tiff_entry *e) OB_MUST_CHECK;

/* Element i of a BYTE, SHORT, LONG or IFD entry.  OB_EINVAL otherwise. */
int ob_tiff_uint(struct ob_tiff *t, const struct ob_tiff_entry *e, uint32_t i,
    uint32_t *v) OB_MUST_CHECK;

/* A 16- or 32-bit number in the TIFF's byte order. */
uint16_t ob_tiff_get16(const struct ob_tiff *t, const unsigned char *p);
uint32_t ob_tiff_get32(const struct ob_tiff *t, const unsigned char *p);
void ob_tiff_put16(const struct ob_tiff *t, unsigned char *p, uint16_t v);
void ob_tiff_put32(const struct ob_tiff *t, unsigned char *p, uint32_t v);

/*
 * What kind of identifying data a tag holds ("GPS position", "serial
 * numbers"), for the report; NULL for a tag not in the list.
 */
const char *ob_tiff_tag_kind(uint16_t tag);

/*
 * Adds a "removed" note, prefix then kind, for each kind of identifying
 * data found in IFD0, the next IFD (a thumbnail) and the EXIF, GPS and
 * interoperability IFDs they point to.  Best effort: a damaged
 * structure ends the walk, and the caller removes the block anyway.
 */
void ob_tiff_describe(struct ob_tiff *t, uint32_t ifd0, const char *prefix);

/* IFD0's orientation (1 to 8), or 1 when it has none or a bad one. */
unsigned ob_tiff_orientation(struct ob_tiff *t, uint32_t ifd0);

/*
 * The smallest TIFF structure that says only "orientation o": a
 * big-endian header and an IFD0 of one entry.  Writes
 * OB_TIFF_ORIENT_LEN bytes to out.
 */
#define OB_TIFF_ORIENT_LEN 26
void ob_tiff_orientation_block(unsigned char *out, unsigned o);

#endif
