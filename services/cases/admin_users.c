/*
 * The platform admins' handler pages and the audit log (issue 6, item 6):
 *
 *   GET  /admin/users              every handler: role, state, tenants;
 *                                  a form to create one
 *   POST /admin/users              creates one (the password policy
 *                                  applies; lib/accounts.h)
 *   GET  /admin/users/<id>         one handler: grant a tenant, disable,
 *                                  enable, unlock, reset the second factor
 *   POST /admin/users/<id>/grant   seals the tenant's key to them: from
 *                                  the admin's own membership, or from the
 *                                  tenant's recovery key typed in
 *   POST /admin/users/<id>/<what>  disable | enable | unlock | reset-mfa
 *   GET  /admin/audit              the audit log, filtered, newest first
 *
 * As on the tenant pages, the database admits these writes only for a
 * live admin session (sql/0008_admin.sql), and the audit log reads
 * only through ombud_audit_rows(), which checks the same.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/accounts.h"
#include "lib/audit.h"
#include "lib/auth.h"
#include "lib/i18n.h"
#include "lib/page.h"
#include "lib/password.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/cases/cases.h"

#define AUDIT_PAGE 100

const struct ob_stmt admin_user_stmts[] = {
	{ "au_list",
	    "SELECT u.id, u.email, u.role, u.mfa, CASE WHEN u.disabled THEN "
	    "'disabled' WHEN u.locked_until > now() THEN 'locked' ELSE "
	    "'active' END, coalesce(string_agg(t.slug, ', ' ORDER BY t.slug), "
	    "'') FROM users u LEFT JOIN memberships m ON m.user_id = u.id "
	    "LEFT JOIN tenants t ON t.id = m.tenant_id "
	    "GROUP BY u.id ORDER BY u.email",
	    0 },
	{ "au_get",
	    "SELECT u.email, u.role, u.mfa, CASE WHEN u.disabled THEN "
	    "'disabled' WHEN u.locked_until > now() THEN 'locked' ELSE "
	    "'active' END, coalesce(u.phone, '') FROM users u WHERE u.id = $1",
	    1 },
	{ "au_tenants", "SELECT id, slug, name FROM tenants ORDER BY name", 0 },
	{ "au_tenant_id", "SELECT id FROM tenants WHERE slug = $1", 1 },
	{ "au_audit",
	    "SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), "
	    "coalesce(actor, ''), coalesce(tenant, ''), "
	    "coalesce(case_number, ''), action, detail "
	    "FROM ombud_audit_rows(nullif($1, ''), nullif($2, ''), "
	    "nullif($3, '')::bigint, $4::int, nullif($5, '')::bigint)",
	    5 },
};
const size_t admin_user_nstmts = OB_NELEM(admin_user_stmts);

/* ---- the list, and a new handler ---- */

struct users {
	struct ob_req *r;
	struct ob_tctx *ctx;
};

static int
users_tx(struct ob_db *db, void *arg)
{
	struct users *u = arg;
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "au_list", 0, NULL, &res)) != 0)
		return rc;
	ob_tctx_set_list(u->ctx, "users");
	for (int i = 0; i < PQntuples(res); i++) {
		struct ob_tctx *x = ob_tctx_add_item(u->ctx, "users");

		ob_tctx_set(x, "id", PQgetvalue(res, i, 0));
		ob_tctx_set(x, "email", PQgetvalue(res, i, 1));
		ob_tctx_set(x, "role", PQgetvalue(res, i, 2));
		ob_tctx_set(x, "mfa", PQgetvalue(res, i, 3));
		ob_tctx_set(x, "state", PQgetvalue(res, i, 4));
		ob_tctx_set(x, "tenants", PQgetvalue(res, i, 5));
	}
	PQclear(res);
	return 0;
}

static int
users_page(struct ob_req *r, int status, const char *error)
{
	struct users u = { r, ob_tctx_new(r->arena) };
	int rc;

	if ((rc = ob_auth_tx(r, users_tx, &u)) != 0)
		return rc;
	ob_tctx_set(u.ctx, "title", _("Handlers"));
	ob_tctx_set(u.ctx, "error", error ? error : "");
	ob_tctx_set(u.ctx, "created",
	    status == 201 ? ob_form_get(&r->form, "email") : "");
	return ob_page_render(
	    r, status == 201 ? 200 : status, "admin_users", u.ctx);
}

