/*
 * media.h - what the audio and video scrubbers (mp3.c, mp4.c, riff.c)
 * share: their magic-number tests for the registry, and a reader and a
 * writer over a scrubber's two file descriptors that work through fixed
 * buffers, so memory does not grow with the file (a 1 GB video is
 * copied through the same few hundred KiB as a 1 KB one).
 *
 * The reader knows the input's size (fstat at init) and treats a read
 * past it as malformed input (OB_EINVAL: a length in the file lied),
 * never as a short read to carry on with; a failing system call is
 * OB_EIO.  The writer counts what it sends and stops at max_output
 * (OB_ETOOBIG) before writing past it.
 */
#ifndef OB_SCRUB_MEDIA_H
#define OB_SCRUB_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ob.h"
#include "lib/scrub/scrub.h"

/* The registry's tests on a file's first bytes (lib/scrub/registry.c). */
bool ob_scrub_mp3_sniff(const unsigned char *head, size_t n);
bool ob_scrub_mp4_sniff(const unsigned char *head, size_t n);
bool ob_scrub_riff_sniff(const unsigned char *head, size_t n);

/* Bytes ob_mio_peek can show at once. */
#define OB_MIO_WINDOW (64 * 1024)

struct ob_mio {
	int in, out;
	uint64_t size; /* of in */
	uint64_t sent; /* bytes handed to the writer so far */
	uint64_t max_output;
	unsigned char *win; /* win_len bytes of in, from win_off */
	uint64_t win_off;
	size_t win_len;
	unsigned char *wbuf; /* wlen bytes not yet written to out */
	size_t wlen;
};

/*
 * Prepares m over in (a regular file, read from offset 0 to its size at
 * this moment) and out (written from its current offset).  Allocates
 * the two buffers; ob_mio_release frees them.  OB_EIO when in cannot be
 * examined or is not a regular file.
 */
int ob_mio_init(struct ob_mio *m, int in, int out,
    const struct ob_scrub_limits *lim) OB_MUST_CHECK;
void ob_mio_release(struct ob_mio *m);

/* Reads exactly n bytes at off into p.  OB_EINVAL past the end. */
int ob_mio_read(
    struct ob_mio *m, uint64_t off, void *p, size_t n) OB_MUST_CHECK;

/*
 * Points *p at n bytes (n <= OB_MIO_WINDOW) of in at off, valid until
 * the next call on m.  OB_EINVAL past the end.
 */
int ob_mio_peek(struct ob_mio *m, uint64_t off, size_t n,
    const unsigned char **p) OB_MUST_CHECK;

/* Appends bytes, len bytes of in from off, or len zero bytes to out. */
int ob_mio_put(struct ob_mio *m, const void *p, size_t n) OB_MUST_CHECK;
int ob_mio_copy(struct ob_mio *m, uint64_t off, uint64_t len) OB_MUST_CHECK;
int ob_mio_zeros(struct ob_mio *m, uint64_t len) OB_MUST_CHECK;

/* Writes what is buffered.  Call before reporting success. */
int ob_mio_flush(struct ob_mio *m) OB_MUST_CHECK;

/*
 * Notes why a file is refused ("refused: <why>") and returns rc, for
 * `return ob_mio_refuse(rep, OB_EINVAL, "...")`.
 */
int ob_mio_refuse(struct ob_scrub_report *rep, int rc, const char *why);

/*
 * The refusal line for an error that carries no reason of its own
 * (OB_EIO from the reader or writer, OB_ETOOBIG from max_output), unless
 * the report already has a "refused" line.
 */
void ob_mio_refused_default(struct ob_scrub_report *rep, int rc);

/*
 * Ends a scrubber's run: the scrubbers note into a report of their own
 * and hand it over here.  On success (rc 0) every line goes to rep; on
 * failure only why the file was refused (ob_mio_refused_default's line
 * if the scrubber gave none), as nothing of it is kept.  Releases
 * local and returns rc.
 */
int ob_mio_report_end(
    struct ob_scrub_report *rep, struct ob_scrub_report *local, int rc);

static inline uint32_t
ob_be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
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
