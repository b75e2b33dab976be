/*
 * util.h - allocation that never returns NULL, bounded number parsing,
 * small string helpers.
 */
#ifndef OB_UTIL_H
#define OB_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ob.h"

/*
 * Allocators that abort the process on failure.  A child that cannot
 * allocate is in an unknown state; the pool master replaces it.
 * The caller owns what they return and frees it with free().
 */
void *ob_xmalloc(size_t n);
void *ob_xcalloc(size_t nmemb, size_t size);
void *ob_xrealloc(void *p, size_t n);
char *ob_xstrdup(const char *s);
char *ob_xstrndup(const char *s, size_t n);

/* Writes a message to stderr and aborts. */
OB_NORETURN void ob_die(const char *what);

/*
 * Parses the whole of s (decimal digits only: no sign, no spaces, no
 * base prefixes) into *out, which must lie in [min, max].
 * Returns 0, or OB_EINVAL for anything else; *out is untouched then.
 */
int ob_parse_u64(
    const char *s, uint64_t min, uint64_t max, uint64_t *out) OB_MUST_CHECK;

/* Like ob_parse_u64, for the first n bytes of s (no NUL needed). */
int ob_parse_u64n(const char *s, size_t n, uint64_t min, uint64_t max,
    uint64_t *out) OB_MUST_CHECK;

/* True when s starts with prefix. */
bool ob_startswith(const char *s, const char *prefix);

/*
 * Copies src into dst of size dstsz, always NUL-terminating.
 * Returns 0, or OB_ETOOBIG when src did not fit (dst holds a truncated,
 * terminated copy then).
 */
int ob_strlcpy(char *dst, const char *src, size_t dstsz) OB_MUST_CHECK;

/* Monotonic clock in microseconds. */
uint64_t ob_now_us(void);

#endif