int
h_admin_users(struct ob_req *r)
{
	return users_page(r, 200, NULL);
}

struct user_add {
	struct ob_req *r;
	struct ob_buf err;
	bool refused; /* by a rule the admin can correct */
};

static int
user_add_tx(struct ob_db *db, void *arg)
{
	struct user_add *a = arg;
	struct ob_app *app = a->r->app;
	struct cases_state *st = app->state;
	const char *pw = ob_form_get(&a->r->form, "password");
	const char *phone = ob_form_get(&a->r->form, "phone");
	struct ob_user_new u = { ob_form_get(&a->r->form, "email"),
		phone != NULL && phone[0] != '\0' ? phone : NULL,
		ob_form_get(&a->r->form, "role"), pw, pw ? strlen(pw) : 0,
		&st->params };
	long long id = 0;
	int rc;

	if (u.email == NULL || u.role == NULL || pw == NULL) {
		a->refused = true;
		ob_buf_seterr(&a->err, "%s", _("Fill in every field."));
		return OB_EINVAL;
	}
	rc = ob_user_add(db, &u, st->dict, &id, &a->err);
	a->refused = rc == OB_EINVAL || rc == OB_EDB;
	return rc;
}

int
h_admin_user_add(struct ob_req *r)
{
	struct user_add a = { r, OB_BUF_INIT(2048), false };
	int rc = ob_auth_tx(r, user_add_tx, &a);

	if (rc != 0 && a.refused)
		rc = users_page(
		    r, 400, ob_arena_strdup(r->arena, ob_buf_cstr(&a.err)));
	else if (rc == 0)
		rc = users_page(r, 201, NULL);
	ob_buf_release(&a.err);
	return rc;
}

/* ---- one handler ---- */

struct one {
	struct ob_req *r;
	struct ob_tctx *ctx;
	char id[24];
	char email[256];
	const char *what; /* a POST's action, or NULL */
	const char *done; /* what happened, for the page */
	struct ob_buf err;
	bool refused;
};

static int
load(struct ob_db *db, struct one *o, PGresult **res)
{
	const char *params[1] = { o->id };
	int rc;

	if ((rc = ob_db_exec(db, "au_get", 1, params, res)) != 0)
		return rc;
	if (PQntuples(*res) != 1)
		return OB_ENOENT;
	return ob_strlcpy(o->email, PQgetvalue(*res, 0, 0), sizeof(o->email));
}

/* Grants the tenant of the form, from the admin's key or a recovery key. */
static int
grant(struct ob_db *db, struct one *o)
{
	const char *slug = ob_form_get(&o->r->form, "tenant");
	const char *typed = ob_form_get(&o->r->form, "recovery");
	const char *params[1] = { slug };
	struct ob_keypair *kp = NULL;
	PGresult *res = NULL;
	int rc;

	if (slug == NULL ||
	    (rc = ob_db_exec(db, "au_tenant_id", 1, params, &res)) != 0 ||
	    PQntuples(res) != 1) {
		PQclear(res);
		o->refused = true;
		ob_buf_seterr(&o->err, "%s", _("Choose a tenant."));
		return OB_EINVAL;
	}
	if (typed != NULL && typed[0] != '\0') {
		if (ob_recovery_import(typed, strlen(typed), &kp) != 0) {
			o->refused = true;
			ob_buf_seterr(&o->err, "%s",
			    _("That is not a recovery key, or it was "
			      "mistyped."));
			rc = OB_EINVAL;
			goto out;
		}
		rc = ob_user_grant(db, o->email, slug, kp, &o->err);
	} else {
		rc = ob_auth_tenant_key(o->r, db, PQgetvalue(res, 0, 0), &kp);
		if (rc == OB_EPERM) {
			o->refused = true;
			ob_buf_seterr(&o->err, "%s",
			    _("You are not a member of that tenant: type its "
			      "recovery key to grant it."));
			goto out;
		}
		if (rc == 0)
			rc = ob_user_grant_as_member(
			    db, o->email, slug, kp, &o->err);
	}
	if (rc == OB_EINVAL || rc == OB_EPERM || rc == OB_EDB)
		o->refused = true;
	if (rc == 0)
		o->done = _("The tenant is granted.");
out:
	ob_keypair_free(kp);
	PQclear(res);
	return rc;
}

