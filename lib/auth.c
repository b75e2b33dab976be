#include "lib/auth.h"

#include <sodium.h>
#include <string.h>

#include "lib/log.h"
#include "lib/page.h"
#include "lib/router.h"
#include "lib/service.h"
#include "lib/util.h"

const struct ob_stmt ob_auth_stmts[] = {
	{ "auth_user",
	    "SELECT email, role, public_key, disabled FROM users WHERE id = $1",
	    1 },
	/* Row-level security reads the session from this setting, for the
	 * rest of the transaction (sql/0004_privileges.sql). */
	{ "auth_rls", "SELECT set_config('ombud.session', $1, true)", 1 },
	{ "auth_tenants",
	    "SELECT t.id, t.slug, t.name FROM memberships m "
	    "JOIN tenants t ON t.id = m.tenant_id "
	    "WHERE m.user_id = $1 ORDER BY t.name, t.id",
	    1 },
	{ "auth_membership",
	    "SELECT m.tenant_sk_sealed, t.public_key FROM memberships m "
	    "JOIN tenants t ON t.id = m.tenant_id "
	    "WHERE m.user_id = $1 AND m.tenant_id = $2",
	    2 },
};
const size_t ob_auth_nstmts = OB_NELEM(ob_auth_stmts);

struct ob_auth_user *
ob_auth_current(const struct ob_req *r)
{
	return r->user;
}

/* Fills u from the session's user; false if none, or disabled. */
static bool
load_user(struct ob_db *db, struct ob_auth_user *u)
{
	const char *params[1] = { u->session.user_id };
	PGresult *res = NULL;
	bool ok = false;

	if (ob_db_exec(db, "auth_user", 1, params, &res) != 0 ||
	    PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 3), "f") != 0)
		goto out;
	if (ob_strlcpy(u->email, PQgetvalue(res, 0, 0), sizeof(u->email)) !=
		0 ||
	    ob_strlcpy(u->role, PQgetvalue(res, 0, 1), sizeof(u->role)) != 0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 2), u->public_key,
		sizeof(u->public_key)) != 0)
		goto out;
	ok = true;
out:
	PQclear(res);
	return ok;
}

static int
refuse(struct ob_req *r)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return OB_EPERM;
	return ob_page_redirect(r, OB_AUTH_LOGIN_PATH) == 0 ? OB_EDONE
							    : OB_EINTERNAL;
}

int
ob_auth_authorize(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct ob_auth_user *u;
	const char *cookie = ob_req_cookie(r, OB_SESSION_COOKIE);
	enum ob_auth need = r->route->auth;
	int rc;

	if (need != OB_AUTH_SIGNIN && need != OB_AUTH_HANDLER &&
	    need != OB_AUTH_ADMIN)
		return OB_EPERM;
	if (cookie == NULL)
		return refuse(r);
	/* In the arena: wiped when the request ends. */
	u = ob_arena_alloc(r->arena, sizeof(*u));
	rc = ob_session_lookup(app->db, cookie, &u->session);
	if (rc == OB_ENOENT || (rc == 0 && !load_user(app->db, u)))
		return refuse(r);
	if (rc != 0)
		return rc;
	r->user = u;
	r->csrf_session = &u->session.token;
	if (need != OB_AUTH_SIGNIN && !u->session.mfa_done)
		return refuse(r);
	if (need == OB_AUTH_ADMIN && strcmp(u->role, "admin") != 0)
		return OB_EPERM;
	return 0;
}

bool
ob_auth_is_admin(const struct ob_req *r)
{
	const struct ob_auth_user *u = r->user;

	return u != NULL && u->session.mfa_done &&
	    strcmp(u->role, "admin") == 0;
}

struct auth_tx {
	struct ob_req *r;
	int (*fn)(struct ob_db *db, void *arg);
	void *arg;
};

static int
auth_tx(struct ob_db *db, void *arg)
{
	struct auth_tx *t = arg;
	struct ob_auth_user *u = t->r->user;
	unsigned char th[OB_KEY_BYTES];
	char hex[2 * OB_KEY_BYTES + 1];
	const char *params[1] = { hex };
	PGresult *res = NULL;
	int rc;

	ob_token_lookup(&u->session.token, th);
	sodium_bin2hex(hex, sizeof(hex), th, sizeof(th));
	rc = ob_db_exec(db, "auth_rls", 1, params, &res);
	PQclear(res);
	return rc != 0 ? rc : t->fn(db, t->arg);
}

int
ob_auth_tx(struct ob_req *r, int (*fn)(struct ob_db *db, void *arg), void *arg)
{
	struct ob_app *app = r->app;
	struct auth_tx t = { r, fn, arg };
	struct ob_auth_user *u = r->user;

	if (u == NULL || !u->session.mfa_done)
		return OB_EPERM;
	return ob_db_tx(app->db, auth_tx, &t);
}

int
ob_auth_tenants(struct ob_req *r, struct ob_db *db, PGresult **out)
{
	struct ob_auth_user *u = r->user;
	const char *params[1];

	*out = NULL;
	if (u == NULL || !ob_db_in_tx(db))
		return OB_EPERM;
	params[0] = u->session.user_id;
	return ob_db_exec(db, "auth_tenants", 1, params, out);
}

int
ob_auth_tenant_key(struct ob_req *r, struct ob_db *db, const char *tenant_id,
    struct ob_keypair **out)
{
	struct ob_auth_user *u = r->user;
	unsigned char sealed[OB_SEALED_BYTES], tpk[OB_KEY_BYTES];
	struct ob_keypair *kp = NULL;
	const char *params[2];
	PGresult *res = NULL;
	struct ob_ad ad;
	int rc;

	*out = NULL;
	if (u == NULL || !u->session.mfa_done || !ob_db_in_tx(db))
		return OB_EPERM;
	params[0] = u->session.user_id;
	params[1] = tenant_id;
	if ((rc = ob_db_exec(db, "auth_membership", 2, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1 ||
	    ob_db_unhex(PQgetvalue(res, 0, 0), sealed, sizeof(sealed)) != 0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 1), tpk, sizeof(tpk)) != 0) {
		rc = OB_EPERM;
		goto out;
	}
	if ((rc = ob_session_keypair(&u->session, u->public_key, &kp)) != 0)
		goto out;
	ob_ad_membership(&ad, tenant_id, u->session.user_id);
	if (ob_sk_open(kp, sealed, sizeof(sealed), tpk, &ad, out) != 0)
		rc = OB_EPERM;
out:
	ob_keypair_free(kp);
	PQclear(res);
	return rc;
}

int
ob_auth_case_key(struct ob_req *r, struct ob_db *db, const char *tenant_id,
    const char *case_id, const unsigned char case_pk[OB_KEY_BYTES],
    const char *sealed_hex, struct ob_keypair **out)
{
	unsigned char sealed[OB_SEALED_BYTES];
	struct ob_keypair *tk = NULL;
	struct ob_ad ad;
	int rc;

	*out = NULL;
	if (ob_db_unhex(sealed_hex, sealed, sizeof(sealed)) != 0)
		return OB_EPERM;
	if ((rc = ob_auth_tenant_key(r, db, tenant_id, &tk)) != 0)
		return rc;
	ob_ad_case(&ad, tenant_id, case_id);
	if (ob_sk_open(tk, sealed, sizeof(sealed), case_pk, &ad, out) != 0)
		rc = OB_EPERM;
	ob_keypair_free(tk);
	return rc;
}
