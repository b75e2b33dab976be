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

#include "lib/tmpl_int.h"
#include "lib/util.h"

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
		} else if (ob_tmpl_name_char(s[i])) {
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
		if (!ob_tmpl_name_char(s[i]) && s[i] != '-')
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

const struct tmpl *
ob_tmpl_find(const struct ob_tmpl_set *s, const char *name, size_t n)
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
		inc = ob_tmpl_find(s, nd->s, nd->n);
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
	return ob_tmpl_find(s, name, strlen(name)) != NULL;
}
