/*
 * auth.h - who is asking: the handler behind a request's session.
 *
 * ob_auth_authorize is the authorize hook of the handler pools (auth,
 * cases).  It finds the session of the __Host-ombud cookie
 * (lib/session.h) and the user it belongs to, and decides by the
 * route's level:
 *   OB_AUTH_SIGNIN   any live session: the second-factor pages, logout;
 *   OB_AUTH_HANDLER  a finished sign-in (second factor done) of an
 *                    enabled user;
 *   OB_AUTH_ADMIN    the same, and the user is an admin.
 * Without what the route needs, a GET is sent to the sign-in page (303)
 * and anything else gets 403.  With it, the request's forms carry the
 * session's anti-forgery token (r->csrf_session) and ob_auth_current
 * names the user.  Register ob_auth_stmts and ob_session_stmts.
 *
 * Who may see which tenant: membership is the one rule.  A tenant-user
 * belongs to one tenant (ob_user_grant refuses a second), a lawyer to
 * the tenants granted to them, and an admin administers accounts but
 * reads no tenant's cases unless granted that tenant like anyone else.
 * A membership is also the only way to the tenant's key (sealed to the
 * member), and the database draws the same line by row-level security
 * (sql/0004_privileges.sql), which ob_auth_tx points at the session.
 */
#ifndef OB_AUTH_H
#define OB_AUTH_H

#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/req.h"
#include "lib/session.h"

#define OB_AUTH_LOGIN_PATH "/auth/login"

extern const struct ob_stmt ob_auth_stmts[];
extern const size_t ob_auth_nstmts;

struct ob_auth_user {
	struct ob_session session; /* holds the token: secret */
	char email[256];
	char role[16];
	unsigned char public_key[OB_KEY_BYTES];
};

int ob_auth_authorize(struct ob_req *r);

/* The user ob_auth_authorize found, or NULL. */
struct ob_auth_user *ob_auth_current(const struct ob_req *r);

/* True for a platform admin: the administration pages, not case content. */
bool ob_auth_is_admin(const struct ob_req *r);

/*
 * Runs fn(db, arg) in one transaction (ob_db_tx) in which row-level
 * security sees exactly the tenants of the request's session: every
 * handler-side read of tenant data goes through here.  OB_EPERM without
 * a signed-in user; otherwise fn's result or a database error.
 */
int ob_auth_tx(struct ob_req *r, int (*fn)(struct ob_db *db, void *arg),
    void *arg) OB_MUST_CHECK;

/*
 * Inside ob_auth_tx: the tenants the user may read, by name, as rows of
 * (id, slug, name).  The caller clears *out.
 */
int ob_auth_tenants(
    struct ob_req *r, struct ob_db *db, PGresult **out) OB_MUST_CHECK;

/*
 * Inside ob_auth_tx: the keypair of tenant tenant_id (decimal), opened
 * with the handler key the session holds.  OB_EPERM when the user is
 * not a member (whatever their role), or the sealed key does not open.
 * On success the caller frees *out (ob_keypair_free).
 */
int ob_auth_tenant_key(struct ob_req *r, struct ob_db *db,
    const char *tenant_id, struct ob_keypair **out) OB_MUST_CHECK;

/*
 * Inside ob_auth_tx: the keypair of case case_id of tenant tenant_id,
 * from its cases.sk_sealed_tenant (bytea in hex, as libpq returns it)
 * opened with the tenant's key (ob_auth_tenant_key) and checked against
 * case_pk.  OB_EPERM when the user may not read the tenant or the key
 * does not open.  The caller frees *out.
 */
int ob_auth_case_key(struct ob_req *r, struct ob_db *db, const char *tenant_id,
    const char *case_id, const unsigned char case_pk[OB_KEY_BYTES],
    const char *sealed_hex, struct ob_keypair **out) OB_MUST_CHECK;

#endif
