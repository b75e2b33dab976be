#include "lib/auth.h"

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
