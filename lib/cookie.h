/*
 * cookie.h - the Cookie request header and Set-Cookie values (RFC 6265).
 *
 * Parsing is lenient where browsers are sloppy (spaces, junk pairs that
 * other applications on the host set) and strict about what it hands
 * out: every name is an RFC 6265 token and every value is made of
 * cookie-octets, so neither holds spaces, quotes, ';', ',', '\\',
 * controls or non-ASCII bytes.  No percent-decoding is done.
 *
 * Duplicates: a browser sends every cookie whose domain and path match,
 * so a sibling subdomain can plant a second "sid" that arrives first.
 * Give cookies that matter a "__Host-" name; ob_cookie_format enforces
 * what that prefix requires.
 */
#ifndef OB_COOKIE_H
#define OB_COOKIE_H

#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/ob.h"

/* Caps of ob_cookies_parse. */
enum {
	OB_COOKIES_MAX = 32, /* well-formed cookies in one header */
	OB_COOKIE_HEADER_MAX = 8192, /* bytes of the header value */
};

/* One cookie; both strings are NUL-terminated. */
struct ob_cookie {
	const char *name;
	const char *value;
};

/* The cookies of a request in header order; list is NULL when n == 0. */
struct ob_cookies {
	struct ob_cookie *list;
	size_t n;
};

/*
 * Parses a Cookie header value ("a=1; b=2", an RFC 6265 cookie-string),
 * allowing any run of spaces and tabs around ';' and '='.  A value in
 * double quotes loses them.  A malformed pair (no '=', a name that is
 * not a token, a value with other than cookie-octets) is skipped, not
 * fatal.  Duplicate names are kept, in order.  header NULL (no Cookie
 * header) or empty yields zero cookies.
 *
 * Returns 0 and fills *out with arena-allocated strings, or OB_ETOOBIG
 * when the header is longer than OB_COOKIE_HEADER_MAX bytes or holds
 * more than OB_COOKIES_MAX well-formed cookies.  Nothing is allocated
 * and *out is unchanged on error.
 */
int ob_cookies_parse(struct ob_arena *a, const char *header,
    struct ob_cookies *out) OB_MUST_CHECK;

/* The value of the first cookie called name, or NULL.  Borrowed from c. */
const char *ob_cookies_get(const struct ob_cookies *c, const char *name);

/* Attribute flags of ob_cookie_format. */
enum {
	OB_COOKIE_SECURE = 1,
	OB_COOKIE_HTTPONLY = 2,
	OB_COOKIE_SAMESITE_STRICT = 4,
	OB_COOKIE_SAMESITE_LAX = 8,
};

/*
 * Appends a Set-Cookie header value to buf:
 *   name=value; Path=path[; Max-Age=n][; Secure][; HttpOnly][; SameSite=x]
 * max_age < 0 makes a session cookie (no Max-Age); 0 deletes the cookie
 * (Max-Age=0); > 0 is its lifetime in seconds.  No Domain attribute is
 * ever written, so the cookie stays host-only.
 *
 * Returns 0, or:
 *   OB_EINVAL   name is not a token; value has other than cookie-octets
 *               (it is written bare, never quoted); path is NULL, does
 *               not start with '/', or holds ';', spaces, controls or
 *               non-ASCII; unknown flags or both SameSite flags; a
 *               "__Secure-" name without OB_COOKIE_SECURE, or a "__Host-"
 *               name without it or with a path other than "/" (browsers
 *               would silently drop such a cookie).
 *   OB_ETOOBIG  buf's cap was reached.
 * On error buf holds what it held before the call.
 */
int ob_cookie_format(struct ob_buf *buf, const char *name, const char *value,
    const char *path, long max_age, unsigned flags) OB_MUST_CHECK;

#endif
