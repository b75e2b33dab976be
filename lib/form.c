#include "lib/form.h"

#include <stdint.h>
#include <string.h>

const struct ob_form_limits ob_form_default_limits = {
	.max_fields = 64,
	.max_name_len = 64,
	.max_value_len = 64 * 1024,
};

bool
ob_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		unsigned lo = 0x80, hi = 0xbf;
		size_t need;

		if (c < 0x80) {
			i++;
			continue;
		}
		/*
		 * RFC 3629 section 4: the lead byte fixes the length, and
		 * for E0, ED, F0 and F4 also narrows the second byte, which
		 * is what shuts out overlongs, surrogates and > U+10FFFF.
		 * C0, C1 and F5..FF never occur.
		 */
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= need; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += need + 1;
	}
	return true;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A byte no decoded string may hold: NUL and the C0 controls but TAB,
 * LF and CR (a textarea sends CR LF), and DEL.  They have no business
 * in a name or a report, and stray ones end up in logs and headers.
 */
static bool
refused_byte(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

/*
 * Checks the percent-encoding of n bytes at s and sets *dlen to the
 * decoded length.  Stops as soon as that passes cap, so that an
 * oversized field costs no more than cap bytes of scanning.
 * OB_EINVAL for a bad escape, OB_ETOOBIG past cap.
 */
static int
pct_len(const char *s, size_t n, size_t cap, size_t *dlen)
{
	size_t i = 0, d = 0;

	while (i < n) {
		if (d == cap)
			return OB_ETOOBIG;
		if (s[i] == '%') {
			if (n - i < 3 || hexval((unsigned char)s[i + 1]) < 0 ||
			    hexval((unsigned char)s[i + 2]) < 0)
				return OB_EINVAL;
			i += 3;
		} else {
			i++;
		}
		d++;
	}
	*dlen = d;
	return 0;
}

/*
 * Decodes n bytes at s, whose encoding pct_len accepted with length
 * dlen, into the arena, then applies the byte and UTF-8 rules.
 */
static int
decode(struct ob_arena *a, const char *s, size_t n, size_t dlen,
    bool plus_is_space, char **out)
{
	char *r = ob_arena_alloc(a, dlen + 1);
	size_t i = 0, d = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			c = (unsigned char)(hexval((unsigned char)s[i + 1])
				<< 4 |
			    hexval((unsigned char)s[i + 2]));
			i += 3;
		} else {
			if (c == '+' && plus_is_space)
				c = ' ';
			i++;
		}
		if (refused_byte(c))
			return OB_EINVAL;
		r[d++] = (char)c;
	}
	r[d] = '\0';
	if (!ob_utf8_valid(r, d))
		return OB_EINVAL;
	*out = r;
	return 0;
}

int
ob_pct_decode(struct ob_arena *a, const char *s, size_t n, bool plus_is_space,
    char **out, size_t *outlen)
{
	char *r = NULL;
	size_t dlen = 0;
	int rc;

	if ((rc = pct_len(s, n, SIZE_MAX, &dlen)) != 0)
		goto out;
	if ((rc = decode(a, s, n, dlen, plus_is_space, &r)) != 0)
		goto out;
	*out = r;
	*outlen = dlen;
out:
	return rc;
}

/*
 * Finds the next non-empty '&'-separated segment at or after *pos.
 * Returns false when there is none.
 */
static bool
next_pair(
    const char *data, size_t len, size_t *pos, const char **seg, size_t *n)
{
	while (*pos < len) {
		const char *start = data + *pos;
		const char *amp = memchr(start, '&', len - *pos);
		size_t l = amp != NULL ? (size_t)(amp - start) : len - *pos;

		*pos = amp != NULL ? *pos + l + 1 : len;
		if (l > 0) {
			*seg = start;
			*n = l;
			return true;
		}
	}
	return false;
}

/* Decodes one name or value, checking its decoded length first. */
static int
decode_capped(struct ob_arena *a, const char *s, size_t n, size_t cap,
    const char **out, size_t *outlen)
{
	char *r = NULL;
	size_t dlen = 0;
	int rc;

	if ((rc = pct_len(s, n, cap, &dlen)) != 0)
		return rc;
	if ((rc = decode(a, s, n, dlen, true, &r)) != 0)
		return rc;
	*out = r;
	*outlen = dlen;
	return 0;
}

int
ob_form_parse(struct ob_arena *a, const char *data, size_t len,
    const struct ob_form_limits *lim, struct ob_form *out)
{
	struct ob_form f = { NULL, 0 };
	const char *seg, *eq;
	size_t pos = 0, npairs = 0, seglen, nl, namelen;
	int rc = 0;

	if (lim == NULL)
		lim = &ob_form_default_limits;

	/*
	 * Count first: a body of a million "&x" pairs is refused after one
	 * scan that stops at max_fields + 1, before anything is allocated.
	 */
	while (next_pair(data, len, &pos, &seg, &seglen)) {
		if (npairs == lim->max_fields) {
			rc = OB_ETOOBIG;
			goto out;
		}
		npairs++;
	}
	if (npairs == 0)
		goto out;
	if (npairs > SIZE_MAX / sizeof(*f.fields)) {
		rc = OB_ETOOBIG;
		goto out;
	}
	f.fields = ob_arena_alloc(a, npairs * sizeof(*f.fields));

	pos = 0;
	while (next_pair(data, len, &pos, &seg, &seglen)) {
		struct ob_field *fld = &f.fields[f.n];

		eq = memchr(seg, '=', seglen);
		nl = eq != NULL ? (size_t)(eq - seg) : seglen;
		if (nl == 0) {
			rc = OB_EINVAL;
			goto out;
		}
		rc = decode_capped(
		    a, seg, nl, lim->max_name_len, &fld->name, &namelen);
		if (rc != 0)
			goto out;
		if (eq == NULL) {
			fld->value = "";
			fld->value_len = 0;
		} else {
			rc = decode_capped(a, eq + 1, seglen - nl - 1,
			    lim->max_value_len, &fld->value, &fld->value_len);
			if (rc != 0)
				goto out;
		}
		f.n++;
	}
out:
	if (rc == 0)
		*out = f;
	return rc;
}

const char *
ob_form_get(const struct ob_form *f, const char *name)
{
	if (f == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return f->fields[i].value;
	return NULL;
}

size_t
ob_form_count(const struct ob_form *f, const char *name)
{
	size_t c = 0;

	if (f == NULL || name == NULL)
		return 0;
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			c++;
	return c;
}

static int
append_encoded(struct ob_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char pct[3] = { '%', hex[c >> 4], hex[c & 15] };
		int rc;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			rc = ob_buf_putc(out, (char)c);
		else
			rc = ob_buf_append(out, pct, sizeof(pct));
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ob_form_append(struct ob_buf *out, const char *name, const char *value)
{
	size_t before = out->len;
	int rc = 0;

	if (before > 0)
		rc = ob_buf_putc(out, '&');
	if (rc == 0)
		rc = append_encoded(out, name);
	if (rc == 0)
		rc = ob_buf_putc(out, '=');
	if (rc == 0)
		rc = append_encoded(out, value);
	if (rc != 0)
		ob_buf_truncate(out, before);
	return rc;
}
