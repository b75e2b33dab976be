#include "lib/scrub/imgio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

int
ob_imgio_init(struct ob_imgio *io, int in, int out,
    const struct ob_scrub_limits *lim, struct ob_scrub_report *rep)
{
	struct stat st;

	memset(io, 0, sizeof(*io));
	io->in = in;
	io->out = out;
	io->lim = lim;
	io->rep = rep;
	io->buf = ob_xmalloc(OB_IMGIO_BUF);
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode))
		return ob_imgio_fail(io, OB_EIO, "the file could not be read");
	if (st.st_size <= 0)
		return ob_imgio_fail(io, OB_EINVAL, "the file is empty");
	io->size = (uint64_t)st.st_size;
	return 0;
}

void
ob_imgio_release(struct ob_imgio *io)
{
	free(io->buf);
	io->buf = NULL;
}

int
ob_imgio_fail(struct ob_imgio *io, int rc, const char *why)
{
	if (io->why == NULL)
		io->why = why;
	return rc;
}

int
ob_imgio_finish(struct ob_imgio *io, int rc)
{
	const char *why = io->why;

	if (rc == 0)
		return 0;
	if (why == NULL) {
		switch (rc) {
		case OB_ETOOBIG:
			why = "the file is too large or too complex";
			break;
		case OB_EUNSUPP:
			why = "the file uses a feature that cannot be "
			      "cleaned safely";
			break;
		case OB_EIO:
			why = "the file could not be read or written";
			break;
		default:
			why = "the file is damaged or not what it claims to be";
			break;
		}
	}
	ob_scrub_note(io->rep, "refused", "%s", why);
	return rc;
}

int
ob_imgio_pread(struct ob_imgio *io, uint64_t off, void *p, size_t n)
{
	unsigned char *dst = p;

	if (off > io->size || n > io->size - off)
		return ob_imgio_fail(io, OB_EINVAL,
		    "the file is truncated or points outside itself");
	while (n > 0) {
		ssize_t got = pread(io->in, dst, n, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return ob_imgio_fail(
			    io, OB_EIO, "the file could not be read");
		if (got == 0)
			return ob_imgio_fail(io, OB_EINVAL,
			    "the file is truncated or points outside itself");
		dst += got;
		off += (uint64_t)got;
		n -= (size_t)got;
	}
	return 0;
}

int
ob_imgio_write(struct ob_imgio *io, const void *p, size_t n)
{
	const unsigned char *src = p;

	if (n > io->lim->max_output || io->written > io->lim->max_output - n)
		return ob_imgio_fail(io, OB_ETOOBIG,
		    "the cleaned file would be larger than allowed");
	io->written += n;
	while (n > 0) {
		ssize_t put = write(io->out, src, n);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return ob_imgio_fail(io, OB_EIO,
			    "the cleaned file could not be written");
		src += put;
		n -= (size_t)put;
	}
	return 0;
}

int
ob_imgio_copy(struct ob_imgio *io, uint64_t off, uint64_t n)
{
	int rc;

	if (off > io->size || n > io->size - off)
		return ob_imgio_fail(io, OB_EINVAL,
		    "the file is truncated or points outside itself");
	while (n > 0) {
		size_t step = n < OB_IMGIO_BUF ? (size_t)n : OB_IMGIO_BUF;

		if ((rc = ob_imgio_pread(io, off, io->buf, step)) != 0 ||
		    (rc = ob_imgio_write(io, io->buf, step)) != 0)
			return rc;
		off += step;
		n -= step;
	}
	return 0;
}

int
ob_imgio_patch(struct ob_imgio *io, uint64_t off, const void *p, size_t n)
{
	const unsigned char *src = p;

	if (off > io->written || n > io->written - off)
		return ob_imgio_fail(
		    io, OB_EINTERNAL, "the cleaned file could not be written");
	while (n > 0) {
		ssize_t put = pwrite(io->out, src, n, (off_t)off);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return ob_imgio_fail(io, OB_EIO,
			    "the cleaned file could not be written");
		src += put;
		off += (uint64_t)put;
		n -= (size_t)put;
	}
	return 0;
}

void
ob_imgrd_init(struct ob_imgrd *rd, struct ob_imgio *io, uint64_t off)
{
	rd->io = io;
	rd->base = off;
	rd->pos = rd->len = 0;
}

uint64_t
ob_imgrd_tell(const struct ob_imgrd *rd)
{
	return rd->base + rd->pos;
}

/* Refills the buffer from the next unread byte; OB_EINVAL at the end. */
static int
fill(struct ob_imgrd *rd)
{
	uint64_t off = rd->base + rd->pos;
	uint64_t left;
	size_t n;
	int rc;

	if (off >= rd->io->size)
		return ob_imgio_fail(rd->io, OB_EINVAL,
		    "the file is truncated or points outside itself");
	left = rd->io->size - off;
	n = left < sizeof(rd->b) ? (size_t)left : sizeof(rd->b);
	if ((rc = ob_imgio_pread(rd->io, off, rd->b, n)) != 0)
		return rc;
	rd->base = off;
	rd->pos = 0;
	rd->len = n;
	return 0;
}

int
ob_imgrd_byte(struct ob_imgrd *rd, unsigned char *c)
{
	int rc;

	if (rd->pos >= rd->len && (rc = fill(rd)) != 0)
		return rc;
	*c = rd->b[rd->pos++];
	return 0;
}

int
ob_imgrd_read(struct ob_imgrd *rd, void *p, size_t n)
{
	unsigned char *dst = p;
	int rc;

	while (n > 0) {
		size_t step;

		if (rd->pos >= rd->len && (rc = fill(rd)) != 0)
			return rc;
		step = rd->len - rd->pos < n ? rd->len - rd->pos : n;
		memcpy(dst, rd->b + rd->pos, step);
		rd->pos += step;
		dst += step;
		n -= step;
	}
	return 0;
}

int
ob_imgrd_find(struct ob_imgrd *rd, unsigned char c)
{
	const unsigned char *hit;
	int rc;

	for (;;) {
		if (rd->pos >= rd->len && (rc = fill(rd)) != 0)
			return rc;
		hit = memchr(rd->b + rd->pos, c, rd->len - rd->pos);
		if (hit != NULL) {
			rd->pos = (size_t)(hit - rd->b);
			return 0;
		}
		rd->pos = rd->len;
	}
}

int
ob_imgrd_skip(struct ob_imgrd *rd, uint64_t n)
{
	uint64_t off = ob_imgrd_tell(rd);

	if (n > rd->io->size - off)
		return ob_imgio_fail(rd->io, OB_EINVAL,
		    "the file is truncated or points outside itself");
	if (n <= rd->len - rd->pos) {
		rd->pos += (size_t)n;
		return 0;
	}
	rd->base = off + n;
	rd->pos = rd->len = 0;
	return 0;
}
