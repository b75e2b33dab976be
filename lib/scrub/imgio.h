/*
 * imgio.h - the file access the image scrubbers share (jpeg, png, gif,
 * webp, tiff, bmp): exact reads at an offset that never pass the end
 * of the input, full writes that count against lim->max_output, copies
 * from input to output through one fixed buffer, a small buffered
 * reader for formats read front to back, and the "refused" report line.
 *
 * Nothing here holds more than OB_IMGIO_BUF + OB_IMGRD_BUF bytes, so a
 * scrubber built on it works in constant memory however large the file.
 */
#ifndef OB_SCRUB_IMGIO_H
#define OB_SCRUB_IMGIO_H

#include <stdint.h>

#include "lib/scrub/scrub.h"

#define OB_IMGIO_BUF (64 * 1024)
#define OB_IMGRD_BUF (16 * 1024)

struct ob_imgio {
	int in, out;
	uint64_t size; /* bytes of in */
	uint64_t written; /* bytes written to out so far */
	const struct ob_scrub_limits *lim;
	struct ob_scrub_report *rep;
	const char *why; /* the reason of the first failure, for the report */
	unsigned char *buf; /* OB_IMGIO_BUF bytes, owned */
};

/*
 * Prepares io for one scrub: takes the size of in from fstat (OB_EIO if
 * that fails, OB_EINVAL for an empty file) and allocates the copy
 * buffer.  Release with ob_imgio_release whatever it returned.
 */
int ob_imgio_init(struct ob_imgio *io, int in, int out,
    const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
void ob_imgio_release(struct ob_imgio *io);

/*
 * Records why the file is refused (the first reason wins: it is the
 * cause, later ones are consequences) and returns rc, so a parser can
 * write `return ob_imgio_fail(io, OB_EINVAL, "...");`.  why must be a
 * string literal: it goes into the report as it is.
 */
int ob_imgio_fail(struct ob_imgio *io, int rc, const char *why) OB_MUST_CHECK;

/*
 * At the end of a scrub: for rc != 0 writes the "refused" line (the
 * recorded reason, or a general one for rc), and returns rc.
 */
int ob_imgio_finish(struct ob_imgio *io, int rc) OB_MUST_CHECK;

/*
 * Reads exactly n bytes at off.  OB_EINVAL (truncated) if they pass the
 * end of the input, OB_EIO if reading fails.
 */
int ob_imgio_pread(
    struct ob_imgio *io, uint64_t off, void *p, size_t n) OB_MUST_CHECK;

/* Appends n bytes to out.  OB_ETOOBIG past lim->max_output. */
int ob_imgio_write(struct ob_imgio *io, const void *p, size_t n) OB_MUST_CHECK;

/* Appends n bytes of the input, from off, to out. */
int ob_imgio_copy(struct ob_imgio *io, uint64_t off, uint64_t n) OB_MUST_CHECK;

/* Overwrites n bytes already written at off (a size or a pointer). */
int ob_imgio_patch(
    struct ob_imgio *io, uint64_t off, const void *p, size_t n) OB_MUST_CHECK;

/* A buffered reader over the input, for formats read front to back. */
struct ob_imgrd {
	struct ob_imgio *io;
	uint64_t base; /* file offset of b[0] */
	size_t pos, len;
	unsigned char b[OB_IMGRD_BUF];
};

void ob_imgrd_init(struct ob_imgrd *rd, struct ob_imgio *io, uint64_t off);
/* The file offset of the next byte. */
uint64_t ob_imgrd_tell(const struct ob_imgrd *rd);
/* One byte; OB_EINVAL at the end of the input. */
int ob_imgrd_byte(struct ob_imgrd *rd, unsigned char *c) OB_MUST_CHECK;
/* Exactly n bytes; OB_EINVAL if the input ends first. */
int ob_imgrd_read(struct ob_imgrd *rd, void *p, size_t n) OB_MUST_CHECK;
/*
 * Moves to the next byte equal to c (which is then the next one read);
 * OB_EINVAL if the input ends first.
 */
int ob_imgrd_find(struct ob_imgrd *rd, unsigned char c) OB_MUST_CHECK;
/* Skips n bytes; OB_EINVAL if that passes the end of the input. */
int ob_imgrd_skip(struct ob_imgrd *rd, uint64_t n) OB_MUST_CHECK;

/* Big- and little-endian integers from bytes. */
static inline uint16_t
ob_be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
ob_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t
ob_le16(const unsigned char *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t
ob_le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

static inline void
ob_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline void
ob_put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

#endif