static const struct {
	const char *what;
	enum ob_user_change change;
	const char *done;
} changes[] = {
	{ "disable", OB_USER_DISABLE, N_("The handler is disabled.") },
	{ "enable", OB_USER_ENABLE, N_("The handler is enabled.") },
	{ "unlock", OB_USER_UNLOCK, N_("The handler is unlocked.") },
	{ "reset-mfa", OB_USER_RESET_MFA,
	    N_("The authenticator app is forgotten: the next sign-in "
	       "code comes by SMS.") },
};

static int
act(struct ob_db *db, struct one *o)
{
	if (strcmp(o->what, "grant") == 0)
		return grant(db, o);
	for (size_t i = 0; i < OB_NELEM(changes); i++)
		if (strcmp(o->what, changes[i].what) == 0) {
			o->done = _(changes[i].done);
			return ob_user_change(
			    db, o->email, changes[i].change, &o->err);
		}
	return OB_ENOENT;
}

static int
one_tx(struct ob_db *db, void *arg)
{
	struct one *o = arg;
	PGresult *res = NULL, *tenants = NULL;
	int rc;

	if ((rc = load(db, o, &res)) != 0)
		goto out;
	if (o->what != NULL && (rc = act(db, o)) != 0)
		goto out;
	if (o->what != NULL) {
		/* Show the state after the change. */
		PQclear(res);
		res = NULL;
		if ((rc = load(db, o, &res)) != 0)
			goto out;
	}
	if ((rc = ob_db_exec(db, "au_tenants", 0, NULL, &tenants)) != 0)
		goto out;
	ob_tctx_set(o->ctx, "id", o->id);
	ob_tctx_set(o->ctx, "email", PQgetvalue(res, 0, 0));
	ob_tctx_set(o->ctx, "role", PQgetvalue(res, 0, 1));
	ob_tctx_set(o->ctx, "mfa", PQgetvalue(res, 0, 2));
	ob_tctx_set(o->ctx, "state", PQgetvalue(res, 0, 3));
	ob_tctx_set(o->ctx, "phone", PQgetvalue(res, 0, 4));
	ob_tctx_set_bool(
	    o->ctx, "disabled", strcmp(PQgetvalue(res, 0, 3), "disabled") == 0);
	ob_tctx_set_list(o->ctx, "tenants");
	for (int i = 0; i < PQntuples(tenants); i++) {
		struct ob_tctx *t = ob_tctx_add_item(o->ctx, "tenants");

		ob_tctx_set(t, "slug", PQgetvalue(tenants, i, 1));
		ob_tctx_set(t, "name", PQgetvalue(tenants, i, 2));
	}
out:
	PQclear(res);
	PQclear(tenants);
	return rc;
}

static int
one_page(struct ob_req *r, const char *what)
{
	struct one o;
	uint64_t v;
	int rc;

	memset(&o, 0, sizeof(o));
	o.r = r;
	o.ctx = ob_tctx_new(r->arena);
	o.what = what;
	ob_buf_init(&o.err, 2048);
	if (ob_req_path_param(r, "id") == NULL ||
	    ob_parse_u64(ob_req_path_param(r, "id"), 1, INT64_MAX, &v) != 0)
		return OB_ENOENT;
	snprintf(o.id, sizeof(o.id), "%llu", (unsigned long long)v);
	rc = ob_auth_tx(r, one_tx, &o);
	if (rc != 0 && o.refused) {
		/* Nothing changed: the page again, with the reason. */
		char *why = ob_arena_strdup(r->arena, ob_buf_cstr(&o.err));

		o.what = NULL;
		o.done = NULL;
		o.ctx = ob_tctx_new(r->arena);
		if ((rc = ob_auth_tx(r, one_tx, &o)) == 0) {
			ob_tctx_set(o.ctx, "error", why);
			ob_tctx_set(o.ctx, "done", "");
			ob_tctx_set(o.ctx, "title", _("Handler"));
			rc = ob_page_render(r, 400, "admin_user", o.ctx);
		}
	} else if (rc == 0) {
		ob_tctx_set(o.ctx, "error", "");
		ob_tctx_set(o.ctx, "done", o.done ? o.done : "");
		ob_tctx_set(o.ctx, "title", _("Handler"));
		rc = ob_page_render(r, 200, "admin_user", o.ctx);
	}
	ob_buf_release(&o.err);
	return rc;
}

