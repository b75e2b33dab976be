/*
 * tmpl_int.h - what the three parts of the template engine share
 * (tmpl_ctx.c: contexts and the escaper; tmpl_load.c: parsing and
 * loading; tmpl.c: rendering).  Not for use outside lib/tmpl*.c.
 */
#ifndef OB_TMPL_INT_H
#define OB_TMPL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/tmpl.h"

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

/* A character allowed in variable and template names. */
bool ob_tmpl_name_char(char ch);

/* The template called name (n bytes), or NULL. */
const struct tmpl *ob_tmpl_find(
    const struct ob_tmpl_set *s, const char *name, size_t n);

#endif
