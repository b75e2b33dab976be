/*
 * tmpl.h - HTML templates, escaped by default.
 *
 * A small mustache-like engine.  Every template file under one directory
 * (<name>.html) is read and parsed once at process start into a set;
 * rendering never touches the disk.
 *
 *   {{name}}          value from the context, HTML-escaped (& < > " ').
 *                     Names match [a-z0-9_.]+; a dotted name looks up its
 *                     first part through the context stack and the rest
 *                     inside that nested context ({{case.number}}).
 *   {{#name}}..{{/name}}  section: a list renders its body once per item
 *                     with the item pushed (lookups fall back outwards);
 *                     a nested context renders once with it pushed; a
 *                     boolean renders when true, a string or markup when
 *                     non-empty.
 *   {{^name}}..{{/name}}  inverted: renders when the section would not.
 *   {{>name}}         the template name.html, resolved at load: a missing
 *                     include or an include cycle is a load error.
 *   {{_ Some text}}   a translatable string: the text up to }}, trimmed,
 *                     with every run of spaces, tabs and newlines folded
 *                     into one space (so long sentences may wrap), goes
 *                     through the translation callback and is escaped.
 *                     scripts/po-extract folds the same way.
 *   {{! comment }}    nothing.
 *
 * Spaces around a name are allowed ({{ name }}).  A comment, section,
 * close or include tag alone on its line leaves no blank line behind: the
 * blanks before it and the newline after it are dropped (as in mustache).
 *
 * There is no syntax for unescaped output: only values of the markup
 * type (see ob_html_* and ob_tctx_set_html*) are written as they are, and
 * only the escaper or a string literal in the C source can make one.
 * Template text cannot contain a literal "{{"; write &#123;&#123; instead.
 * Every value is escaped for HTML text and quoted attribute values alike;
 * templates must quote every attribute.  The escaper knows nothing of
 * URLs: a value placed in href must be a path the handler built, never
 * user input.
 *
 * A variable or section name that is set in no context in scope is an
 * error at render time (OB_ENOENT), never an empty string: handlers set
 * every name a page uses, booleans included, and tests catch the rest.
 */
#ifndef OB_TMPL_H
#define OB_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/ob.h"

/* Limits enforced at load time. */
#define OB_TMPL_MAX_SIZE (1024 * 1024) /* bytes per template file */
#define OB_TMPL_MAX_DEPTH 32 /* nested sections within one template */
#define OB_TMPL_MAX_INCLUDE_DEPTH 16 /* nested includes */
#define OB_TMPL_MAX_FILES 1024 /* templates in a set */

struct ob_tmpl_set;

/*
 * Loads every regular file dir/<name>.html, where name matches
 * [a-z0-9_-]+ (other files are ignored; a .html file with another name
 * is an error).  On success *out owns the set; free it with
 * ob_tmpl_free().  On error *out is NULL and err (if not NULL) is
 * replaced with "file:line: message" (or "file: message" for an error
 * that is not on one line): OB_EIO (unreadable), OB_ETOOBIG (a file over
 * OB_TMPL_MAX_SIZE, too many files, too deep nesting), OB_EINVAL (syntax,
 * unbalanced sections, a missing include, an include cycle, a NUL byte),
 * OB_ENOENT (no templates at all).
 */
int ob_tmpl_load(const char *dir, struct ob_tmpl_set **out,
    struct ob_buf *err) OB_MUST_CHECK;

/* Frees a set; NULL is fine. */
void ob_tmpl_free(struct ob_tmpl_set *s);

/* True when the set holds template name (without .html). */
bool ob_tmpl_has(const struct ob_tmpl_set *s, const char *name);

/*
 * Contexts: maps of name -> value built by a request handler.  Names
 * match [a-z0-9_]+ (no dots: nest with ob_tctx_child).  Everything lives
 * in the arena given to ob_tctx_new(), and goes when it is reset.  Setting
 * a name again replaces its value, whatever its type.  These functions
 * cannot fail: an invalid name or a NULL string is a bug and aborts the
 * child (ob_die), like running out of memory.
 */
struct ob_tctx;

/* A new, empty context allocated in a. */
struct ob_tctx *ob_tctx_new(struct ob_arena *a);

