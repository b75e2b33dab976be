/*
 * reporter.h - the anonymous reporter's short session with their case.
 *
 * DESIGN "A handler session ..." applied to the reporter: after the
 * receipt has unwrapped the case key (POST /t/<slug>/followup), the
 * browser gets a random token in the cookie __Host-ombud-r (Secure,
 * HttpOnly, SameSite=Strict, Path=/, no expiry: it ends with the
 * browser); reporter_sessions holds only the token's hash and the case
 * secret key wrapped under a key derived from the token (AD:
 * ob_ad_reporter_session).  A stolen table opens nothing.  A session
 * lives 30 minutes from its last use and belongs to one tenant: it is
 * looked up by (tenant, token hash), so a cookie presented under
 * another tenant's pages finds nothing.
 *
 * ob_reporter_authorize is the intake pool's authorize hook: routes of
 * level OB_AUTH_REPORTER need a live session of the tenant named by the
 * path's {slug}; without one a GET goes to that tenant's follow-up page
 * (303) and anything else gets 403.  With one, forms carry the
 * session's anti-forgery token (r->csrf_session).  Public routes pass.
 * Register ob_reporter_stmts.
 *
 * ob_reporter_tx names the session to row-level security
 * (`ombud.reporter`, sql/0006_reporting.sql) for one transaction: the
 * intake role can read that case and its items, and no other.
 */
#ifndef OB_REPORTER_H
#define OB_REPORTER_H

#include <stdbool.h>

#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/req.h"

#define OB_REPORTER_COOKIE "__Host-ombud-r"
#define OB_REPORTER_IDLE_S (30 * 60)

extern const struct ob_stmt ob_reporter_stmts[];
extern const size_t ob_reporter_nstmts;

/* The tenant a /t/<slug>/ request names (tenants row). */
struct ob_tenant {
	char id[24];
	char slug[64];
	char name[256];
	unsigned char public_key[OB_KEY_BYTES];
	const char *external_channels; /* in the request's arena */
	/* The file policy (sql/0013_scrub_settings.sql). */
	bool keep_unknown, flatten_pdf, reporter_keeps_metadata;
};

struct ob_reporter {
	struct ob_tenant tenant;
	char case_id[24];
	struct ob_token token; /* secret: ob_reporter_wipe */
	unsigned char sk_wrapped[OB_WRAPPED_SK_BYTES];
};

/*
 * The tenant of the path's {slug}: OB_ENOENT when there is none (the
 * 404 page).  The result lives in the request's arena; later calls in
 * the same request return the same one.
 */
int ob_tenant_of_request(
    struct ob_req *r, const struct ob_tenant **out) OB_MUST_CHECK;

/* Wipes the token and key material in s. */
void ob_reporter_wipe(struct ob_reporter *s);

/*
 * Starts a session for case case_id of tenant t holding case_kp's
 * secret key, under a new token; expired sessions of the tenant are
 * deleted on the way.  Fills *out.
 */
int ob_reporter_start(struct ob_db *db, const struct ob_tenant *t,
    const char *case_id, const struct ob_keypair *case_kp,
    struct ob_reporter *out) OB_MUST_CHECK;

/* The Set-Cookie value that gives the browser s, or that clears it. */
int ob_reporter_cookie(
    const struct ob_reporter *s, struct ob_buf *out) OB_MUST_CHECK;
int ob_reporter_cookie_clear(struct ob_buf *out) OB_MUST_CHECK;

/* Ends the session (sign out). */
int ob_reporter_end(
    struct ob_db *db, const struct ob_reporter *s) OB_MUST_CHECK;

/* The intake pool's authorize hook (see above). */
int ob_reporter_authorize(struct ob_req *r);

/*
 * The same for a pool that writes into the case and never reads it
 * (scrub): the session is found and touched, but its wrapped case key
 * is not read (the role may not), so ob_reporter_keypair fails.
 */
int ob_reporter_authorize_nokey(struct ob_req *r);

/* The session ob_reporter_authorize found, or NULL. */
struct ob_reporter *ob_reporter_current(const struct ob_req *r);

/*
 * The case keypair, unwrapped with the session's token and checked
 * against case_pk (cases.public_key).  The caller frees *out.
 */
int ob_reporter_keypair(const struct ob_reporter *s,
    const unsigned char case_pk[OB_KEY_BYTES],
    struct ob_keypair **out) OB_MUST_CHECK;

/*
 * Runs fn(db, arg) in one transaction in which row-level security lets
 * the intake role read the session's case.  OB_EPERM without a session.
 */
int ob_reporter_tx(struct ob_req *r, int (*fn)(struct ob_db *db, void *arg),
    void *arg) OB_MUST_CHECK;

#endif
