/*
 * page.h - HTML responses: templates rendered with the request's
 * language, error pages for OB_E* codes, redirects, and the language
 * choice (the __Host-ombud-lang cookie, set by POST /lang).
 */
#ifndef OB_PAGE_H
#define OB_PAGE_H

#include <stdbool.h>

#include "lib/ob.h"
#include "lib/req.h"
#include "lib/router.h"
#include "lib/tmpl.h"

/* The languages pages come in, NULL-terminated; the first is the
 * default. */
extern const char *const ob_page_languages[];

/* Sets the request's language from its cookie, else the default. */
void ob_page_pick_language(struct ob_req *r);

/* The HTTP status an OB_E* code from a handler or parser becomes. */
int ob_http_status_for(int err);

/*
 * Renders template name with ctx as an HTML page with the given status.
 * Adds the variables every page has: lang, return_path, and csrf (the
 * token every form posts: the session's, or the browser's, lib/csrf.h).  Returns 0, or
 * OB_EINTERNAL when the template or one of its variables is missing (a
 * bug, logged; the caller's error page takes over), or OB_ETOOBIG.
 */
int ob_page_render(struct ob_req *r, int status, const char *name,
    struct ob_tctx *ctx) OB_MUST_CHECK;

/*
 * Replaces the response with the error page for status; err, the
 * OB_E* code behind it, picks a more precise message where there is
 * one (a stale form, a throttle), or 0.
 */
void ob_page_error(struct ob_req *r, int status, int err);

/* Answers 303 See Other to a local path. */
int ob_page_redirect(struct ob_req *r, const char *path) OB_MUST_CHECK;

/* POST /lang (fields lang, return): sets the language cookie. */
int ob_lang_handler(struct ob_req *r);
extern const struct ob_field_spec ob_lang_fields[];

/* True for a path that is safe to redirect to: one leading '/', no
 * "//", no backslash, printable ASCII. */
bool ob_local_path(const char *p);

#endif
