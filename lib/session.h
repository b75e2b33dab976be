/*
 * session.h - handler sessions.
 *
 * The browser holds a random token in the cookie __Host-ombud (Secure,
 * HttpOnly, SameSite=Strict, Path=/, no Max-Age).  The sessions row
 * holds only the token's lookup hash and the handler's secret key
 * wrapped under a key derived from the token (lib/crypto.h), so any
 * pool can act for the handler while the session lives, and a copy of
 * the table unlocks nothing.
 *
 * A session expires 30 minutes after it was last used, and 12 hours
 * after it was made, whichever comes first: expires_at is kept at
 * least(created_at + 12 h, last use + 30 min) on every use, and every
 * lookup (and the row-level security of sql/0004) requires it in the
 * future.  A half-signed-in session (password done, second factor not)
 * has mfa_done false and opens nothing but the second-factor pages;
 * completing the second factor replaces it with a new token (no
 * fixation).
 *
 * Register ob_session_stmts with ob_db_add_stmts.  The auth role may
 * create, promote and destroy sessions; the other handler pools only
 * look them up.
 */
#ifndef OB_SESSION_H
#define OB_SESSION_H

#include <stdbool.h>

#include "lib/buf.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/ob.h"

#define OB_SESSION_COOKIE "__Host-ombud"
#define OB_SESSION_IDLE_S (30 * 60)
#define OB_SESSION_ABSOLUTE_S (12 * 3600)

extern const struct ob_stmt ob_session_stmts[];
extern const size_t ob_session_nstmts;

struct ob_session {
	char id[24];
	char user_id[24];
	bool mfa_done;
	struct ob_token token; /* secret: wipe with ob_session_wipe */
	unsigned char sk_wrapped[OB_WRAPPED_SK_BYTES];
};

/* Wipes the token and key material held in s. */
void ob_session_wipe(struct ob_session *s);

/*
 * Starts a session for user_id holding kp's secret key, under a new
 * random token.  mfa_done: whether the second factor is already done.
 */
int ob_session_create(struct ob_db *db, const char *user_id,
    const struct ob_keypair *kp, bool mfa_done,
    struct ob_session *out) OB_MUST_CHECK;

/*
 * Finds the live session for a cookie value and records its use.
 * OB_ENOENT for a malformed token, an unknown one, or an expired
 * session; *out is wiped then.
 */
int ob_session_lookup(
    struct ob_db *db, const char *cookie, struct ob_session *out) OB_MUST_CHECK;

/*
 * The handler's keypair, unwrapped with the session's token and checked
 * against user_pk (users.public_key).  The caller frees *out.
 */
int ob_session_keypair(const struct ob_session *s,
    const unsigned char user_pk[OB_KEY_BYTES],
    struct ob_keypair **out) OB_MUST_CHECK;

/*
 * After the second factor: a new session with mfa_done and a new token
 * replaces s (the old row is deleted).  kp is the handler's keypair
 * (from ob_session_keypair).
 */
int ob_session_promote(struct ob_db *db, struct ob_session *s,
    const struct ob_keypair *kp) OB_MUST_CHECK;

/* Ends the session (logout). */
int ob_session_destroy(
    struct ob_db *db, const struct ob_session *s) OB_MUST_CHECK;

/* Ends every other session of the session's user (password change). */
int ob_session_destroy_others(
    struct ob_db *db, const struct ob_session *s) OB_MUST_CHECK;

/* The Set-Cookie value that gives the browser s, or that clears it. */
int ob_session_cookie(
    const struct ob_session *s, struct ob_buf *out) OB_MUST_CHECK;
int ob_session_cookie_clear(struct ob_buf *out) OB_MUST_CHECK;

#endif
