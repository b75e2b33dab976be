/*
 * buf.h - a growable byte buffer with a hard size cap (after curl's
 * dynbuf and git's strbuf).
 *
 * Invariants: data is NULL or points to cap bytes owned by the buffer;
 * len < cap whenever data is not NULL, and data[len] == '\0', so the
 * contents can always be read as a C string (they may hold NULs too).
 * len never exceeds max: an append that would pass it fails with
 * OB_ETOOBIG and leaves the buffer as it was.
 */
#ifndef OB_BUF_H
#define OB_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/ob.h"

struct ob_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define OB_BUF_INIT(m)                                                         \
	{                                                                      \
		NULL, 0, 0, (m)                                                \
	}

/* Prepares an empty buffer that may hold at most max bytes. */
void ob_buf_init(struct ob_buf *b, size_t max);

/* Frees the storage; the buffer is empty and reusable afterwards. */
void ob_buf_release(struct ob_buf *b);

/* Wipes the contents (sodium_memzero) and then releases the buffer. */
void ob_buf_release_secret(struct ob_buf *b);

/* Empties the buffer but keeps its storage. */
void ob_buf_reset(struct ob_buf *b);

/* Appends n bytes.  OB_ETOOBIG when max would be passed. */
int ob_buf_append(struct ob_buf *b, const void *p, size_t n) OB_MUST_CHECK;
int ob_buf_puts(struct ob_buf *b, const char *s) OB_MUST_CHECK;
int ob_buf_putc(struct ob_buf *b, char c) OB_MUST_CHECK;
int ob_buf_printf(struct ob_buf *b, const char *fmt, ...)
    OB_PRINTF(2, 3) OB_MUST_CHECK;
int ob_buf_vprintf(struct ob_buf *b, const char *fmt, va_list ap)
    OB_PRINTF(2, 0) OB_MUST_CHECK;

/*
 * Best effort, for error messages: appends what fits of the formatted
 * text (cut short at the cap) and never fails.
 */
void ob_buf_errf(struct ob_buf *b, const char *fmt, ...) OB_PRINTF(2, 3);
void ob_buf_verrf(struct ob_buf *b, const char *fmt, va_list ap)
    OB_PRINTF(2, 0);

/* Like ob_buf_errf, but replaces the contents; b may be NULL. */
void ob_buf_seterr(struct ob_buf *b, const char *fmt, ...) OB_PRINTF(2, 3);

/* Cuts the contents back to len bytes (no-op if already shorter). */
void ob_buf_truncate(struct ob_buf *b, size_t len);

/* The contents as a C string; "" for a buffer never written to. */
const char *ob_buf_cstr(const struct ob_buf *b);

/*
 * Hands the storage to the caller (free() it) and empties the buffer.
 * Never NULL: an empty buffer yields an allocated "".
 */
char *ob_buf_detach(struct ob_buf *b, size_t *len);

#endif
