/*
 * zip.h - the zip containers of office documents (OOXML, ODF), read
 * with the limits of issue 7 and written anew, for lib/scrub/office.c.
 *
 * Reading (libzip, over pread on the input descriptor: no file is
 * opened by name).  ob_zipr_open checks the whole archive before any
 * member is read, and refuses it (with a "refused" note) when:
 *   - it is not one zip from the first byte to the last (data before
 *     the first member or after the end record: a polyglot), spans
 *     disks, or its end record and central directory disagree;
 *   - it has more than lim->max_entries members, or its central
 *     directory is larger than lim->max_in_memory;
 *   - a member name is empty, absolute, has a drive letter, a ".."
 *     component, a backslash, a control character, or is longer than
 *     OB_ZIP_NAME_MAX; or two names are equal ignoring ASCII case
 *     (OOXML part names are case-insensitive);
 *   - a member is encrypted or compressed other than stored/deflated
 *     (OB_EUNSUPP);
 *   - the declared sizes add up to more than lim->max_expanded, a
 *     member over 1 MiB declares more than 100 times its compressed
 *     size, or the compressed sizes add up to more than the file
 *     (overlapping members: the "better zip bomb").
 * Declared sizes are never trusted: ob_zipr_read counts the bytes it
 * inflates and refuses a member the moment it passes its declared size,
 * and the archive the moment all members pass lim->max_expanded.
 *
 * Writing (zlib, our own writer): every member gets the same date
 * (1980-01-01 00:00), Unix as the system that made it, mode 0644, no
 * extra fields (they carry times, user and group ids), no comments,
 * and no data descriptors.  Sizes and CRC are patched into the local
 * header once known, so out must be seekable (scrub.h allows it).  No
 * Zip64: more than 65535 members or 4 GiB is OB_ETOOBIG.
 */
#ifndef OB_SCRUB_ZIP_H
#define OB_SCRUB_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/scrub/scrub.h"

/* Longest member name accepted, in bytes. */
#define OB_ZIP_NAME_MAX 1024

struct ob_zipr;
struct ob_zipw;

/* One member of an archive being read; name is owned by the reader. */
struct ob_zip_entry {
	const char *name; /* UTF-8, checked as above */
	uint64_t size; /* declared, within the limits */
	uint64_t csize;
	bool stored; /* not compressed */
	bool dir; /* name ends in '/' */
};

/*
 * Opens the archive in fd (see above).  *rp is freed with
 * ob_zipr_close.  OB_EINVAL, OB_ETOOBIG, OB_EUNSUPP or OB_EIO, each
 * with a "refused" note in rep.
 */
int ob_zipr_open(struct ob_zipr **rp, int fd, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;

/* Members in the archive, and member i (i < the count). */
uint64_t ob_zipr_count(const struct ob_zipr *r);
void ob_zipr_entry(const struct ob_zipr *r, uint64_t i, struct ob_zip_entry *e);

/* Index of the member called name (ASCII case ignored), or -1. */
int64_t ob_zipr_find(const struct ob_zipr *r, const char *name);

/*
 * Inflates member i and hands it to sink in chunks of at most 64 KiB;
 * stops at the first error sink returns and returns it.  Refuses
 * (OB_EINVAL/OB_ETOOBIG, with a note) a member whose data is damaged or
 * longer or shorter than declared, or which takes the archive past
 * lim->max_expanded.
 */
typedef int (*ob_zip_sink)(void *ctx, const void *p, size_t n);
int ob_zipr_read(
    struct ob_zipr *r, uint64_t i, ob_zip_sink sink, void *ctx) OB_MUST_CHECK;

/* Bytes of the archive's members inflated so far. */
uint64_t ob_zipr_expanded(const struct ob_zipr *r);

void ob_zipr_close(struct ob_zipr *r);

/*
 * A new archive written to fd from its current end (normally empty),
 * at most lim->max_output bytes.  Members are written one at a time:
 * begin, write..., end; then finish writes the central directory.
 * Errors: OB_ETOOBIG (limits, Zip64 needed), OB_EIO, OB_EINVAL (a bad
 * name or call order), each with a note in rep.  *wp is freed with
 * ob_zipw_free, which may come after an error.
 */
int ob_zipw_open(struct ob_zipw **wp, int fd, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_zipw_begin(
    struct ob_zipw *w, const char *name, bool store) OB_MUST_CHECK;
int ob_zipw_write(struct ob_zipw *w, const void *p, size_t n) OB_MUST_CHECK;
int ob_zipw_end(struct ob_zipw *w) OB_MUST_CHECK;
int ob_zipw_finish(struct ob_zipw *w) OB_MUST_CHECK;
void ob_zipw_free(struct ob_zipw *w);

/* ob_zipw_write as an ob_zip_sink (ctx is the writer). */
int ob_zipw_sink(void *ctx, const void *p, size_t n) OB_MUST_CHECK;

#endif
