#include "lib/logscrub.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MASK "[addr]"
#define MASK_LEN (sizeof(MASK) - 1)

/* Longest textual IPv6 address inet_pton(3) can accept, without NUL. */
#define V6_MAX 45

static bool
at(const char *in, size_t n, size_t i, const char *lit, size_t litlen)
{
	return n - i >= litlen && memcmp(in + i, lit, litlen) == 0;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_v6char(char c)
{
	return is_hex(c) || c == ':' || c == '.';
}

static bool
is_word(char c)
{
	return is_hex(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') ||
	    c == '_';
}

static bool
is_zonechar(char c)
{
	return is_word(c) || c == '-' || c == '.';
}

/*
 * Pass 1: the fields nginx's HTTP error handler appends to a line
 * (ngx_http_log_error_handler: client, server, request, subrequest,
 * upstream, host, referrer, in that order).
 */
static int
scrub_fields(const char *in, size_t n, struct ob_buf *o)
{
	static const char client[] = ", client: ";
	static const char referrer[] = ", referrer: \"";
	static const char request[] = "request: \"";
	size_t i = 0, start = 0;
	int rc;

	while (i < n) {
		if (at(in, n, i, client, sizeof(client) - 1)) {
			if ((rc = ob_buf_append(o, in + start, i - start)) != 0)
				return rc;
			i += sizeof(client) - 1;
			while (i < n && in[i] != ',')
				i++;
			start = i;
		} else if (at(in, n, i, referrer, sizeof(referrer) - 1)) {
			/*
			 * The value is raw client text that may hold quotes
			 * and commas, and nginx writes it last: drop the rest.
			 */
			if ((rc = ob_buf_append(o, in + start, i - start)) != 0)
				return rc;
			start = i = n;
		} else if (at(in, n, i, request, sizeof(request) - 1)) {
			i += sizeof(request) - 1;
			while (i < n && in[i] != '"' && in[i] != '?')
				i++;
			if (i < n && in[i] == '?') {
				if ((rc = ob_buf_append(
					 o, in + start, i - start)) != 0)
					return rc;
				/*
				 * nginx refuses spaces in the request line and
				 * browsers send '"' as %22, so a space or a
				 * quote ends the query.
				 */
				while (i < n && in[i] != ' ' && in[i] != '"')
					i++;
				start = i;
			}
		} else {
			i++;
		}
	}
	return ob_buf_append(o, in + start, n - start);
}

/*
 * Decides whether in[*s, *e) (a maximal run of hex digits, colons and
 * dots) holds an IPv6 literal, after trimming a stray leading ':' and
 * trailing punctuation, and widens the span over a "%zone" suffix and
 * surrounding brackets.  The literal must stand alone as a word:
 * OpenSSL 3 writes "SSL routines::bad key share", and "::bad" is a
 * valid address.  nginx puts a space, '[' or '/' before an address.
 */
static bool
v6_literal(const char *in, size_t n, size_t *s, size_t *e)
{
	size_t a = *s, b = *e, colons = 0;
	bool hexdigit = false;
	char tmp[V6_MAX + 1];
	unsigned char addr[16];

	if (b - a >= 2 && in[a] == ':' && in[a + 1] != ':')
		a++;
	while (b > a) {
		if (in[b - 1] == '.')
			b--;
		else if (in[b - 1] == ':' && (b - a < 2 || in[b - 2] != ':'))
			b--;
		else
			break;
	}
	if (b - a < 3 || b - a > V6_MAX)
		return false;
	for (size_t i = a; i < b; i++) {
		if (in[i] == ':')
			colons++;
		else if (is_hex(in[i]))
			hexdigit = true;
	}
	/* Two colons at least: "12:34:56" in a timestamp is no address. */
	if (colons < 2 || !hexdigit)
		return false;
	memcpy(tmp, in + a, b - a);
	tmp[b - a] = '\0';
	if ((a > 0 && is_word(in[a - 1])) || (b < n && is_word(in[b])))
		return false;
	if (inet_pton(AF_INET6, tmp, addr) != 1)
		return false;
	if (b < n && in[b] == '%') {
		b++;
		while (b < n && is_zonechar(in[b]))
			b++;
	}
	if (a > 0 && in[a - 1] == '[' && b < n && in[b] == ']') {
		a--;
		b++;
	}
	*s = a;
	*e = b;
	return true;
}

/* Pass 2: IPv6 literals. */
static int
scrub_v6(const char *in, size_t n, struct ob_buf *o)
{
	size_t i = 0, start = 0;
	int rc;

	while (i < n) {
		size_t s = i, e = i;

		if (!is_v6char(in[i])) {
			i++;
			continue;
		}
		while (e < n && is_v6char(in[e]))
			e++;
		i = e;
		if (!v6_literal(in, n, &s, &e))
			continue;
		/* s may step back over a '[' that is not yet copied. */
		if ((rc = ob_buf_append(o, in + start, s - start)) != 0 ||
		    (rc = ob_buf_append(o, MASK, MASK_LEN)) != 0)
			return rc;
		start = i = e;
	}
	return ob_buf_append(o, in + start, n - start);
}

/*
 * True when the run in[s, e) of digits and dots contains a dotted quad
 * d.d.d.d (each d 1 to 3 digits) as a substring: some group is
 * non-empty, the next two are 1 to 3 digits long, and the one after
 * is non-empty.
 */
static bool
has_quad(const char *in, size_t s, size_t e)
{
	size_t len[4] = { 0, 0, 0, 0 };
	size_t groups = 0, cur = 0;

	for (size_t i = s; i <= e; i++) {
		if (i < e && in[i] != '.') {
			cur++;
			continue;
		}
		/* A group ends: shift it into the window of the last four. */
		len[0] = len[1];
		len[1] = len[2];
		len[2] = len[3];
		len[3] = cur;
		groups++;
		cur = 0;
		if (groups >= 4 && len[0] > 0 && len[1] >= 1 && len[1] <= 3 &&
		    len[2] >= 1 && len[2] <= 3 && len[3] > 0)
			return true;
	}
	return false;
}

/* Pass 3: dotted quads, however they are embedded. */
static int
scrub_v4(const char *in, size_t n, struct ob_buf *o)
{
	size_t i = 0, start = 0;
	int rc;

	while (i < n) {
		size_t s = i, e = i;

		if (!is_digit(in[i]) && in[i] != '.') {
			i++;
			continue;
		}
		while (e < n && (is_digit(in[e]) || in[e] == '.'))
			e++;
		i = e;
		if (!has_quad(in, s, e))
			continue;
		if ((rc = ob_buf_append(o, in + start, s - start)) != 0 ||
		    (rc = ob_buf_append(o, MASK, MASK_LEN)) != 0)
			return rc;
		start = e;
	}
	return ob_buf_append(o, in + start, n - start);
}

int
ob_logscrub_line(const char *in, size_t n, struct ob_buf *out)
{
	/* Pass 1 only shrinks; pass 2 at most doubles ("::1" -> MASK). */
	struct ob_buf fields = OB_BUF_INIT(n + 1);
	struct ob_buf v6 = OB_BUF_INIT(2 * n + 8);
	struct ob_buf v4 = OB_BUF_INIT(2 * n + 8);
	bool newline = false;
	int rc;

	if (n > (SIZE_MAX - 8) / 2)
		return OB_ETOOBIG;
	if (n > 0 && in[n - 1] == '\n') {
		newline = true;
		n--;
	}
	if ((rc = scrub_fields(in, n, &fields)) != 0 ||
	    (rc = scrub_v6(fields.data ? fields.data : "", fields.len, &v6)) !=
		0 ||
	    (rc = scrub_v4(v6.data ? v6.data : "", v6.len, &v4)) != 0)
		goto out;
	if (newline && (rc = ob_buf_putc(&v4, '\n')) != 0)
		goto out;
	/* One append, so that out is unchanged when it fails. */
	rc = ob_buf_append(out, v4.data ? v4.data : "", v4.len);
out:
	ob_buf_release(&fields);
	ob_buf_release(&v6);
	ob_buf_release(&v4);
	return rc;
}
