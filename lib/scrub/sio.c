/*
 * Scrubber I/O (lib/scrub/sio.h).
 */
#include "lib/scrub/sio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

#define TRUNCATED "the file is truncated or points outside itself"
#define UNREADABLE "the file could not be read"
#define UNWRITABLE "the cleaned file could not be written"

/* ---- descriptors ------------------------------------------------- */

int
ob_sio_pread_full(int fd, void *p, size_t n, uint64_t off, size_t *got)
{
	unsigned char *b = p;
	size_t have = 0;

	while (have < n) {
		ssize_t r = pread(fd, b + have, n - have, (off_t)(off + have));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return OB_EIO;
		if (r == 0)
			break;
		have += (size_t)r;
	}
	*got = have;
	return 0;
}

/* pwrite at off, or write when off is UINT64_MAX. */
static int
write_at(int fd, const void *p, size_t n, uint64_t off)
{
	const unsigned char *b = p;

	while (n > 0) {
		ssize_t w = off == UINT64_MAX ? write(fd, b, n)
					      : pwrite(fd, b, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return OB_EIO;
		b += w;
		n -= (size_t)w;
		if (off != UINT64_MAX)
			off += (uint64_t)w;
	}
	return 0;
}

int
ob_sio_pwrite_full(int fd, const void *p, size_t n, uint64_t off)
{
	return off == UINT64_MAX ? OB_EINTERNAL : write_at(fd, p, n, off);
}

int
ob_sio_write_full(int fd, const void *p, size_t n)
{
	return write_at(fd, p, n, UINT64_MAX);
}

int
ob_sio_fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return OB_EIO;
	if (!S_ISREG(st.st_mode) || st.st_size < 0)
		return OB_EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

int
ob_sio_slurp(int fd, uint64_t max, unsigned char **data, size_t *len)
{
	uint64_t size;
	unsigned char *p;
	size_t got;
	int rc;

	*data = NULL;
	*len = 0;
	if ((rc = ob_sio_fd_size(fd, &size)) != 0)
		return rc;
	if (size > max || size > SIZE_MAX - 1)
		return OB_ETOOBIG;
	p = ob_xmalloc((size_t)size + 1);
	if ((rc = ob_sio_pread_full(fd, p, (size_t)size, 0, &got)) != 0 ||
	    got != size) {
		free(p);
		return rc != 0 ? rc : OB_EINVAL; /* shorter than fstat said */
	}
	p[size] = '\0';
	*data = p;
	*len = (size_t)size;
	return 0;
}

/* ---- one scrub's input and output -------------------------------- */

int
ob_sio_init(struct ob_sio *io, int in, int out,
    const struct ob_scrub_limits *lim, struct ob_scrub_report *rep)
{
	struct stat st;

	memset(io, 0, sizeof(*io));
	io->in = in;
	io->out = out;
	io->lim = lim;
	io->rep = rep;
	io->win = ob_xmalloc(OB_SIO_WINDOW);
	io->wbuf = ob_xmalloc(OB_SIO_WBUF);
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode))
		return ob_sio_fail(io, OB_EIO, UNREADABLE);
	if (st.st_size <= 0)
		return ob_sio_fail(io, OB_EINVAL, "the file is empty");
	io->size = (uint64_t)st.st_size;
	return 0;
}

void
ob_sio_release(struct ob_sio *io)
{
	free(io->win);
	free(io->wbuf);
	io->win = io->wbuf = NULL;
	io->win_len = io->wlen = 0;
}

int
ob_sio_run(struct ob_sio *io, int in, int out,
    const struct ob_scrub_limits *lim, struct ob_scrub_report *rep,
    int (*scrub)(void *ctx), void *ctx)
{
	int rc;

	if ((rc = ob_sio_init(io, in, out, lim, rep)) == 0)
		rc = scrub(ctx);
	rc = ob_sio_end(io, rc);
	ob_sio_release(io);
	return rc;
}

int
ob_sio_fail(struct ob_sio *io, int rc, const char *why)
{
	if (io->why == NULL)
		io->why = why;
	return rc;
}

int
ob_sio_end(struct ob_sio *io, int rc)
{
	if (rc == 0)
		rc = ob_sio_flush(io);
	return ob_scrub_refuse_once(
	    io->rep, rc, io->why != NULL ? io->why : ob_scrub_refusal_text(rc));
}

/* OB_EINVAL unless n bytes at off are within the input. */
static int
within(struct ob_sio *io, uint64_t off, uint64_t n)
{
	if (off > io->size || n > io->size - off)
		return ob_sio_fail(io, OB_EINVAL, TRUNCATED);
	return 0;
}

int
ob_sio_pread(struct ob_sio *io, uint64_t off, void *p, size_t n)
{
	size_t got;
	int rc;

	if ((rc = within(io, off, n)) != 0)
		return rc;
	if (ob_sio_pread_full(io->in, p, n, off, &got) != 0)
		return ob_sio_fail(io, OB_EIO, UNREADABLE);
	if (got != n)
		return ob_sio_fail(io, OB_EINVAL, TRUNCATED);
	return 0;
}

int
ob_sio_peek(struct ob_sio *io, uint64_t off, size_t n, const unsigned char **p)
{
	size_t want;
	int rc;

	if (n > OB_SIO_WINDOW)
		return ob_sio_fail(io, OB_EINVAL, TRUNCATED);
	if ((rc = within(io, off, n)) != 0)
		return rc;
	if (off >= io->win_off && off - io->win_off <= io->win_len &&
	    n <= io->win_len - (off - io->win_off)) {
		*p = io->win + (off - io->win_off);
		return 0;
	}
	want = io->size - off < OB_SIO_WINDOW ? (size_t)(io->size - off)
					      : OB_SIO_WINDOW;
	io->win_len = 0;
	if ((rc = ob_sio_pread(io, off, io->win, want)) != 0)
		return rc;
	io->win_off = off;
	io->win_len = want;
	*p = io->win;
	return 0;
}

