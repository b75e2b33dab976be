#include "lib/tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

/*
 * A parsed template is a flat array of nodes.  A section node's body is
 * the nodes after it up to (not including) node.end; closing tags and
 * comments leave no node.
 */
enum node_type {
	NODE_TEXT, /* s, n: literal text */
	NODE_VAR, /* s, n: name */
	NODE_SECTION, /* s, n: name; end */
	NODE_INVERTED, /* s, n: name; end */
	NODE_INCLUDE, /* s, n: name; tmpl after resolution */
	NODE_TRANS, /* s: folded msgid, NUL-terminated, owned */
};

struct node {
	enum node_type type;
	unsigned line;
	const char *s;
	size_t n;
	size_t end;
	size_t tmpl;
};

struct tmpl {
	char *name; /* without .html */
	char *path; /* dir/name.html, for load errors */
	char *src; /* the file, NUL-terminated; nodes point into it */
	struct node *nodes;
	size_t nnodes;
	size_t cap;
};

struct ob_tmpl_set {
	struct tmpl *t; /* sorted by name */
	size_t n;
};

enum ob_tval_type {
	OB_TVAL_STR,
	OB_TVAL_BOOL,
	OB_TVAL_LIST,
	OB_TVAL_CTX,
	OB_TVAL_HTML,
};

struct ob_html {
	struct ob_arena *a;
	char *p;
	size_t len;
	size_t cap;
};

struct tentry {
	struct tentry *next;
	const char *name;
	enum ob_tval_type type;
	union {
		const char *str;
		bool b;
		struct {
			struct ob_tctx *first;
			struct ob_tctx *last;
		} list;
		struct ob_tctx *ctx;
		const struct ob_html *html;
		const char *literal;
	} u;
	bool is_literal; /* OB_TVAL_HTML: u.literal rather than u.html */
};

struct ob_tctx {
	struct ob_arena *a;
	struct tentry *head;
	struct ob_tctx *next_item; /* next item of the list holding this */
};

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

static bool
valid_name_char(char ch)
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
		if (!valid_name_char(*p))
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

/* ---- Loading ---- */

struct parser {
	struct tmpl *t;
	const char *p; /* next byte */
	const char *end;
	unsigned line;
	struct ob_buf *err;
};

/* The number of newlines in [p, end). */
static unsigned
count_lines(const char *p, const char *end)
{
	unsigned n = 0;

	for (; p < end; p++)
		if (*p == '\n')
			n++;
	return n;
}

static struct node *
add_node(struct tmpl *t, enum node_type type, unsigned line)
{
	struct node *n;

	if (t->nnodes == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->nodes = ob_xrealloc(t->nodes, t->cap * sizeof(*t->nodes));
	}
	n = &t->nodes[t->nnodes++];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->line = line;
	return n;
}

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* A variable or section name: [a-z0-9_]+ parts joined by single dots. */
static bool
valid_var(const char *s, size_t n)
{
	bool part = false;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!part)
				return false;
			part = false;
		} else if (valid_name_char(s[i])) {
			part = true;
		} else {
			return false;
		}
	}
	return part;
}

