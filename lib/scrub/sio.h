/*
 * sio.h - scrubber I/O: the file access every scrubber of lib/scrub
 * shares, in one place.
 *
 * Three layers, use the highest that fits:
 *
 *   byte order   ob_be16 ... ob_put_le32: integers from and to bytes.
 *
 *   descriptors  ob_sio_pread_full, ob_sio_pwrite_full,
 *                ob_sio_write_full, ob_sio_fd_size, ob_sio_slurp: the
 *                loops over read/write system calls (EINTR, short
 *                counts) for code that works on plain descriptors
 *                (zip.c, office.c, pdf.c, pdf_flatten.c, run.c,
 *                scrub.c).
 *
 *   struct ob_sio  one scrub's input and output: exact reads at an
 *                offset that never pass the end of the input, a window
 *                to look at input bytes in place (ob_sio_peek), a
 *                reader for formats read front to back (ob_sio_byte,
 *                ob_sio_read, ob_sio_find, ob_sio_skip), and a buffered
 *                writer that counts against lim->max_output, copies
 *                from the input, writes zeros and patches bytes already
 *                written.  The image (jpeg png gif webp tiff bmp) and
 *                media (mp3 mp4 riff) scrubbers are built on it.
 *
 * Memory: an ob_sio holds OB_SIO_WINDOW + OB_SIO_WBUF bytes whatever
 * the size of the file, so a 1 GB video is cleaned through the same
 * few hundred KiB as a 1 KB picture.
 *
 * Failures of an ob_sio call carry a reason for the report: the first
 * one is kept in io->why (ob_sio_fail; a later failure is usually a
 * consequence), and ob_sio_end turns it into the "refused" line.  A
 * scrubber that reads something it may do without (a damaged EXIF
 * block that is removed anyway) saves io->why before and puts it back
 * after.  Input that ends too early, or an offset past its end, is
 * OB_EINVAL (a length in the file lied), a failing system call OB_EIO,
 * output past lim->max_output OB_ETOOBIG.
 */
#ifndef OB_SCRUB_SIO_H
#define OB_SCRUB_SIO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ob.h"
#include "lib/scrub/scrub.h"

/* ---- byte order -------------------------------------------------- */

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

