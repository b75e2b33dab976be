#include "lib/buf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

void
ob_buf_init(struct ob_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
ob_buf_release(struct ob_buf *b)
{
	free(b->data);
	ob_buf_init(b, b->max);
}

void
ob_buf_release_secret(struct ob_buf *b)
{
	if (b->data != NULL)
		sodium_memzero(b->data, b->cap);
	ob_buf_release(b);
}

void
ob_buf_reset(struct ob_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Makes room for n more bytes plus the terminating NUL. */
static int
grow(struct ob_buf *b, size_t n)
{
	size_t need, ncap;

	if (n > b->max - b->len)
		return OB_ETOOBIG;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = ob_xrealloc(b->data, ncap);
	b->cap = ncap;
	return 0;
}

int
ob_buf_append(struct ob_buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = grow(b, n)) != 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
ob_buf_puts(struct ob_buf *b, const char *s)
{
	return ob_buf_append(b, s, strlen(s));
}

int
ob_buf_putc(struct ob_buf *b, char c)
{
	return ob_buf_append(b, &c, 1);
}

int
ob_buf_vprintf(struct ob_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return OB_EINVAL;
	if ((rc = grow(b, (size_t)n)) != 0)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
ob_buf_printf(struct ob_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ob_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *
ob_buf_cstr(const struct ob_buf *b)
{
	return b->data ? b->data : "";
}

char *
ob_buf_detach(struct ob_buf *b, size_t *len)
{
	char *p = b->data ? b->data : ob_xstrdup("");

	if (len != NULL)
		*len = b->len;
	ob_buf_init(b, b->max);
	return p;
}

void
ob_buf_verrf(struct ob_buf *b, const char *fmt, va_list ap)
{
	char tmp[1024];
	size_t n, room;

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	n = strlen(tmp);
	room = b->max - b->len;
	if (ob_buf_append(b, tmp, n < room ? n : room) != 0)
		return;
}

void
ob_buf_errf(struct ob_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ob_buf_verrf(b, fmt, ap);
	va_end(ap);
}

void
ob_buf_seterr(struct ob_buf *b, const char *fmt, ...)
{
	va_list ap;

	if (b == NULL)
		return;
	ob_buf_reset(b);
	va_start(ap, fmt);
	ob_buf_verrf(b, fmt, ap);
	va_end(ap);
}

void
ob_buf_truncate(struct ob_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}
