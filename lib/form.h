/*
 * form.h - application/x-www-form-urlencoded data, query strings and
 * strict percent-decoding.
 *
 * Everything here reads bytes straight from the internet, so the rules
 * are narrow on purpose: a result is valid UTF-8 with no NUL and no
 * control character other than TAB, LF and CR, or it is an error.  What
 * these functions hand out lives in the caller's arena and stays valid
 * until that arena is reset; nothing needs freeing.  On error, output
 * parameters are left as they were (arena space already taken is only
 * reclaimed by the reset).
 *
 * Memory: a call allocates at most about len bytes of strings plus one
 * struct ob_field per pair, and checks every cap before allocating for
 * it.  The caller bounds len (the request body or query string) and
 * gives the arena room for it.
 */
#ifndef OB_FORM_H
#define OB_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/ob.h"

/*
 * One name=value pair.  name and value are NUL-terminated and contain
 * no NUL, so value_len == strlen(value); it is there so callers need
 * not count again.
 */
struct ob_field {
	const char *name;
	const char *value;
	size_t value_len;
};

/* The pairs of a form in the order they arrived; fields is NULL when n == 0. */
struct ob_form {
	struct ob_field *fields;
	size_t n;
};

/* Caps on a form; lengths are of decoded bytes, without the NUL. */
struct ob_form_limits {
	size_t max_fields;
	size_t max_name_len;
	size_t max_value_len;
};

/* 64 fields, 64-byte names, 64 KiB values. */
extern const struct ob_form_limits ob_form_default_limits;

/*
 * Strict percent-decoding of the n bytes at s (no NUL needed; s may be
 * NULL when n is 0).  With plus_is_space a '+' becomes ' ' (forms, query
 * strings); pass false for URL paths, where '+' is itself.  "%2B" is
 * always '+'.
 *
 * Returns 0 and sets *out to an arena-allocated, NUL-terminated result
 * of *outlen bytes, or OB_EINVAL when a '%' is not followed by two hex
 * digits, or the result would hold a NUL, a C0 control other than TAB,
 * LF and CR, or DEL, or is not valid UTF-8.  The byte rules apply to
 * the whole result, literal bytes as much as percent-encoded ones.
 * Allocates *outlen + 1 bytes, and only once the encoding is known to
 * be well formed.
 */
int ob_pct_decode(struct ob_arena *a, const char *s, size_t n,
    bool plus_is_space, char **out, size_t *outlen) OB_MUST_CHECK;

/*
 * True when the n bytes at s are valid UTF-8 as RFC 3629 defines it: no
 * overlong forms, no surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF, no truncated sequence.  NUL bytes are valid UTF-8 (callers
 * that refuse them check separately).  s may be NULL when n is 0.
 */
bool ob_utf8_valid(const char *s, size_t n);

/*
 * Parses len bytes of application/x-www-form-urlencoded data (a POST
 * body, or a query string without its '?').  Pairs are split on '&'
 * only (never ';'); the first '=' splits name from value; a pair
 * without '=' has an empty value; empty pairs ("a=1&&b=2", a trailing
 * '&') are skipped.  Names and values are ob_pct_decode'd with '+' as
 * space.  Duplicate names are kept, in order.  lim NULL means
 * ob_form_default_limits.  Empty data is a form of zero fields.
 *
 * Returns 0 and fills *out (arena-allocated), or:
 *   OB_ETOOBIG  more than lim->max_fields pairs, or a name or value
 *               whose decoded length is past its cap.  The pair count
 *               is checked before anything is decoded or allocated, and
 *               each length before its string is allocated.
 *   OB_EINVAL   bad percent-encoding, a refused byte, bad UTF-8, or an
 *               empty name ("=x").
 * *out is unchanged on error.
 */
int ob_form_parse(struct ob_arena *a, const char *data, size_t len,
    const struct ob_form_limits *lim, struct ob_form *out) OB_MUST_CHECK;

/*
 * Appends name=value to out in application/x-www-form-urlencoded form,
 * after a '&' when out is not empty: every byte but A-Z a-z 0-9 - . _ ~
 * is percent-encoded, so ob_form_parse reads back exactly what was
 * written.  OB_ETOOBIG at out's cap, with out as it was.
 */
int ob_form_append(
    struct ob_buf *out, const char *name, const char *value) OB_MUST_CHECK;

/* The value of the first field called name, or NULL.  Borrowed from f. */
const char *ob_form_get(const struct ob_form *f, const char *name);

/* How many fields are called name (a form may repeat a name). */
size_t ob_form_count(const struct ob_form *f, const char *name);

#endif