int
h_admin_user(struct ob_req *r)
{
	return one_page(r, NULL);
}

int
h_admin_user_act(struct ob_req *r)
{
	const char *what = ob_req_path_param(r, "what");

	if (what == NULL)
		return OB_ENOENT;
	return one_page(r, what);
}

/* ---- the audit log ---- */

struct audit {
	struct ob_req *r;
	struct ob_tctx *ctx;
};

static int
audit_tx(struct ob_db *db, void *arg)
{
	struct audit *a = arg;
	const char *actor = ob_form_get(&a->r->form, "actor");
	const char *action = ob_form_get(&a->r->form, "action");
	const char *tenant = ob_form_get(&a->r->form, "tenant");
	const char *before = ob_form_get(&a->r->form, "before");
	const char *params[5] = { actor ? actor : "", action ? action : "", "",
		"100", "" };
	PGresult *res = NULL, *t = NULL;
	uint64_t v;
	int rc;

	if (before != NULL && ob_parse_u64(before, 1, INT64_MAX, &v) == 0)
		params[4] = before;
	if ((rc = ob_db_exec(db, "au_tenants", 0, NULL, &t)) != 0)
		goto out;
	ob_tctx_set_list(a->ctx, "tenants");
	for (int i = 0; i < PQntuples(t); i++) {
		struct ob_tctx *x = ob_tctx_add_item(a->ctx, "tenants");
		bool sel =
		    tenant != NULL && strcmp(tenant, PQgetvalue(t, i, 1)) == 0;

		ob_tctx_set(x, "slug", PQgetvalue(t, i, 1));
		ob_tctx_set(x, "name", PQgetvalue(t, i, 2));
		ob_tctx_set_bool(x, "selected", sel);
		if (sel)
			params[2] = PQgetvalue(t, i, 0);
	}
	if ((rc = ob_db_exec(db, "au_audit", 5, params, &res)) != 0)
		goto out;
	ob_tctx_set_list(a->ctx, "rows");
	for (int i = 0; i < PQntuples(res); i++) {
		struct ob_tctx *x = ob_tctx_add_item(a->ctx, "rows");

		ob_tctx_set(x, "id", PQgetvalue(res, i, 0));
		ob_tctx_set(x, "at", PQgetvalue(res, i, 1));
		ob_tctx_set(x, "actor", PQgetvalue(res, i, 2));
		ob_tctx_set(x, "tenant", PQgetvalue(res, i, 3));
		ob_tctx_set(x, "case", PQgetvalue(res, i, 4));
		ob_tctx_set(x, "action", PQgetvalue(res, i, 5));
		ob_tctx_set(x, "detail", PQgetvalue(res, i, 6));
	}
	/* The next page: rows before the oldest shown (a known number). */
	ob_tctx_set(a->ctx, "more", "");
	if (PQntuples(res) == AUDIT_PAGE &&
	    ob_parse_u64(
		PQgetvalue(res, PQntuples(res) - 1, 0), 1, INT64_MAX, &v) == 0)
		ob_tctx_setf(a->ctx, "more", "%llu", (unsigned long long)v);
	ob_tctx_set(a->ctx, "actor", actor ? actor : "");
	ob_tctx_set(a->ctx, "action", action ? action : "");
	ob_tctx_set(a->ctx, "tenant", params[2][0] ? tenant : "");
out:
	PQclear(res);
	PQclear(t);
	return rc;
}

int
h_admin_audit(struct ob_req *r)
{
	struct audit a = { r, ob_tctx_new(r->arena) };
	int rc;

	if ((rc = ob_auth_tx(r, audit_tx, &a)) != 0)
		return rc;
	ob_tctx_set(a.ctx, "title", _("Audit log"));
	return ob_page_render(r, 200, "admin_audit", a.ctx);
}