static inline uint64_t
ob_be64(const unsigned char *p)
{
	return (uint64_t)ob_be32(p) << 32 | ob_be32(p + 4);
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

static inline uint64_t
ob_le64(const unsigned char *p)
{
	return (uint64_t)ob_le32(p) | (uint64_t)ob_le32(p + 4) << 32;
}

static inline void
ob_put_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
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
ob_put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void
ob_put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* ---- descriptors ------------------------------------------------- */

/*
 * Reads until n bytes are in p or the file ends; *got says how many
 * (fewer than n only at the end of the file).  OB_EIO if reading fails.
 */
int ob_sio_pread_full(
    int fd, void *p, size_t n, uint64_t off, size_t *got) OB_MUST_CHECK;

/* Writes all n bytes: at off (pwrite), or from the descriptor's
 * current offset (write).  OB_EIO if writing fails. */
int ob_sio_pwrite_full(
    int fd, const void *p, size_t n, uint64_t off) OB_MUST_CHECK;
int ob_sio_write_full(int fd, const void *p, size_t n) OB_MUST_CHECK;

/* The size of fd: OB_EIO if fstat fails, OB_EINVAL for anything but a
 * regular file. */
int ob_sio_fd_size(int fd, uint64_t *size) OB_MUST_CHECK;

/*
 * Reads the whole of fd (from offset 0 to its size) into a new buffer
 * with a NUL after the last byte (free() it).  OB_ETOOBIG for more than
 * max bytes, OB_EINVAL if the file is shorter than its size said, and
 * as ob_sio_fd_size.  On error *data is NULL.
 */
int ob_sio_slurp(
    int fd, uint64_t max, unsigned char **data, size_t *len) OB_MUST_CHECK;

/* ---- one scrub's input and output -------------------------------- */

/* Bytes ob_sio_peek can show at once. */
#define OB_SIO_WINDOW (64 * 1024)
/* The writer's buffer: large enough that copying a long mdat costs few
 * system calls. */
#define OB_SIO_WBUF (256 * 1024)

struct ob_sio {
	int in, out;
	uint64_t size; /* bytes of in */
	uint64_t written; /* bytes written to out so far (some buffered) */
	uint64_t pos; /* the front-to-back reader's next byte */
	const struct ob_scrub_limits *lim;
	struct ob_scrub_report *rep; /* where the scrubber notes */
	const char *why; /* the reason of the first failure */
	unsigned char *win; /* win_len bytes of in, from win_off */
	uint64_t win_off;
	size_t win_len;
	unsigned char *wbuf; /* wlen bytes not yet written to out */
	size_t wlen;
};

/*
 * Prepares io over in (a regular file, read from offset 0 to its size
 * at this moment) and out (an empty file, written from offset 0: the
 * patch writes at offsets counted from there).  Allocates the two
 * buffers.  OB_EIO if in cannot be examined or is not a regular file,
 * OB_EINVAL if it is empty.  End with ob_sio_end, then ob_sio_release,
 * whatever this returned (ob_sio_run does all three).
 */
int ob_sio_init(struct ob_sio *io, int in, int out,
    const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
void ob_sio_release(struct ob_sio *io);

/*
 * One scrub from beginning to end, the way every scrubber built on
 * ob_sio starts and stops: prepares io (ob_sio_init), calls scrub(ctx)
 * when that worked, ends (ob_sio_end) and releases io.  Returns the
 * result, for the scrubber to return.
 */
int ob_sio_run(struct ob_sio *io, int in, int out,
    const struct ob_scrub_limits *lim, struct ob_scrub_report *rep,
    int (*scrub)(void *ctx), void *ctx) OB_MUST_CHECK;

/*
 * Records why the file is refused (the first reason wins: it is the
 * cause, later ones are consequences) and returns rc, so a parser can
 * write `return ob_sio_fail(io, OB_EINVAL, "...");`.  why must be a
 * string literal: it goes into the report as it is.
 */
int ob_sio_fail(struct ob_sio *io, int rc, const char *why) OB_MUST_CHECK;

/*
 * At the end of a scrub: for rc 0 writes out what is buffered (which
 * may fail); otherwise, unless the report already says why (a
 * "refused" line the scrubber noted itself), notes io->why, or the
 * general line for rc (ob_scrub_refusal_text).  Returns the result.
 */
int ob_sio_end(struct ob_sio *io, int rc) OB_MUST_CHECK;

/*
 * Reads exactly n bytes at off.  OB_EINVAL (truncated) if they pass the
 * end of the input, OB_EIO if reading fails.
 */
int ob_sio_pread(
    struct ob_sio *io, uint64_t off, void *p, size_t n) OB_MUST_CHECK;

/*
 * Points *p at n bytes (n <= OB_SIO_WINDOW) of the input at off, valid
 * until the next reading call on io (writing calls leave it alone).
 * OB_EINVAL past the end.
 */
int ob_sio_peek(struct ob_sio *io, uint64_t off, size_t n,
    const unsigned char **p) OB_MUST_CHECK;

/*
 * The front-to-back reader: io->pos, through the same window.
 * ob_sio_seek moves it (anywhere: the next read checks), ob_sio_tell
 * says where it is.  Each of the others fails with OB_EINVAL where the
 * input ends first: one byte, exactly n bytes, the next byte equal to
 * c (which is then the next one read), and n bytes skipped.
 */
void ob_sio_seek(struct ob_sio *io, uint64_t off);
uint64_t ob_sio_tell(const struct ob_sio *io);
int ob_sio_byte(struct ob_sio *io, unsigned char *c) OB_MUST_CHECK;
int ob_sio_read(struct ob_sio *io, void *p, size_t n) OB_MUST_CHECK;
int ob_sio_find(struct ob_sio *io, unsigned char c) OB_MUST_CHECK;
int ob_sio_skip(struct ob_sio *io, uint64_t n) OB_MUST_CHECK;

/*
 * The writer: appends n bytes, n bytes of the input from off, or n
 * zero bytes to out.  Each counts against lim->max_output first
 * (OB_ETOOBIG, nothing appended).
 */
int ob_sio_write(struct ob_sio *io, const void *p, size_t n) OB_MUST_CHECK;
int ob_sio_copy(struct ob_sio *io, uint64_t off, uint64_t n) OB_MUST_CHECK;
int ob_sio_zeros(struct ob_sio *io, uint64_t n) OB_MUST_CHECK;

/* Overwrites n bytes already appended at off (a size or a pointer). */
int ob_sio_patch(
    struct ob_sio *io, uint64_t off, const void *p, size_t n) OB_MUST_CHECK;

/* Writes what is buffered (ob_sio_end does it on success). */
int ob_sio_flush(struct ob_sio *io) OB_MUST_CHECK;

#endif
