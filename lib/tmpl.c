#include "lib/tmpl.h"

#include <string.h>

#include "lib/tmpl_int.h"
#include "lib/util.h"

/* ---- Rendering ---- */

struct frame {
	const struct ob_tctx *c;
	const struct frame *up;
};

struct render {
	const struct ob_tmpl_set *set;
	const char *(*tr)(void *arg, const char *msgid);
	void *tr_arg;
	struct ob_buf *out;
	struct ob_buf *err;
	bool reported; /* err holds the message for the error */
};

static const struct tentry *
find_entry(const struct ob_tctx *c, const char *name, size_t n)
{
	for (const struct tentry *e = c->head; e != NULL; e = e->next)
		if (strncmp(e->name, name, n) == 0 && e->name[n] == '\0')
			return e;
	return NULL;
}

/*
 * Looks up a (dotted) name: the first part through the stack from the
 * innermost context out, the rest inside nested contexts only.
 */
static int
lookup(struct render *r, const struct tmpl *t, const struct node *nd,
    const struct frame *fr, const struct tentry **out)
{
	const struct tentry *e = NULL;
	const char *part = nd->s, *end = nd->s + nd->n, *dot;
	size_t n;

	dot = memchr(part, '.', (size_t)(end - part));
	n = (size_t)((dot ? dot : end) - part);
	for (; fr != NULL && e == NULL; fr = fr->up)
		if (fr->c != NULL)
			e = find_entry(fr->c, part, n);
	while (e != NULL && dot != NULL) {
		if (e->type != OB_TVAL_CTX) {
			ob_buf_seterr(r->err,
			    "%s.html:%u: %.*s is not a nested context", t->name,
			    nd->line, (int)(dot - nd->s), nd->s);
			return OB_EINVAL;
		}
		part = dot + 1;
		dot = memchr(part, '.', (size_t)(end - part));
		n = (size_t)((dot ? dot : end) - part);
		e = find_entry(e->u.ctx, part, n);
	}
	if (e == NULL) {
		ob_buf_seterr(r->err, "%s.html:%u: %.*s is not set", t->name,
		    nd->line, (int)nd->n, nd->s);
		return OB_ENOENT;
	}
	*out = e;
	return 0;
}

static const char *
type_name(enum ob_tval_type type)
{
	switch (type) {
	case OB_TVAL_BOOL:
		return "a boolean";
	case OB_TVAL_LIST:
		return "a list";
	case OB_TVAL_CTX:
		return "a nested context";
	default:
		return "a string";
	}
}

static int render_nodes(struct render *r, const struct tmpl *t, size_t from,
    size_t to, const struct frame *fr);

static int
render_var(struct render *r, const struct tmpl *t, const struct node *nd,
    const struct frame *fr)
{
	const struct tentry *e;
	int rc;

	if ((rc = lookup(r, t, nd, fr, &e)) != 0)
		return rc;
	switch (e->type) {
	case OB_TVAL_STR:
		return ob_html_escape(r->out, e->u.str, strlen(e->u.str));
	case OB_TVAL_HTML:
		if (e->is_literal)
			return ob_buf_puts(r->out, e->u.literal);
		return ob_buf_append(r->out, e->u.html->p, e->u.html->len);
	default:
		ob_buf_seterr(r->err,
		    "%s.html:%u: {{%.*s}} is %s, not a string", t->name,
		    nd->line, (int)nd->n, nd->s, type_name(e->type));
		return OB_EINVAL;
	}
}

static int
render_section(
    struct render *r, const struct tmpl *t, size_t i, const struct frame *fr)
{
	const struct node *nd = &t->nodes[i];
	const struct tentry *e;
	struct frame inner = { NULL, fr };
	bool on;
	int rc;

	if ((rc = lookup(r, t, nd, fr, &e)) != 0)
		return rc;
	switch (e->type) {
	case OB_TVAL_LIST:
		on = e->u.list.first != NULL;
		break;
	case OB_TVAL_CTX:
		on = true;
		break;
	case OB_TVAL_BOOL:
		on = e->u.b;
		break;
	case OB_TVAL_STR:
		on = e->u.str[0] != '\0';
		break;
	default: /* OB_TVAL_HTML */
		on = e->is_literal ? e->u.literal[0] != '\0'
				   : e->u.html->len > 0;
		break;
	}
	if (nd->type == NODE_INVERTED)
		return on ? 0 : render_nodes(r, t, i + 1, nd->end, fr);
	if (!on)
		return 0;
	if (e->type == OB_TVAL_LIST) {
		for (inner.c = e->u.list.first; inner.c != NULL && rc == 0;
		     inner.c = inner.c->next_item)
			rc = render_nodes(r, t, i + 1, nd->end, &inner);
		return rc;
	}
	if (e->type == OB_TVAL_CTX) {
		inner.c = e->u.ctx;
		return render_nodes(r, t, i + 1, nd->end, &inner);
	}
	return render_nodes(r, t, i + 1, nd->end, fr);
}

static int
render_nodes(struct render *r, const struct tmpl *t, size_t from, size_t to,
    const struct frame *fr)
{
	const char *text;
	int rc = 0;

	for (size_t i = from; i < to && rc == 0; i++) {
		const struct node *nd = &t->nodes[i];

		switch (nd->type) {
		case NODE_TEXT:
			rc = ob_buf_append(r->out, nd->s, nd->n);
			break;
		case NODE_VAR:
			rc = render_var(r, t, nd, fr);
			break;
		case NODE_SECTION:
		case NODE_INVERTED:
			rc = render_section(r, t, i, fr);
			i = nd->end - 1;
			break;
		case NODE_INCLUDE:
			rc = render_nodes(r, &r->set->t[nd->tmpl], 0,
			    r->set->t[nd->tmpl].nnodes, fr);
			break;
		case NODE_TRANS:
			text = r->tr ? r->tr(r->tr_arg, nd->s) : NULL;
			if (text == NULL)
				text = nd->s;
			rc = ob_html_escape(r->out, text, strlen(text));
			break;
		}
		/* The innermost template and line that overflowed. */
		if (rc == OB_ETOOBIG && !r->reported) {
			ob_buf_seterr(r->err,
			    "%s.html:%u: output larger than %zu bytes", t->name,
			    nd->line, r->out->max);
			r->reported = true;
		}
	}
	return rc;
}

int
ob_tmpl_render(const struct ob_tmpl_set *s, const char *name,
    const struct ob_tctx *ctx, const char *(*tr)(void *arg, const char *msgid),
    void *tr_arg, struct ob_buf *out, struct ob_buf *err)
{
	struct render r = { s, tr, tr_arg, out, err, false };
	struct frame top = { ctx, NULL };
	const struct tmpl *t;
	size_t start = out->len;
	int rc;

	if ((t = ob_tmpl_find(s, name, strlen(name))) == NULL) {
		ob_buf_seterr(err, "no template %s.html", name);
		rc = OB_ENOENT;
		goto out;
	}
	rc = render_nodes(&r, t, 0, t->nnodes, &top);
out:
	if (rc != 0)
		ob_buf_truncate(out, start);
	return rc;
}
