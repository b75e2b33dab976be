/*
 * csrf.h - cross-site request forgery protection without Origin or
 * Referer.
 *
 * Threat.  A page on another site makes the victim's browser POST to
 * Ombud with the victim's cookies attached: a handler's session closes
 * a case, or a reporter's browser files something in their name.  The
 * usual defence reads Origin or Referer; Ombud's pages send
 * "Referrer-Policy: no-referrer" and nginx passes neither header, so
 * the defence here needs neither.
 *
 * Two layers, each enough against a cross-site attacker on its own:
 *   1. Every cookie that carries authority is SameSite=Strict and
 *      "__Host-" (Secure, Path=/, no Domain): a browser attaches it
 *      only to requests that start on this site, and no sibling
 *      subdomain can plant or overwrite it.
 *   2. Every state-changing form carries a token in the hidden field
 *      "csrf" that another site cannot know: 256 bits derived from a
 *      secret it cannot read (the session token, or the per-browser
 *      cookie below), so it cannot be guessed, and the same-origin
 *      policy keeps it from reading our pages to copy one.  This still
 *      holds for browsers that ignore SameSite, and on a same-site
 *      request from a page that layer 1 lets through.
 *
 * Handler forms (signed-in or half-signed-in session): the token is a
 * crypto_kdf subkey (context "ombudcsr") of the session's secret cookie
 * token, so it lives and dies with the session and needs no storage.
 * The database holds only the token's lookup hash (another kdf
 * context), from which the CSRF token cannot be computed.
 *
 * Anonymous forms (reporters, the language form), double submit with a
 * signed cookie: cookie __Host-ombud-csrf holds 32 random bytes
 * (Secure, HttpOnly, SameSite=Strict, Path=/, no Max-Age: it ends with
 * the browser session); the form field holds keyed BLAKE2b of those
 * bytes under a per-deployment secret.  An attacker who could set the
 * cookie (a network attacker on plain HTTP cannot: __Host- needs
 * Secure) still could not make the matching field without the key, and
 * the field in a page reveals nothing of the HttpOnly cookie.  The
 * token identifies no one: it is random per browser session and is
 * never stored or logged.
 *
 * Rule: every state-changing route (every POST, including the language
 * form) calls ob_csrf_check_session or ob_csrf_anon_check before it
 * acts, and the page that renders its form puts the matching token in
 * the "csrf" field.  GET never changes state.  The router will enforce
 * this per route (a POST route without a CSRF declaration will not
 * build); until then each handler calls the check itself.
 *
 * Tokens are 43 characters of URL-safe base64 without padding
 * (A-Z a-z 0-9 - _); they are not secret from the user but are wiped
 * like secrets and never logged.  Checks are constant-time in the
 * token's value; a field of the wrong length is refused at once.
 */
#ifndef OB_CSRF_H
#define OB_CSRF_H

#include "lib/buf.h"
#include "lib/crypto.h"
#include "lib/ob.h"
#include "lib/req.h"

#define OB_CSRF_FIELD "csrf"
#define OB_CSRF_COOKIE "__Host-ombud-csrf"
#define OB_CSRF_STRLEN 43 /* URL-safe base64 of 32 bytes, no padding */
#define OB_CSRF_KEY_BYTES 32

/* ---- handler forms: bound to the session token ---- */

/* The form token for session into out (43 characters and a NUL). */
void ob_csrf_for_session(
    const struct ob_token *session, char out[OB_CSRF_STRLEN + 1]);

/*
 * 0 when field is session's form token; OB_EPERM for anything else
 * (NULL, empty, wrong length, another session's token).
 */
int ob_csrf_check_session(
    const struct ob_token *session, const char *field) OB_MUST_CHECK;

/* ---- anonymous forms: signed double-submit cookie ---- */

/*
 * Sets the per-deployment key (OB_CSRF_KEY_BYTES), copied into
 * sodium_malloc'd read-only memory.  Called once at start, after
 * ob_crypto_init, in the master before it forks (children inherit
 * it); calling again replaces
 * the key, and every anonymous token made under the old one stops
 * validating.  Allocation failure aborts.
 */
void ob_csrf_anon_init(const unsigned char key[OB_CSRF_KEY_BYTES]);

/*
 * Loads the key from path (a secret file, lib/crypto.h: mode 0600, not
 * a symlink): exactly 32 bytes, or 64 hex digits and an optional "\n";
 * not all zeros.  Then ob_csrf_anon_init.  Errors as
 * ob_secret_file_read, OB_EINVAL for any other content; err names path
 * and why.  Buffers are wiped on every path.
 */
int ob_csrf_anon_load(const char *path, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Creates path (O_EXCL, mode 0600) holding a new random key as 64 hex
 * digits and "\n", for ombudctl and the dev stack.  OB_EIO (message in
 * err) if it exists or cannot be written.
 */
int ob_csrf_anon_create(const char *path, struct ob_buf *err) OB_MUST_CHECK;

/*
 * The form token of r's browser into out.  Uses the request's
 * __Host-ombud-csrf cookie when it holds a well-formed value;
 * otherwise draws a new value, adds its Set-Cookie header to r's
 * response, and records it in r's cookies, so that a second call for
 * the same response returns the same token and adds no second header.
 * Call it before the response's headers are sent.  Returns 0;
 * OB_EINTERNAL before ob_csrf_anon_init; an error of ob_req_header.
 * out is wiped on error.
 */
int ob_csrf_anon_token(
    struct ob_req *r, char out[OB_CSRF_STRLEN + 1]) OB_MUST_CHECK;

/*
 * 0 when field is the form token of r's __Host-ombud-csrf cookie;
 * OB_EPERM for no or a malformed cookie, and for a NULL, empty,
 * wrong-length or non-matching field; OB_EINTERNAL before
 * ob_csrf_anon_init.
 */
int ob_csrf_anon_check(struct ob_req *r, const char *field) OB_MUST_CHECK;

#endif
