#include "lib/multipart.h"

#include <stdlib.h>
#include <string.h>

#include "lib/form.h"
#include "lib/util.h"

const struct ob_multipart_limits ob_multipart_default_limits = {
	.max_parts = 32,
	.max_header_bytes = 8 * 1024,
	.max_header_lines = 8,
	.max_name_len = 64,
	.max_filename_len = 255,
	.max_field_len = 64 * 1024,
	.max_total = 64 * 1024 * 1024,
};

enum state {
	S_PREAMBLE, /* before the first delimiter: matching, discarding */
	S_BODY, /* a part's body: matching, delivering */
	S_DELIM, /* right after "--boundary" */
	S_CLOSE, /* after "--boundary-": the second '-' */
	S_PAD, /* transport padding, until CR */
	S_DELIM_LF, /* the LF that ends a delimiter line */
	S_HEADER, /* in a header line */
	S_HEADER_LF, /* the LF after a header line's CR */
	S_EPILOGUE, /* after the close delimiter: ignored */
	S_FAILED, /* err says why */
};

struct ob_multipart {
	struct ob_multipart_limits lim;
	struct ob_multipart_cb cb;
	void *arg;
	enum state state;
	int err;
	bool in_cb; /* a callback is running */
	bool in_part; /* begun and not yet ended */

	/*
	 * "\r\n--" boundary.  Bytes that match a prefix of it are held
	 * back from the data callback until the match fails or completes;
	 * they are always delim[0..matched), so they need no buffer of
	 * their own.
	 */
	char delim[4 + OB_MULTIPART_BOUNDARY_MAX];
	size_t dlen;
	size_t matched;

	uint64_t total;
	size_t nparts;

	/* The header block of the current part. */
	size_t hbytes, hlines, linelen;
	bool seen_cd, seen_ct, seen_cte;
	char *line; /* max_header_bytes */
	char *name; /* name_cap + 1 */
	char *filename; /* filename_cap + 1 */
	size_t name_cap, filename_cap;
	char ctype[OB_MULTIPART_CTYPE_MAX + 1];
	struct ob_multipart_part part;
};

/* RFC 9110 tchar. */
static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 2046 bchars. */
static bool
is_bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

