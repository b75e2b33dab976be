#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *
ob_strerror(int err)
{
	switch (err) {
	case OB_OK:
		return "ok";
	case OB_EINVAL:
		return "invalid input";
	case OB_ETOOBIG:
		return "too big";
	case OB_ENOENT:
		return "not found";
	case OB_EIO:
		return "i/o error";
	case OB_EDB:
		return "database error";
	case OB_EAGAIN:
		return "try again";
	case OB_ECONFIG:
		return "invalid configuration";
	case OB_EUNSUPP:
		return "not supported";
	case OB_EMETHOD:
		return "method not allowed";
	case OB_EPERM:
		return "not permitted";
	case OB_EINTERNAL:
		return "internal error";
	case OB_ECSRF:
		return "form token missing or wrong";
	case OB_ELIMIT:
		return "too many requests";
	case OB_EDONE:
		return "answered";
	case OB_ECONFLICT:
		return "conflict";
	default:
		return "unknown error";
	}
}

void
ob_die(const char *what)
{
	/* Only a fixed string: this may run when memory is exhausted. */
	fputs("ombud: fatal: ", stderr);
	fputs(what, stderr);
	fputc('\n', stderr);
	abort();
}

void *
ob_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		ob_die("out of memory");
	return p;
}

void *
ob_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		ob_die("out of memory");
	return p;
}

void *
ob_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		ob_die("out of memory");
	return q;
}

char *
ob_xstrdup(const char *s)
{
	return ob_xstrndup(s, strlen(s));
}

char *
ob_xstrndup(const char *s, size_t n)
{
	char *p = ob_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
ob_parse_u64n(
    const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return OB_EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return OB_EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return OB_EINVAL;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return OB_EINVAL;
	*out = v;
	return 0;
}

int
ob_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return ob_parse_u64n(s, strlen(s), min, max, out);
}

bool
ob_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
ob_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return OB_ETOOBIG;
	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return OB_ETOOBIG;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

uint64_t
ob_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
