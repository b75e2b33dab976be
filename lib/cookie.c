#include "lib/cookie.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* One cookie found in the header, before it is copied out. */
struct span {
	const char *name;
	size_t nl;
	const char *value;
	size_t vl;
};

/* RFC 7230 tchar, which RFC 6265 means by token. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 6265 cookie-octet: US-ASCII but controls, space, '"', ',', ';', '\'. */
static bool
is_cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	    (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

static bool
all_tchar(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

static bool
all_cookie_octets(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_cookie_octet((unsigned char)s[i]))
			return false;
	return true;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Splits one ';'-separated piece of a Cookie header into name and
 * value.  False for an empty or malformed piece, which the caller skips.
 */
static bool
split_pair(const char *p, size_t n, struct span *out)
{
	const char *eq;
	size_t nl;

	while (n > 0 && is_ows(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_ows(p[n - 1]))
		n--;
	if (n == 0 || (eq = memchr(p, '=', n)) == NULL)
		return false;
	nl = (size_t)(eq - p);
	out->name = p;
	out->nl = nl;
	while (out->nl > 0 && is_ows(p[out->nl - 1]))
		out->nl--;
	out->value = eq + 1;
	out->vl = n - nl - 1;
	while (out->vl > 0 && is_ows(out->value[0])) {
		out->value++;
		out->vl--;
	}
	if (out->vl >= 2 && out->value[0] == '"' &&
	    out->value[out->vl - 1] == '"') {
		out->value++;
		out->vl -= 2;
	}
	return all_tchar(out->name, out->nl) &&
	    all_cookie_octets(out->value, out->vl);
}

int
ob_cookies_parse(struct ob_arena *a, const char *header, struct ob_cookies *out)
{
	struct span sp[OB_COOKIES_MAX];
	struct ob_cookies c = { NULL, 0 };
	size_t len, pos = 0, n = 0;
	int rc = 0;

	if (header == NULL)
		goto out;
	len = strnlen(header, (size_t)OB_COOKIE_HEADER_MAX + 1);
	if (len > OB_COOKIE_HEADER_MAX) {
		rc = OB_ETOOBIG;
		goto out;
	}
	while (pos < len) {
		const char *p = header + pos;
		const char *semi = memchr(p, ';', len - pos);
		size_t l = semi != NULL ? (size_t)(semi - p) : len - pos;
		struct span s;

		pos = semi != NULL ? pos + l + 1 : len;
		if (!split_pair(p, l, &s))
			continue;
		if (n == OB_COOKIES_MAX) {
			rc = OB_ETOOBIG;
			goto out;
		}
		sp[n++] = s;
	}
	if (n == 0)
		goto out;
	c.list = ob_arena_alloc(a, n * sizeof(*c.list));
	for (size_t i = 0; i < n; i++) {
		c.list[i].name = ob_arena_strndup(a, sp[i].name, sp[i].nl);
		c.list[i].value = ob_arena_strndup(a, sp[i].value, sp[i].vl);
	}
	c.n = n;
out:
	if (rc == 0)
		*out = c;
	return rc;
}

const char *
ob_cookies_get(const struct ob_cookies *c, const char *name)
{
	if (c == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->list[i].name, name) == 0)
			return c->list[i].value;
	return NULL;
}

/* RFC 6265 path-value, narrowed: an absolute path of visible ASCII, no ';'. */
static bool
valid_path(const char *path)
{
	if (path == NULL || path[0] != '/')
		return false;
	for (const char *p = path; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == ';')
			return false;
	return true;
}

static bool
valid_attrs(const char *name, const char *path, unsigned flags)
{
	const unsigned known = OB_COOKIE_SECURE | OB_COOKIE_HTTPONLY |
	    OB_COOKIE_SAMESITE_STRICT | OB_COOKIE_SAMESITE_LAX;
	const unsigned both =
	    OB_COOKIE_SAMESITE_STRICT | OB_COOKIE_SAMESITE_LAX;
	bool secure = (flags & OB_COOKIE_SECURE) != 0;

	if ((flags & ~known) != 0 || (flags & both) == both)
		return false;
	/* Cookie prefixes (RFC 6265bis 4.1.3), matched in any case. */
	if (strncasecmp(name, "__Secure-", 9) == 0 && !secure)
		return false;
	if (strncasecmp(name, "__Host-", 7) == 0 &&
	    (!secure || strcmp(path, "/") != 0))
		return false;
	return true;
}

int
ob_cookie_format(struct ob_buf *buf, const char *name, const char *value,
    const char *path, long max_age, unsigned flags)
{
	size_t saved = buf->len;
	int rc = 0;

	if (name == NULL || value == NULL || !all_tchar(name, strlen(name)) ||
	    !all_cookie_octets(value, strlen(value)) || !valid_path(path) ||
	    !valid_attrs(name, path, flags)) {
		rc = OB_EINVAL;
		goto out;
	}
	if ((rc = ob_buf_printf(buf, "%s=%s; Path=%s", name, value, path)) != 0)
		goto out;
	if (max_age >= 0 &&
	    (rc = ob_buf_printf(buf, "; Max-Age=%ld", max_age)) != 0)
		goto out;
	if ((flags & OB_COOKIE_SECURE) != 0 &&
	    (rc = ob_buf_puts(buf, "; Secure")) != 0)
		goto out;
	if ((flags & OB_COOKIE_HTTPONLY) != 0 &&
	    (rc = ob_buf_puts(buf, "; HttpOnly")) != 0)
		goto out;
	if ((flags & OB_COOKIE_SAMESITE_STRICT) != 0 &&
	    (rc = ob_buf_puts(buf, "; SameSite=Strict")) != 0)
		goto out;
	if ((flags & OB_COOKIE_SAMESITE_LAX) != 0 &&
	    (rc = ob_buf_puts(buf, "; SameSite=Lax")) != 0)
		goto out;
out:
	/* Leave no half-written header behind. */
	if (rc != 0 && buf->data != NULL) {
		buf->len = saved;
		buf->data[saved] = '\0';
	}
	return rc;
}