static bool
boundary_ok(const char *b, size_t n)
{
	if (n < 1 || n > OB_MULTIPART_BOUNDARY_MAX || b[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return false;
	return true;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The n bytes at s equal lit (lowercase) in any case. */
static bool
ieq(const char *s, size_t n, const char *lit)
{
	if (n != strlen(lit))
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

/* A byte a header line may hold: HTAB, SP, VCHAR, obs-text. */
static bool
header_byte_ok(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/*
 * A cursor over a header value, for "type; a=b; c="d"" parameter lists
 * (RFC 9110 section 5.6.6: empty parameters allowed, no space around
 * '=').
 */
struct cur {
	const char *s;
	size_t n, i;
};

static void
skip_ows(struct cur *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
		c->i++;
}

/* Skips a token and returns its length (0: none here). */
static size_t
token(struct cur *c)
{
	size_t start = c->i;

	while (c->i < c->n && is_tchar((unsigned char)c->s[c->i]))
		c->i++;
	return c->i - start;
}

/*
 * Moves past the next "; name=" and returns 1 with the name (*nlen
 * bytes at *name) and the cursor on the value; 0 at the end of the list;
 * OB_EINVAL for anything else.
 */
static int
param_next(struct cur *c, const char **name, size_t *nlen)
{
	for (;;) {
		skip_ows(c);
		if (c->i == c->n)
			return 0;
		if (c->s[c->i] != ';')
			return OB_EINVAL;
		c->i++;
		skip_ows(c);
		if (c->i == c->n)
			return 0;
		if (c->s[c->i] == ';')
			continue;
		*name = c->s + c->i;
		if ((*nlen = token(c)) == 0)
			return OB_EINVAL;
		if (c->i == c->n || c->s[c->i] != '=')
			return OB_EINVAL;
		c->i++;
		return 1;
	}
}

/*
 * Reads a parameter value, a token or a quoted-string, into out (at
 * most cap bytes and a NUL; out NULL only checks the syntax).  With
 * escapes, a backslash before '"' or '\' escapes it and before anything
 * else is itself (see the header); without, a backslash is refused.
 * OB_EINVAL for bad syntax, OB_ETOOBIG past cap.
 */
static int
param_value(struct cur *c, char *out, size_t cap, size_t *outlen, bool escapes)
{
	size_t len = 0, start;

	if (c->i < c->n && c->s[c->i] == '"') {
		c->i++;
		for (;;) {
			unsigned char ch;

			if (c->i == c->n)
				return OB_EINVAL;
			ch = (unsigned char)c->s[c->i];
			if (ch == '"')
				break;
			if (ch == '\\') {
				if (!escapes)
					return OB_EINVAL;
				if (c->i + 1 < c->n &&
				    (c->s[c->i + 1] == '"' ||
					c->s[c->i + 1] == '\\'))
					ch = (unsigned char)c->s[++c->i];
			}
			if (!header_byte_ok(ch))
				return OB_EINVAL;
			if (out != NULL) {
				if (len == cap)
					return OB_ETOOBIG;
				out[len] = (char)ch;
			}
			len++;
			c->i++;
		}
		c->i++;
	} else {
		start = c->i;
		if ((len = token(c)) == 0)
			return OB_EINVAL;
		if (out != NULL) {
			if (len > cap)
				return OB_ETOOBIG;
			memcpy(out, c->s + start, len);
		}
	}
	if (out != NULL)
		out[len] = '\0';
	*outlen = len;
	return 0;
}

int
ob_multipart_boundary(const char *content_type, char *out, size_t outsz)
{
	char b[OB_MULTIPART_BOUNDARY_MAX + 1];
	struct cur c;
	const char *pn = NULL, *t;
	size_t pl = 0, blen = 0, len;
	bool seen = false;
	int rc;

	if (content_type == NULL)
		return OB_EINVAL;
	c.s = content_type;
	c.n = strlen(content_type);
	c.i = 0;
	skip_ows(&c);
	t = c.s + c.i;
	if (!ieq(t, token(&c), "multipart"))
		return OB_EINVAL;
	if (c.i == c.n || c.s[c.i] != '/')
		return OB_EINVAL;
	c.i++;
	t = c.s + c.i;
	if (!ieq(t, token(&c), "form-data"))
		return OB_EINVAL;
	while ((rc = param_next(&c, &pn, &pl)) == 1) {
		if (ieq(pn, pl, "boundary")) {
			/* 70 is the cap, so anything longer is invalid. */
			if (seen ||
			    param_value(&c, b, sizeof(b) - 1, &blen, false) !=
				0)
				return OB_EINVAL;
			seen = true;
		} else if (param_value(&c, NULL, 0, &len, true) != 0) {
			return OB_EINVAL;
		}
	}
	if (rc != 0 || !seen || !boundary_ok(b, blen))
		return OB_EINVAL;
	if (outsz <= blen)
		return OB_ETOOBIG;
	memcpy(out, b, blen + 1);
	return 0;
}

int
ob_multipart_new(const char *boundary, const struct ob_multipart_limits *lim,
    const struct ob_multipart_cb *cb, void *arg, struct ob_multipart **out)
{
	struct ob_multipart *p;
	size_t blen, hb, ncap, fcap;
	char *mem;

	if (lim == NULL)
		lim = &ob_multipart_default_limits;
	if (boundary == NULL)
		return OB_EINVAL;
	blen = strnlen(boundary, OB_MULTIPART_BOUNDARY_MAX + 1);
	if (!boundary_ok(boundary, blen))
		return OB_EINVAL;
	hb = lim->max_header_bytes;
	if (lim->max_parts == 0 || hb == 0 || lim->max_header_lines == 0 ||
	    lim->max_name_len == 0 || hb > OB_MULTIPART_HEADER_BYTES_MAX)
		return OB_EINVAL;
	/* No parameter can be longer than the line it is on. */
	ncap = lim->max_name_len < hb ? lim->max_name_len : hb;
	fcap = lim->max_filename_len < hb ? lim->max_filename_len : hb;

	mem = ob_xcalloc(1, sizeof(*p) + hb + ncap + 1 + fcap + 1);
	p = (struct ob_multipart *)(void *)mem;
	p->line = mem + sizeof(*p);
	p->name = p->line + hb;
	p->filename = p->name + ncap + 1;
	p->name_cap = ncap;
	p->filename_cap = fcap;
	p->lim = *lim;
	if (cb != NULL)
		p->cb = *cb;
	p->arg = arg;
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary, blen);
	p->dlen = 4 + blen;
	/*
	 * The body's start counts as a line start: pretend its CRLF was
	 * just seen.  Those two bytes are preamble, so never delivered.
	 */
	p->state = S_PREAMBLE;
	p->matched = 2;
	*out = p;
	return 0;
}

void
ob_multipart_free(struct ob_multipart *p)
{
	free(p);
}

size_t
ob_multipart_nparts(const struct ob_multipart *p)
{
	return p->nparts;
}

static int
cb_result(struct ob_multipart *p, int rc)
{
	p->in_cb = false;
	return rc > 0 ? OB_EINTERNAL : rc;
}

static int
deliver_raw(struct ob_multipart *p, const char *d, size_t n)
{
	p->part.len += n;
	if (p->cb.data == NULL)
		return 0;
	p->in_cb = true;
	return cb_result(p, p->cb.data(p->arg, &p->part, d, n));
}

/*
 * Hands n body bytes to the caller.  A plain field gets what fits under
 * max_field_len and then fails: cutting at the cap, rather than before
 * the run, keeps the outcome independent of how the body was chunked.
 */
static int
deliver(struct ob_multipart *p, const char *d, size_t n)
{
	uint64_t room;
	int rc;

	if (p->part.filename == NULL) {
		room = p->lim.max_field_len - p->part.len;
		if (n > room) {
			if (room > 0 &&
			    (rc = deliver_raw(p, d, (size_t)room)) != 0)
				return rc;
			return OB_ETOOBIG;
		}
	}
	return deliver_raw(p, d, n);
}

static int
end_part(struct ob_multipart *p)
{
	if (!p->in_part)
		return 0;
	p->in_part = false;
	if (p->cb.end == NULL)
		return 0;
	p->in_cb = true;
	return cb_result(p, p->cb.end(p->arg, &p->part));
}

/* A delimiter line ended in CRLF: a part's header block follows. */
static int
begin_headers(struct ob_multipart *p)
{
	if (p->nparts == p->lim.max_parts)
		return OB_ETOOBIG;
	p->nparts++;
	p->hbytes = p->hlines = p->linelen = 0;
	p->seen_cd = p->seen_ct = p->seen_cte = false;
	p->name[0] = p->filename[0] = p->ctype[0] = '\0';
	memset(&p->part, 0, sizeof(p->part));
	p->part.index = p->nparts - 1;
	p->part.name = p->name;
	p->part.content_type = p->ctype;
	p->state = S_HEADER;
	return 0;
}

/* Content-Disposition: form-data; name="..."; filename="..." */
static int
disposition(struct ob_multipart *p, const char *v, size_t n)
{
	struct cur c = { v, n, 0 };
	const char *pn = NULL;
	size_t pl = 0, len = 0;
	bool seen_name = false;
	int rc;

	if (!ieq(v, token(&c), "form-data"))
		return OB_EINVAL;
	while ((rc = param_next(&c, &pn, &pl)) == 1) {
		if (ieq(pn, pl, "name")) {
			if (seen_name)
				return OB_EINVAL;
			rc = param_value(&c, p->name, p->name_cap, &len, true);
			if (rc != 0)
				return rc;
			p->part.name_len = len;
			seen_name = true;
		} else if (ieq(pn, pl, "filename")) {
			if (p->part.filename != NULL)
				return OB_EINVAL;
			rc = param_value(
			    &c, p->filename, p->filename_cap, &len, true);
			if (rc != 0)
				return rc;
			p->part.filename = p->filename;
			p->part.filename_len = len;
		} else if (ieq(pn, pl, "filename*")) {
			/* RFC 7578 section 4.2; see the header. */
			return OB_EINVAL;
		} else if ((rc = param_value(&c, NULL, 0, &len, true)) != 0) {
			return rc;
		}
	}
	if (rc != 0)
		return rc;
	if (!seen_name || p->part.name_len == 0 ||
	    memchr(p->name, '\t', p->part.name_len) != NULL ||
	    !ob_utf8_valid(p->name, p->part.name_len))
		return OB_EINVAL;
	return 0;
}

/* One complete header line (without its CRLF) in p->line. */
static int
header_line(struct ob_multipart *p)
{
	const char *l = p->line;
	size_t n = p->linelen, i = 0, vs, ve;

	/* A leading space or tab (obs-fold) is no token either. */
	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i == 0 || i == n || l[i] != ':')
		return OB_EINVAL;
	vs = i + 1;
	ve = n;
	while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;

	if (ieq(l, i, "content-disposition")) {
		if (p->seen_cd)
			return OB_EINVAL;
		p->seen_cd = true;
		return disposition(p, l + vs, ve - vs);
	}
	if (ieq(l, i, "content-type")) {
		if (p->seen_ct)
			return OB_EINVAL;
		p->seen_ct = true;
		for (size_t k = vs; k < ve; k++)
			if ((unsigned char)l[k] >= 0x7f)
				return OB_EINVAL;
		if (ve - vs > OB_MULTIPART_CTYPE_MAX)
			return OB_ETOOBIG;
		memcpy(p->ctype, l + vs, ve - vs);
		p->ctype[ve - vs] = '\0';
		return 0;
	}
	if (ieq(l, i, "content-transfer-encoding")) {
		if (p->seen_cte)
			return OB_EINVAL;
		p->seen_cte = true;
		if (ieq(l + vs, ve - vs, "binary") ||
		    ieq(l + vs, ve - vs, "8bit") ||
		    ieq(l + vs, ve - vs, "7bit"))
			return 0;
		return OB_EUNSUPP;
	}
	return 0;
}

/* The blank line after a part's headers: the part begins. */
static int
headers_done(struct ob_multipart *p)
{
	if (!p->seen_cd)
		return OB_EINVAL;
	p->state = S_BODY;
	p->matched = 0;
	p->in_part = true;
	if (p->cb.begin == NULL)
		return 0;
	p->in_cb = true;
	return cb_result(p, p->cb.begin(p->arg, &p->part));
}

static int
header_byte(struct ob_multipart *p, unsigned char c)
{
	int rc;

	if (++p->hbytes > p->lim.max_header_bytes)
		return OB_ETOOBIG;
	if (p->state == S_HEADER_LF) {
		if (c != '\n')
			return OB_EINVAL;
		p->state = S_HEADER;
		if (p->linelen == 0)
			return headers_done(p);
		if (++p->hlines > p->lim.max_header_lines)
			return OB_ETOOBIG;
		rc = header_line(p);
		p->linelen = 0;
		return rc;
	}
	if (c == '\r') {
		p->state = S_HEADER_LF;
		return 0;
	}
	if (!header_byte_ok(c))
		return OB_EINVAL;
	/* linelen < hbytes <= max_header_bytes, the size of line. */
	p->line[p->linelen++] = (char)c;
	return 0;
}

/* Delivers the n body bytes at d, if any and if this is a body. */
static int
deliver_run(struct ob_multipart *p, bool body, const char *d, size_t n)
{
	return body && n > 0 ? deliver(p, d, n) : 0;
}

/*
 * Preamble and body: looks for the delimiter from s[*ip], delivering
 * body bytes that cannot be part of it, one run per chunk or part.
 * Stops after a whole delimiter (state S_DELIM) or at the end of the
 * input, where a partial match is held back.
 *
 * The delimiter's only CR is its first byte.  So a partial match that
 * fails leaves no other start inside what it matched (the bytes are
 * data), and the only possible start of a delimiter cut by the end of
 * the chunk is the last CR of the chunk's last dlen - 1 bytes.
 */
static int
scan(struct ob_multipart *p, const char *s, size_t n, size_t *ip)
{
	bool body = p->state == S_BODY;
	size_t i = *ip, start, k, m;
	const char *hit;
	int rc;

	if (p->matched > 0) {
		/* A match held back at the end of the last chunk. */
		while (i < n && p->matched < p->dlen &&
		    s[i] == p->delim[p->matched]) {
			i++;
			p->matched++;
		}
		*ip = i;
		if (p->matched == p->dlen) {
			p->matched = 0;
			p->state = S_DELIM;
			return 0;
		}
		if (i == n)
			return 0;
		/* It was data, including what matched in this chunk. */
		m = p->matched;
		p->matched = 0;
		if ((rc = deliver_run(p, body, p->delim, m)) != 0)
			return rc;
	}
	start = i;
	*ip = n;
	hit = memmem(s + i, n - i, p->delim, p->dlen);
	if (hit != NULL) {
		k = (size_t)(hit - s);
		*ip = k + p->dlen;
		p->state = S_DELIM;
		return deliver_run(p, body, s + start, k - start);
	}
	k = n - i < p->dlen ? i : n - (p->dlen - 1);
	hit = memrchr(s + k, '\r', n - k);
	if (hit != NULL && memcmp(hit, p->delim, (size_t)(s + n - hit)) == 0) {
		k = (size_t)(hit - s);
		p->matched = n - k;
		return deliver_run(p, body, s + start, k - start);
	}
	return deliver_run(p, body, s + start, n - start);
}

static int
run(struct ob_multipart *p, const char *s, size_t n)
{
	size_t i = 0;
	int rc = 0;

	while (i < n && rc == 0) {
		unsigned char c = (unsigned char)s[i];

		switch (p->state) {
		case S_PREAMBLE:
		case S_BODY:
			rc = scan(p, s, n, &i);
			break;
		case S_DELIM:
			if (c == '-')
				p->state = S_CLOSE;
			else if (c == ' ' || c == '\t')
				p->state = S_PAD;
			else if (c == '\r')
				p->state = S_DELIM_LF;
			else
				return OB_EINVAL;
			i++;
			break;
		case S_CLOSE:
			if (c != '-')
				return OB_EINVAL;
			i++;
			p->state = S_EPILOGUE;
			rc = end_part(p);
			break;
		case S_PAD:
			if (c == '\r')
				p->state = S_DELIM_LF;
			else if (c != ' ' && c != '\t')
				return OB_EINVAL;
			i++;
			break;
		case S_DELIM_LF:
			if (c != '\n')
				return OB_EINVAL;
			i++;
			if ((rc = end_part(p)) == 0)
				rc = begin_headers(p);
			break;
		case S_HEADER:
		case S_HEADER_LF:
			rc = header_byte(p, c);
			i++;
			break;
		case S_EPILOGUE:
			return 0;
		case S_FAILED:
			return p->err;
		}
	}
	return rc;
}

int
ob_multipart_feed(struct ob_multipart *p, const void *data, size_t len)
{
	size_t n = len;
	int rc;

	if (p->err != 0)
		return p->err;
	if (p->in_cb)
		return OB_EINTERNAL;
	/* Parse what fits under max_total, then fail: see deliver(). */
	if (n > p->lim.max_total - p->total)
		n = (size_t)(p->lim.max_total - p->total);
	rc = run(p, data, n);
	p->total += n;
	if (rc == 0 && n < len)
		rc = OB_ETOOBIG;
	if (rc != 0) {
		p->err = rc;
		p->state = S_FAILED;
	}
	return rc;
}

int
ob_multipart_finish(struct ob_multipart *p)
{
	if (p->err == 0 && p->in_cb)
		return OB_EINTERNAL;
	if (p->err == 0 && p->state != S_EPILOGUE) {
		p->err = OB_EINVAL;
		p->state = S_FAILED;
	}
	return p->err;
}

/*
 * Characters a shown filename must not carry: C1 controls, and the
 * invisible and bidirectional ones that make "cod.exe" look like
 * "exe.doc" (U+202E) or hide parts of a name.
 */
static bool
fn_dropped(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xfeff;
}

/*
 * The next character of a NUL-terminated raw filename, cleaned: u gets
 * 0 bytes (dropped) to 4.  Returns how many input bytes it used (>= 1).
 */
static size_t
fn_unit(const unsigned char *s, char *u, size_t *ulen)
{
	unsigned c = s[0], cp;
	size_t need, k;

	if (c < 0x80) {
		*ulen = c < 0x20 || c == 0x7f ? 0 : 1;
		u[0] = c == '"' ? '_' : (char)c;
		return 1;
	}
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	/* The terminating NUL is no continuation byte: no overrun. */
	for (k = 1; k < need; k++)
		if ((s[k] & 0xc0) != 0x80)
			break;
	if (k < need || !ob_utf8_valid((const char *)s, need)) {
		u[0] = '_';
		*ulen = 1;
		return 1;
	}
	cp = need == 2 ? c & 0x1f : need == 3 ? c & 0x0f : c & 0x07;
	for (k = 1; k < need; k++)
		cp = cp << 6 | (s[k] & 0x3f);
	*ulen = fn_dropped(cp) ? 0 : need;
	memcpy(u, s, need);
	return need;
}

static bool
fn_trimmed(const char *u, size_t ulen)
{
	return ulen == 1 && (u[0] == ' ' || u[0] == '.');
}

/*
 * One pass over the cleaned name (leading spaces dropped).  Sets *len
 * to its length without trailing spaces and dots, and *dot to the
 * offset of the last '.' before that (SIZE_MAX: none).  When dst is not
 * NULL, copies there the characters lying wholly in [lo, hi) of the
 * cleaned name and returns how many bytes that was.
 */
static size_t
fn_pass(
    const char *base, size_t lo, size_t hi, char *dst, size_t *len, size_t *dot)
{
	const unsigned char *s = (const unsigned char *)base;
	size_t off = 0, keep = 0, copied = 0, lastdot = SIZE_MAX;
	size_t keepdot = SIZE_MAX, ulen;
	char u[4];

	while (*s != '\0') {
		s += fn_unit(s, u, &ulen);
		if (ulen == 0 || (off == 0 && ulen == 1 && u[0] == ' '))
			continue;
		if (dst != NULL && off >= lo && off + ulen <= hi) {
			memcpy(dst + copied, u, ulen);
			copied += ulen;
		}
		if (ulen == 1 && u[0] == '.')
			lastdot = off;
		off += ulen;
		if (!fn_trimmed(u, ulen)) {
			keep = off;
			keepdot = lastdot;
		}
	}
	*len = keep;
	*dot = keepdot;
	return copied;
}

int
ob_multipart_safe_filename(const char *in, char *out, size_t outsz)
{
	const char *base = in;
	size_t len = 0, dot = SIZE_MAX, ext = 0, stem, ignore;

	if (outsz > 0)
		out[0] = '\0';
	if (in == NULL)
		return OB_EINVAL;
	for (const char *q = in; *q != '\0'; q++)
		if (*q == '/' || *q == '\\')
			base = q + 1;
	fn_pass(base, 0, 0, NULL, &len, &dot);
	if (len == 0)
		return OB_EINVAL;
	if (outsz == 0)
		return OB_ETOOBIG;
	if (len < outsz) {
		stem = fn_pass(base, 0, len, out, &ignore, &ignore);
		out[stem] = '\0';
		return 0;
	}
	/* Too long: cut the stem, keep a short extension. */
	if (dot != SIZE_MAX && dot > 0 && len - dot <= 16 &&
	    len - dot < outsz - 1)
		ext = len - dot;
	stem = fn_pass(base, 0, outsz - 1 - ext, out, &ignore, &ignore);
	while (stem > 0 && fn_trimmed(out + stem - 1, 1))
		stem--;
	if (stem == 0) {
		out[0] = '\0';
		return OB_ETOOBIG;
	}
	if (ext > 0)
		stem += fn_pass(base, dot, len, out + stem, &ignore, &ignore);
	out[stem] = '\0';
	return 0;
}