void
ob_sio_seek(struct ob_sio *io, uint64_t off)
{
	io->pos = off;
}

uint64_t
ob_sio_tell(const struct ob_sio *io)
{
	return io->pos;
}

/* The window from the reader's position on: at least one byte. */
static int
ahead(struct ob_sio *io, const unsigned char **p, size_t *n)
{
	int rc;

	if ((rc = ob_sio_peek(io, io->pos, 1, p)) != 0)
		return rc;
	*n = io->win_len - (size_t)(io->pos - io->win_off);
	return 0;
}

int
ob_sio_byte(struct ob_sio *io, unsigned char *c)
{
	const unsigned char *p;
	int rc;

	if ((rc = ob_sio_peek(io, io->pos, 1, &p)) != 0)
		return rc;
	*c = *p;
	io->pos++;
	return 0;
}

int
ob_sio_read(struct ob_sio *io, void *p, size_t n)
{
	unsigned char *dst = p;
	int rc;

	if ((rc = within(io, io->pos, n)) != 0)
		return rc;
	while (n > 0) {
		const unsigned char *src;
		size_t have;

		if ((rc = ahead(io, &src, &have)) != 0)
			return rc;
		if (have > n)
			have = n;
		memcpy(dst, src, have);
		io->pos += have;
		dst += have;
		n -= have;
	}
	return 0;
}

int
ob_sio_find(struct ob_sio *io, unsigned char c)
{
	for (;;) {
		const unsigned char *p, *hit;
		size_t have;
		int rc;

		if ((rc = ahead(io, &p, &have)) != 0)
			return rc;
		if ((hit = memchr(p, c, have)) != NULL) {
			io->pos += (uint64_t)(hit - p);
			return 0;
		}
		io->pos += have;
	}
}

int
ob_sio_skip(struct ob_sio *io, uint64_t n)
{
	int rc;

	if ((rc = within(io, io->pos, n)) != 0)
		return rc;
	io->pos += n;
	return 0;
}

int
ob_sio_flush(struct ob_sio *io)
{
	if (ob_sio_write_full(io->out, io->wbuf, io->wlen) != 0)
		return ob_sio_fail(io, OB_EIO, UNWRITABLE);
	io->wlen = 0;
	return 0;
}

/* Counts n more output bytes against lim->max_output. */
static int
account(struct ob_sio *io, uint64_t n)
{
	uint64_t max = io->lim->max_output;

	if (n > max || io->written > max - n)
		return ob_sio_fail(io, OB_ETOOBIG,
		    "the cleaned file would be larger than allowed");
	io->written += n;
	return 0;
}

/* Where the bytes ob_sio_write, ob_sio_copy and ob_sio_zeros append
 * come from. */
enum source { FROM_MEMORY, FROM_INPUT, ZEROS };

/*
 * Appends n bytes through the write buffer (flushed when full): from p,
 * from the input at off, or zeros.
 */
static int
append(struct ob_sio *io, enum source from, const unsigned char *p,
    uint64_t off, uint64_t n)
{
	int rc;

	if ((rc = account(io, n)) != 0)
		return rc;
	while (n > 0) {
		unsigned char *at;
		size_t k;

		if (io->wlen == OB_SIO_WBUF && (rc = ob_sio_flush(io)) != 0)
			return rc;
		at = io->wbuf + io->wlen;
		k = OB_SIO_WBUF - io->wlen < n ? OB_SIO_WBUF - io->wlen
					       : (size_t)n;
		switch (from) {
		case FROM_MEMORY:
			memcpy(at, p, k);
			p += k;
			break;
		case FROM_INPUT:
			if ((rc = ob_sio_pread(io, off, at, k)) != 0)
				return rc;
			off += k;
			break;
		case ZEROS:
			memset(at, 0, k);
			break;
		}
		io->wlen += k;
		n -= k;
	}
	return 0;
}

int
ob_sio_write(struct ob_sio *io, const void *p, size_t n)
{
	return append(io, FROM_MEMORY, p, 0, n);
}

int
ob_sio_copy(struct ob_sio *io, uint64_t off, uint64_t n)
{
	int rc;

	if ((rc = within(io, off, n)) != 0)
		return rc;
	return append(io, FROM_INPUT, NULL, off, n);
}

int
ob_sio_zeros(struct ob_sio *io, uint64_t n)
{
	return append(io, ZEROS, NULL, 0, n);
}

int
ob_sio_patch(struct ob_sio *io, uint64_t off, const void *p, size_t n)
{
	const unsigned char *src = p;
	uint64_t flushed = io->written - io->wlen;

	if (off > io->written || n > io->written - off)
		return ob_sio_fail(io, OB_EINTERNAL, UNWRITABLE);
	/* The part already on its way to out, then the part still here. */
	if (off < flushed) {
		size_t k = flushed - off < n ? (size_t)(flushed - off) : n;

		if (ob_sio_pwrite_full(io->out, src, k, off) != 0)
			return ob_sio_fail(io, OB_EIO, UNWRITABLE);
		src += k;
		off += k;
		n -= k;
	}
	if (n > 0)
		memcpy(io->wbuf + (off - flushed), src, n);
	return 0;
}