/* A template name: [a-z0-9_-]+. */
static bool
valid_tmpl_name(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!valid_name_char(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Folds runs of whitespace into one space and trims; a new string. */
static char *
fold_msgid(const char *s, size_t n)
{
	char *out = ob_xmalloc(n + 1), *o = out;
	bool space = false;

	for (size_t i = 0; i < n; i++) {
		if (is_space(s[i])) {
			space = o != out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/*
 * Parses one tag's content s[0..n), which started on line.  Section
 * nodes opened and not yet closed are on stack (indices into t->nodes).
 */
static int
parse_tag(struct parser *ps, const char *s, size_t n, unsigned line,
    size_t *stack, size_t *depth)
{
	struct tmpl *t = ps->t;
	struct node *nd;
	char kind = n > 0 ? s[0] : '\0';
	const char *name;
	size_t len;

	if (kind == '!')
		return 0;
	if (kind == '_' && n > 1 && is_space(s[1])) {
		char *msgid = fold_msgid(s + 1, n - 1);

		if (*msgid == '\0') {
			free(msgid);
			ob_buf_seterr(
			    ps->err, "%s:%u: empty {{_ }}", t->path, line);
			return OB_EINVAL;
		}
		nd = add_node(t, NODE_TRANS, line);
		nd->s = msgid;
		nd->n = strlen(msgid);
		return 0;
	}
	name = s;
	len = n;
	if (kind == '#' || kind == '^' || kind == '/' || kind == '>') {
		name++;
		len--;
	} else {
		kind = '\0';
	}
	while (len > 0 && (name[0] == ' ' || name[0] == '\t')) {
		name++;
		len--;
	}
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	if (kind == '>' ? !valid_tmpl_name(name, len) : !valid_var(name, len)) {
		ob_buf_seterr(ps->err, "%s:%u: unknown tag syntax {{%.*s}}",
		    t->path, line, (int)(n > 40 ? 40 : n), s);
		return OB_EINVAL;
	}
	switch (kind) {
	case '\0':
		nd = add_node(t, NODE_VAR, line);
		break;
	case '>':
		nd = add_node(t, NODE_INCLUDE, line);
		break;
	case '#':
	case '^':
		if (*depth == OB_TMPL_MAX_DEPTH) {
			ob_buf_seterr(ps->err,
			    "%s:%u: sections nested too deeply", t->path, line);
			return OB_ETOOBIG;
		}
		stack[(*depth)++] = t->nnodes;
		nd = add_node(
		    t, kind == '#' ? NODE_SECTION : NODE_INVERTED, line);
		break;
	default: /* '/' */
		if (*depth == 0) {
			ob_buf_seterr(ps->err,
			    "%s:%u: {{/%.*s}} closes no section", t->path, line,
			    (int)len, name);
			return OB_EINVAL;
		}
		nd = &t->nodes[stack[*depth - 1]];
		if (nd->n != len || memcmp(nd->s, name, len) != 0) {
			ob_buf_seterr(ps->err,
			    "%s:%u: {{/%.*s}} does not close {{%c%.*s}} "
			    "opened on line %u",
			    t->path, line, (int)len, name,
			    nd->type == NODE_SECTION ? '#' : '^', (int)nd->n,
			    nd->s, nd->line);
			return OB_EINVAL;
		}
		nd->end = t->nnodes;
		(*depth)--;
		return 0;
	}
	nd->s = name;
	nd->n = len;
	return 0;
}

/*
 * A comment, section, close or include tag alone on its line (but for
 * spaces and tabs) is "standalone", as in mustache: the line leaves no
 * trace in the output.  Returns where the text after it starts, and sets
 * *indent to the blanks before it on its line; or NULL.
 */
static const char *
standalone(const struct tmpl *t, const char *open, const char *close,
    const char *end, size_t *indent)
{
	const char *ls = open, *ae = close + 2;
	char kind = open[2];

	if (kind != '!' && kind != '#' && kind != '^' && kind != '/' &&
	    kind != '>')
		return NULL;
	while (ls > t->src && (ls[-1] == ' ' || ls[-1] == '\t'))
		ls--;
	if (ls > t->src && ls[-1] != '\n')
		return NULL;
	while (ae < end && (*ae == ' ' || *ae == '\t' || *ae == '\r'))
		ae++;
	if (ae < end && *ae != '\n')
		return NULL;
	*indent = (size_t)(open - ls);
	return ae < end ? ae + 1 : end;
}

static int
parse(struct tmpl *t, size_t len, struct ob_buf *err)
{
	struct parser ps = { t, t->src, t->src + len, 1, err };
	size_t stack[OB_TMPL_MAX_DEPTH], depth = 0, text, indent;
	const char *open, *close, *nested, *next;
	struct node *nd;
	int rc;

	while (ps.p < ps.end) {
		open = memmem(ps.p, (size_t)(ps.end - ps.p), "{{", 2);
		if (open == NULL)
			open = ps.end;
		text = SIZE_MAX;
		if (open > ps.p) {
			text = t->nnodes;
			nd = add_node(t, NODE_TEXT, ps.line);
			nd->s = ps.p;
			nd->n = (size_t)(open - ps.p);
			ps.line += count_lines(ps.p, open);
		}
		if (open == ps.end)
			break;
		close = memmem(open + 2, (size_t)(ps.end - open - 2), "}}", 2);
		if (close == NULL) {
			ob_buf_seterr(
			    err, "%s:%u: {{ without }}", t->path, ps.line);
			return OB_EINVAL;
		}
		nested = memmem(open + 2, (size_t)(close - open - 2), "{{", 2);
		if (nested != NULL) {
			ob_buf_seterr(err,
			    "%s:%u: {{ inside a tag (missing }}?)", t->path,
			    ps.line + count_lines(open, nested));
			return OB_EINVAL;
		}
		rc = parse_tag(&ps, open + 2, (size_t)(close - open - 2),
		    ps.line, stack, &depth);
		if (rc != 0)
			return rc;
		next = standalone(t, open, close, ps.end, &indent);
		if (next != NULL) {
			/* The blanks before the tag end the text node. */
			if (indent > 0)
				t->nodes[text].n -= indent;
		} else {
			next = close + 2;
		}
		ps.line += count_lines(open, next);
		ps.p = next;
	}
	if (depth > 0) {
		nd = &t->nodes[stack[depth - 1]];
		ob_buf_seterr(err, "%s:%u: {{%c%.*s}} is never closed", t->path,
		    nd->line, nd->type == NODE_SECTION ? '#' : '^', (int)nd->n,
		    nd->s);
		return OB_EINVAL;
	}
	return 0;
}

/* Reads t->path into t->src. */
static int
read_file(struct tmpl *t, size_t *lenp, struct ob_buf *err)
{
	struct stat st;
	size_t len = 0;
	ssize_t r;
	int fd, rc = 0;

	fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		ob_buf_seterr(err, "%s: %s", t->path, strerror(errno));
		rc = OB_EIO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ob_buf_seterr(err, "%s: not a regular file", t->path);
		rc = OB_EIO;
		goto out;
	}
	/* One byte over the limit tells a file at the limit from a larger. */
	t->src = ob_xmalloc(OB_TMPL_MAX_SIZE + 2);
	while (len < OB_TMPL_MAX_SIZE + 1) {
		r = read(fd, t->src + len, OB_TMPL_MAX_SIZE + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ob_buf_seterr(err, "%s: %s", t->path, strerror(errno));
			rc = OB_EIO;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	t->src[len] = '\0';
	if (len > OB_TMPL_MAX_SIZE) {
		ob_buf_seterr(err, "%s:%u: template larger than %d bytes",
		    t->path, 1 + count_lines(t->src, t->src + OB_TMPL_MAX_SIZE),
		    OB_TMPL_MAX_SIZE);
		rc = OB_ETOOBIG;
		goto out;
	}
	if (memchr(t->src, '\0', len) != NULL) {
		ob_buf_seterr(err, "%s:%u: NUL byte", t->path,
		    1 + count_lines(t->src, t->src + strlen(t->src)));
		rc = OB_EINVAL;
		goto out;
	}
	t->src = ob_xrealloc(t->src, len + 1);
	*lenp = len;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
cmp_tmpl(const void *a, const void *b)
{
	const struct tmpl *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static const struct tmpl *
find_tmpl(const struct ob_tmpl_set *s, const char *name, size_t n)
{
	size_t lo = 0, hi = s->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(s->t[mid].name, name, n);
		if (c == 0 && s->t[mid].name[n] != '\0')
			c = 1;
		if (c == 0)
			return &s->t[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Lists the templates of dir, sorted, with paths but no content. */
static int
list_dir(const char *dir, struct ob_tmpl_set *s, struct ob_buf *err)
{
	DIR *d = NULL;
	struct dirent *de;
	size_t cap = 0, len;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		ob_buf_seterr(err, "%s: %s", dir, strerror(errno));
		rc = OB_EIO;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 5 ||
		    strcmp(de->d_name + len - 5, ".html") != 0)
			continue;
		if (!valid_tmpl_name(de->d_name, len - 5)) {
			ob_buf_seterr(err,
			    "%s/%s: template names must match [a-z0-9_-]+", dir,
			    de->d_name);
			rc = OB_EINVAL;
			goto out;
		}
		if (s->n == OB_TMPL_MAX_FILES) {
			ob_buf_seterr(err, "%s: more than %d templates", dir,
			    OB_TMPL_MAX_FILES);
			rc = OB_ETOOBIG;
			goto out;
		}
		if (s->n == cap) {
			cap = cap ? cap * 2 : 16;
			s->t = ob_xrealloc(s->t, cap * sizeof(*s->t));
		}
		memset(&s->t[s->n], 0, sizeof(s->t[s->n]));
		s->t[s->n].name = ob_xstrndup(de->d_name, len - 5);
		s->t[s->n].path = ob_xmalloc(strlen(dir) + 1 + len + 1);
		memcpy(s->t[s->n].path, dir, strlen(dir));
		s->t[s->n].path[strlen(dir)] = '/';
		memcpy(s->t[s->n].path + strlen(dir) + 1, de->d_name, len + 1);
		s->n++;
	}
	if (s->n == 0) {
		ob_buf_seterr(err, "%s: no templates (*.html)", dir);
		rc = OB_ENOENT;
		goto out;
	}
	qsort(s->t, s->n, sizeof(*s->t), cmp_tmpl);
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

/* Resolves every include of template i to an index. */
static int
resolve(struct ob_tmpl_set *s, struct tmpl *t, struct ob_buf *err)
{
	const struct tmpl *inc;

	for (size_t i = 0; i < t->nnodes; i++) {
		struct node *nd = &t->nodes[i];

		if (nd->type != NODE_INCLUDE)
			continue;
		inc = find_tmpl(s, nd->s, nd->n);
		if (inc == NULL) {
			ob_buf_seterr(err,
			    "%s:%u: {{>%.*s}}: no template %.*s.html", t->path,
			    nd->line, (int)nd->n, nd->s, (int)nd->n, nd->s);
			return OB_EINVAL;
		}
		nd->tmpl = (size_t)(inc - s->t);
	}
	return 0;
}

enum { WHITE, GREY, BLACK };

struct walk {
	const struct ob_tmpl_set *s;
	unsigned char *color;
	size_t *height; /* longest include chain from a template, itself too */
	size_t *chain; /* the templates on the current path */
	struct ob_buf *err;
};

/*
 * Depth-first walk of the include graph from template i at depth d.
 * Reaching a template that is still on the path (grey) is a cycle.
 */
static int
walk(struct walk *w, size_t i, size_t d)
{
	const struct tmpl *t = &w->s->t[i];
	size_t j;
	int rc;

	w->chain[d] = i;
	w->color[i] = GREY;
	w->height[i] = 1;
	for (size_t k = 0; k < t->nnodes; k++) {
		const struct node *nd = &t->nodes[k];

		if (nd->type != NODE_INCLUDE)
			continue;
		j = nd->tmpl;
		if (w->color[j] == GREY) {
			struct ob_buf path = OB_BUF_INIT(512);
			size_t from = 0;

			while (w->chain[from] != j)
				from++;
			for (size_t c = from; c <= d; c++)
				if (ob_buf_printf(&path, "%s -> ",
					w->s->t[w->chain[c]].name) != 0)
					break;
			ob_buf_seterr(w->err, "%s:%u: include cycle: %s%s",
			    t->path, nd->line, ob_buf_cstr(&path),
			    w->s->t[j].name);
			ob_buf_release(&path);
			return OB_EINVAL;
		}
		if (w->color[j] == WHITE && (rc = walk(w, j, d + 1)) != 0)
			return rc;
		if (w->height[j] + 1 > w->height[i])
			w->height[i] = w->height[j] + 1;
		if (w->height[i] > OB_TMPL_MAX_INCLUDE_DEPTH) {
			ob_buf_seterr(w->err,
			    "%s:%u: includes nested deeper than %d", t->path,
			    nd->line, OB_TMPL_MAX_INCLUDE_DEPTH);
			return OB_ETOOBIG;
		}
	}
	w->color[i] = BLACK;
	return 0;
}

int
ob_tmpl_load(const char *dir, struct ob_tmpl_set **out, struct ob_buf *err)
{
	struct ob_tmpl_set *s = ob_xcalloc(1, sizeof(*s));
	struct walk w = { s, NULL, NULL, NULL, err };
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = list_dir(dir, s, err)) != 0)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		if ((rc = read_file(&s->t[i], &len, err)) != 0 ||
		    (rc = parse(&s->t[i], len, err)) != 0)
			goto out;
	}
	for (size_t i = 0; i < s->n; i++)
		if ((rc = resolve(s, &s->t[i], err)) != 0)
			goto out;
	w.color = ob_xcalloc(s->n, 1);
	w.height = ob_xcalloc(s->n, sizeof(*w.height));
	w.chain = ob_xcalloc(s->n, sizeof(*w.chain));
	for (size_t i = 0; i < s->n; i++)
		if (w.color[i] == WHITE && (rc = walk(&w, i, 0)) != 0)
			goto out;
	*out = s;
	s = NULL;
out:
	free(w.color);
	free(w.height);
	free(w.chain);
	ob_tmpl_free(s);
	return rc;
}

void
ob_tmpl_free(struct ob_tmpl_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct tmpl *t = &s->t[i];

		for (size_t k = 0; k < t->nnodes; k++)
			if (t->nodes[k].type == NODE_TRANS)
				free((char *)(uintptr_t)t->nodes[k].s);
		free(t->nodes);
		free(t->src);
		free(t->path);
		free(t->name);
	}
	free(s->t);
	free(s);
}

bool
ob_tmpl_has(const struct ob_tmpl_set *s, const char *name)
{
	return find_tmpl(s, name, strlen(name)) != NULL;
}

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

	if ((t = find_tmpl(s, name, strlen(name))) == NULL) {
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
