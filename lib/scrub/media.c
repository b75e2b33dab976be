/*
 * The audio and video scrubbers' reader and writer (lib/scrub/media.h).
 */
#include "lib/scrub/media.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

/* Large enough that copying a long mdat costs few system calls. */
#define WBUF_SIZE (256 * 1024)

int
ob_mio_init(
    struct ob_mio *m, int in, int out, const struct ob_scrub_limits *lim)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->in = in;
	m->out = out;
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0)
		return OB_EIO;
	m->size = (uint64_t)st.st_size;
	m->max_output = lim->max_output;
	m->win = ob_xmalloc(OB_MIO_WINDOW);
	m->wbuf = ob_xmalloc(WBUF_SIZE);
	return 0;
}

void
ob_mio_release(struct ob_mio *m)
{
	free(m->win);
	free(m->wbuf);
	m->win = m->wbuf = NULL;
	m->win_len = m->wlen = 0;
}

/* pread until n bytes are in or the file ends; *got says how many. */
static int
pread_full(int fd, unsigned char *p, size_t n, uint64_t off, size_t *got)
{
	size_t have = 0;

	while (have < n) {
		ssize_t r = pread(fd, p + have, n - have, (off_t)(off + have));

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

int
ob_mio_read(struct ob_mio *m, uint64_t off, void *p, size_t n)
{
	size_t got;
	int rc;

	if (off > m->size || n > m->size - off)
		return OB_EINVAL;
	if ((rc = pread_full(m->in, p, n, off, &got)) != 0)
		return rc;
	/* The file shrank under us: not the input's fault, but no file. */
	return got == n ? 0 : OB_EIO;
}

int
ob_mio_peek(struct ob_mio *m, uint64_t off, size_t n, const unsigned char **p)
{
	size_t want, got;
	int rc;

	if (n > OB_MIO_WINDOW || off > m->size || n > m->size - off)
		return OB_EINVAL;
	if (off >= m->win_off && off - m->win_off <= m->win_len &&
	    n <= m->win_len - (off - m->win_off)) {
		*p = m->win + (off - m->win_off);
		return 0;
	}
	want = m->size - off < OB_MIO_WINDOW ? (size_t)(m->size - off)
					     : OB_MIO_WINDOW;
	m->win_len = 0;
	if ((rc = pread_full(m->in, m->win, want, off, &got)) != 0)
		return rc;
	if (got < n)
		return OB_EIO;
	m->win_off = off;
	m->win_len = got;
	*p = m->win;
	return 0;
}

int
ob_mio_flush(struct ob_mio *m)
{
	size_t done = 0;

	while (done < m->wlen) {
		ssize_t w = write(m->out, m->wbuf + done, m->wlen - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return OB_EIO;
		done += (size_t)w;
	}
	m->wlen = 0;
	return 0;
}

/* Counts n more output bytes against max_output. */
static int
account(struct ob_mio *m, uint64_t n)
{
	if (n > m->max_output || m->sent > m->max_output - n)
		return OB_ETOOBIG;
	m->sent += n;
	return 0;
}

int
ob_mio_put(struct ob_mio *m, const void *p, size_t n)
{
	const unsigned char *s = p;
	int rc;

	if ((rc = account(m, n)) != 0)
		return rc;
	while (n > 0) {
		size_t k = WBUF_SIZE - m->wlen;

		if (k == 0) {
			if ((rc = ob_mio_flush(m)) != 0)
				return rc;
			continue;
		}
		if (k > n)
			k = n;
		memcpy(m->wbuf + m->wlen, s, k);
		m->wlen += k;
		s += k;
		n -= k;
	}
	return 0;
}

int
ob_mio_copy(struct ob_mio *m, uint64_t off, uint64_t len)
{
	int rc;

	if (off > m->size || len > m->size - off)
		return OB_EINVAL;
	if ((rc = account(m, len)) != 0)
		return rc;
	while (len > 0) {
		size_t k = WBUF_SIZE - m->wlen, got;

		if (k == 0) {
			if ((rc = ob_mio_flush(m)) != 0)
				return rc;
			continue;
		}
		if (k > len)
			k = (size_t)len;
		if ((rc = pread_full(m->in, m->wbuf + m->wlen, k, off, &got)) !=
		    0)
			return rc;
		if (got != k)
			return OB_EIO;
		m->wlen += k;
		off += k;
		len -= k;
	}
	return 0;
}

int
ob_mio_zeros(struct ob_mio *m, uint64_t len)
{
	int rc;

	if ((rc = account(m, len)) != 0)
		return rc;
	while (len > 0) {
		size_t k = WBUF_SIZE - m->wlen;

		if (k == 0) {
			if ((rc = ob_mio_flush(m)) != 0)
				return rc;
			continue;
		}
		if (k > len)
			k = (size_t)len;
		memset(m->wbuf + m->wlen, 0, k);
		m->wlen += k;
		len -= k;
	}
	return 0;
}

int
ob_mio_refuse(struct ob_scrub_report *rep, int rc, const char *why)
{
	ob_scrub_note(rep, "refused", "%s", why);
	return rc;
}

void
ob_mio_refused_default(struct ob_scrub_report *rep, int rc)
{
	const char *have = ob_buf_cstr(&rep->lines);

	if (strncmp(have, "refused: ", 9) == 0 ||
	    strstr(have, "\nrefused: ") != NULL)
		return;
	switch (rc) {
	case OB_ETOOBIG:
		ob_scrub_note(rep, "refused", "the file is too large");
		break;
	case OB_EIO:
		ob_scrub_note(
		    rep, "refused", "the file could not be read or written");
		break;
	case OB_EUNSUPP:
		ob_scrub_note(rep, "refused",
		    "the file uses a feature that cannot be cleaned safely");
		break;
	default:
		ob_scrub_note(rep, "refused",
		    "the file is damaged or not what it claims to be");
		break;
	}
}

int
ob_mio_report_end(
    struct ob_scrub_report *rep, struct ob_scrub_report *local, int rc)
{
	const char *line;

	if (rc != 0)
		ob_mio_refused_default(local, rc);
	line = ob_buf_cstr(&local->lines);
	while (*line != '\0') {
		const char *nl = strchr(line, '\n'), *colon;
		size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		char kind[32];

		colon = memchr(line, ':', n);
		if (colon != NULL && (size_t)(colon - line) < sizeof(kind) &&
		    n - (size_t)(colon - line) >= 2) {
			size_t kl = (size_t)(colon - line);

			memcpy(kind, line, kl);
			kind[kl] = '\0';
			if (rc == 0 || strcmp(kind, "refused") == 0)
				ob_scrub_note(rep, kind, "%.*s",
				    (int)(n - kl - 2), colon + 2);
		}
		line += n + (nl != NULL);
	}
	ob_scrub_report_release(local);
	return rc;
}