/* A string value, copied into the arena. */
void ob_tctx_set(struct ob_tctx *c, const char *name, const char *value);

/* A formatted string value. */
void ob_tctx_setf(struct ob_tctx *c, const char *name, const char *fmt, ...)
    OB_PRINTF(3, 4);

void ob_tctx_set_bool(struct ob_tctx *c, const char *name, bool v);

/*
 * Appends a new, empty item context to the list list_name (made on first
 * use, or when the name held something else) and returns it; it lives as
 * long as c.
 */
struct ob_tctx *ob_tctx_add_item(struct ob_tctx *c, const char *list_name);

/*
 * Marks list_name as a list even if no item is ever added, so that
 * {{^list_name}} can say "nothing here" instead of failing as unset.
 * An existing list keeps its items.
 */
void ob_tctx_set_list(struct ob_tctx *c, const char *list_name);

/*
 * Makes list_name a list (ob_tctx_set_list) with one item per piece of
 * text between separators sep (e.g. "\n" for a scrub report's lines,
 * "\n\n" for paragraphs), each piece as the item's "text"; empty pieces
 * are skipped.  text NULL is an empty list.
 */
void ob_tctx_split(struct ob_tctx *c, const char *list_name, const char *text,
    const char *sep);

/*
 * The nested context name (made on first use) for dotted lookups
 * ({{name.field}}) and for {{#name}} sections.
 */
struct ob_tctx *ob_tctx_child(struct ob_tctx *c, const char *name);

/*
 * Markup: HTML that is written out as it is.  Only two things may make
 * it: the escaper (ob_html_text) and string literals in the C source
 * (ob_html_literal, ob_tctx_set_html_literal).  The literal functions are
 * wrapped in macros that paste "" in front of the argument, so that
 * anything but a string literal fails to compile; never call the
 * functions themselves, e.g. as (ob_html_literal)(h, p), to get around
 * that.  A literal is stored by pointer, not copied.
 */
struct ob_html;

/* A new, empty piece of markup allocated in a. */
struct ob_html *ob_html_new(struct ob_arena *a);

/* Appends text, escaped. */
void ob_html_text(struct ob_html *h, const char *text);

/* Appends a string literal as it is. */
void ob_html_literal(struct ob_html *h, const char *literal);
#define ob_html_literal(h, literal) (ob_html_literal)((h), "" literal)

/*
 * Sets name to the markup h (by reference: what is appended to h later
 * shows up too).
 */
void ob_tctx_set_html(
    struct ob_tctx *c, const char *name, const struct ob_html *h);

/* Sets name to a string literal written out as it is ("<br>"). */
void ob_tctx_set_html_literal(
    struct ob_tctx *c, const char *name, const char *literal);
#define ob_tctx_set_html_literal(c, name, literal)                             \
	(ob_tctx_set_html_literal)((c), (name), "" literal)

/*
 * Renders template name (without .html) with ctx into out, appending.
 * tr translates the msgid of each {{_ }} (NULL: identity; a NULL result
 * means untranslated); tr_arg is passed to it.
 * Returns 0, or: OB_ENOENT for an unknown template or a name set in no
 * context in scope; OB_EINVAL for a value of the wrong type ({{name}} of
 * a list, a context or a boolean); OB_ETOOBIG when out would pass its
 * max.  On error out is cut back to its length on entry, and err (if not
 * NULL) is replaced with "<template>.html:line: message" naming the
 * variable.  Messages hold names and lines, never values (a value may be
 * report text), so they can go to the log.
 */
int ob_tmpl_render(const struct ob_tmpl_set *s, const char *name,
    const struct ob_tctx *ctx, const char *(*tr)(void *arg, const char *msgid),
    void *tr_arg, struct ob_buf *out, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Appends the first n bytes of s to out, escaping & < > " ' as entities
 * and replacing NUL bytes with U+FFFD.  The only HTML escaper: every other
 * output path uses it too.  OB_ETOOBIG past out->max, and out is then as
 * it was.
 */
int ob_html_escape(struct ob_buf *out, const char *s, size_t n) OB_MUST_CHECK;

#endif
