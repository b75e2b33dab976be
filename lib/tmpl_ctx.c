#include "lib/tmpl.h"

#include <stdarg.h>
#include <string.h>

#include "lib/tmpl_int.h"
#include "lib/util.h"

/* ---- The escaper ---- */

static const char *
entity(unsigned char ch)
{
	switch (ch) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	case '\0':
		return "\xef\xbf\xbd"; /* U+FFFD, as HTML parsers do */
	default:
		return NULL;
	}
}

int
ob_html_escape(struct ob_buf *out, const char *s, size_t n)
{
	size_t start = out->len, run = 0;
	const char *e;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if ((e = entity((unsigned char)s[i])) == NULL)
			continue;
		if ((rc = ob_buf_append(out, s + run, i - run)) != 0 ||
		    (rc = ob_buf_puts(out, e)) != 0)
			goto out;
		run = i + 1;
	}
	rc = ob_buf_append(out, s + run, n - run);
out:
	if (rc != 0)
		ob_buf_truncate(out, start);
	return rc;
}

/* ---- Contexts and markup ---- */

bool
ob_tmpl_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '_';
}

static void
check_ctx_name(const char *name)
{
	const char *p;

	if (name == NULL || *name == '\0')
		ob_die("tmpl: empty context name");
	for (p = name; *p != '\0'; p++)
		if (!ob_tmpl_name_char(*p))
			ob_die("tmpl: invalid context name");
}

struct ob_tctx *
ob_tctx_new(struct ob_arena *a)
{
	struct ob_tctx *c = ob_arena_alloc(a, sizeof(*c));

	c->a = a;
	return c;
}

/* The entry for name, made (and its value cleared) when missing. */
static struct tentry *
entry(struct ob_tctx *c, const char *name)
{
	struct tentry *e;

	check_ctx_name(name);
	for (e = c->head; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	e = ob_arena_alloc(c->a, sizeof(*e));
	e->name = ob_arena_strdup(c->a, name);
	e->type = OB_TVAL_BOOL;
	e->next = c->head;
	c->head = e;
	return e;
}

void
ob_tctx_set(struct ob_tctx *c, const char *name, const char *value)
{
	struct tentry *e;

	if (value == NULL)
		ob_die("tmpl: NULL value");
	e = entry(c, name);
	e->type = OB_TVAL_STR;
	e->u.str = ob_arena_strdup(c->a, value);
}

void
ob_tctx_setf(struct ob_tctx *c, const char *name, const char *fmt, ...)
{
	struct tentry *e = entry(c, name);
	va_list ap;

	va_start(ap, fmt);
	e->u.str = ob_arena_vprintf(c->a, fmt, ap);
	va_end(ap);
	e->type = OB_TVAL_STR;
}

void
ob_tctx_set_bool(struct ob_tctx *c, const char *name, bool v)
{
	struct tentry *e = entry(c, name);

	e->type = OB_TVAL_BOOL;
	e->u.b = v;
}

static struct tentry *
list_entry(struct ob_tctx *c, const char *list_name)
{
	struct tentry *e = entry(c, list_name);

	if (e->type != OB_TVAL_LIST) {
		e->type = OB_TVAL_LIST;
		e->u.list.first = NULL;
		e->u.list.last = NULL;
	}
	return e;
}

void
ob_tctx_set_list(struct ob_tctx *c, const char *list_name)
{
	(void)list_entry(c, list_name);
}

struct ob_tctx *
ob_tctx_add_item(struct ob_tctx *c, const char *list_name)
{
	struct tentry *e = list_entry(c, list_name);
	struct ob_tctx *item = ob_tctx_new(c->a);

	if (e->u.list.last == NULL)
		e->u.list.first = item;
	else
		e->u.list.last->next_item = item;
	e->u.list.last = item;
	return item;
}

struct ob_tctx *
ob_tctx_child(struct ob_tctx *c, const char *name)
{
	struct tentry *e = entry(c, name);

	if (e->type != OB_TVAL_CTX) {
		e->type = OB_TVAL_CTX;
		e->u.ctx = ob_tctx_new(c->a);
	}
	return e->u.ctx;
}

struct ob_html *
ob_html_new(struct ob_arena *a)
{
	struct ob_html *h = ob_arena_alloc(a, sizeof(*h));

	h->a = a;
	h->p = "";
	return h;
}

/* Room for n more bytes and a NUL; the arena aborts past its cap. */
static char *
html_grow(struct ob_html *h, size_t n)
{
	size_t ncap;
	char *p;

	if (n > SIZE_MAX / 4 - h->len)
		ob_die("tmpl: markup too large");
	if (h->len + n + 1 > h->cap) {
		ncap = h->cap ? h->cap : 64;
		while (ncap < h->len + n + 1)
			ncap *= 2;
		p = ob_arena_alloc(h->a, ncap);
		memcpy(p, h->p, h->len);
		h->p = p;
		h->cap = ncap;
	}
	return h->p + h->len;
}

static void
html_append(struct ob_html *h, const char *s, size_t n)
{
	char *p = html_grow(h, n);

	memcpy(p, s, n);
	h->len += n;
	h->p[h->len] = '\0';
}

void
ob_html_text(struct ob_html *h, const char *text)
{
	const char *e;

	if (text == NULL)
		ob_die("tmpl: NULL text");
	for (; *text != '\0'; text++) {
		if ((e = entity((unsigned char)*text)) != NULL)
			html_append(h, e, strlen(e));
		else
			html_append(h, text, 1);
	}
}

/*
 * The header's macros make sure callers pass string literals; the
 * definitions themselves go by the plain names.
 */
#undef ob_html_literal
#undef ob_tctx_set_html_literal

void
ob_html_literal(struct ob_html *h, const char *literal)
{
	html_append(h, literal, strlen(literal));
}

void
ob_tctx_set_html(struct ob_tctx *c, const char *name, const struct ob_html *h)
{
	struct tentry *e = entry(c, name);

	e->type = OB_TVAL_HTML;
	e->is_literal = false;
	e->u.html = h;
}

void
ob_tctx_set_html_literal(
    struct ob_tctx *c, const char *name, const char *literal)
{
	struct tentry *e = entry(c, name);

	e->type = OB_TVAL_HTML;
	e->is_literal = true;
	e->u.literal = literal;
}

void
ob_tctx_split(
    struct ob_tctx *c, const char *list_name, const char *text, const char *sep)
{
	const char *p = text;

	ob_tctx_set_list(c, list_name);
	while (p != NULL && *p != '\0') {
		const char *end = strstr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > 0)
			ob_tctx_setf(ob_tctx_add_item(c, list_name), "text",
			    "%.*s", (int)len, p);
		p = end ? end + strlen(sep) : NULL;
	}
}
