/*
 * Password change at /auth/password (issue 4): the current password
 * unwraps the handler's secret key, the new one (which must meet the
 * policy, lib/password.h) wraps the same key again under a new salt,
 * and the user's other sessions end.  The keypair never changes, so
 * every sealed tenant key stays readable.
 */
#include <sodium.h>
#include <string.h>

#include "lib/auth.h"
#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/page.h"
#include "lib/password.h"
#include "lib/service.h"
#include "lib/session.h"
#include "lib/util.h"
#include "services/auth/signin.h"

#define HEX(n) (2 * (n) + 3)

const struct ob_stmt password_stmts[] = {
	{ "pw_cred",
	    "SELECT pw_salt, pw_opslimit, pw_memlimit, pw_verifier, sk_wrapped "
	    "FROM users WHERE id = $1",
	    1 },
	{ "pw_set",
	    "UPDATE users SET pw_salt = $2, pw_opslimit = $3, pw_memlimit = "
	    "$4, "
	    "pw_verifier = $5, sk_wrapped = $6 WHERE id = $1",
	    6 },
};
const size_t password_nstmts = OB_NELEM(password_stmts);

static int
page(struct ob_req *r, int status, const char *done, unsigned problems,
    const char *error)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);

	ob_tctx_set(ctx, "title", _("Change your password"));
	ob_tctx_set_bool(ctx, "done", done != NULL);
	ob_tctx_set(ctx, "done_text", done ? done : "");
	ob_tctx_set_bool(ctx, "has_error", error != NULL || problems != 0);
	ob_tctx_set(ctx, "error", error ? error : "");
	ob_tctx_set_list(ctx, "problems");
	for (unsigned bit = 1; bit <= OB_PW_ALL_PROBLEMS; bit <<= 1)
		if (problems & bit)
			ob_tctx_set(ob_tctx_add_item(ctx, "problems"), "text",
			    _(ob_password_message(bit)));
	return ob_page_render(r, status, "password", ctx);
}

int
h_password_form(struct ob_req *r)
{
	return page(r, 200, NULL, 0, NULL);
}

static bool
load_cred(struct ob_db *db, const char *user_id, struct ob_handler_cred *c)
{
	const char *params[1] = { user_id };
	PGresult *res = NULL;
	uint64_t ops, mem;
	bool ok;

	ok = ob_db_exec(db, "pw_cred", 1, params, &res) == 0 &&
	    PQntuples(res) == 1 &&
	    ob_db_unhex(PQgetvalue(res, 0, 0), c->salt, sizeof(c->salt)) == 0 &&
	    ob_parse_u64(PQgetvalue(res, 0, 1), 1, 32, &ops) == 0 &&
	    ob_parse_u64(PQgetvalue(res, 0, 2), 1, UINT64_C(1) << 30, &mem) ==
		0 &&
	    ob_db_unhex(
		PQgetvalue(res, 0, 3), c->verifier, sizeof(c->verifier)) == 0 &&
	    ob_db_unhex(PQgetvalue(res, 0, 4), c->sk_wrapped,
		sizeof(c->sk_wrapped)) == 0;
	c->params.opslimit = ok ? ops : 0;
	c->params.memlimit = ok ? mem : 0;
	PQclear(res);
	return ok;
}

int
signin_store_cred(
    struct ob_db *db, const char *user_id, const struct ob_handler_cred *c)
{
	char salt[HEX(OB_SALT_BYTES)], ver[HEX(OB_KEY_BYTES)];
	char wr[HEX(OB_WRAPPED_SK_BYTES)], ops[24], mem[24];
	const char *params[6] = { user_id, salt, ops, mem, ver, wr };
	PGresult *res = NULL;
	int rc;

	snprintf(
	    ops, sizeof(ops), "%llu", (unsigned long long)c->params.opslimit);
	snprintf(
	    mem, sizeof(mem), "%llu", (unsigned long long)c->params.memlimit);
	if ((rc = ob_db_hex(c->salt, sizeof(c->salt), salt, sizeof(salt))) !=
		0 ||
	    (rc = ob_db_hex(
		 c->verifier, sizeof(c->verifier), ver, sizeof(ver))) != 0 ||
	    (rc = ob_db_hex(
		 c->sk_wrapped, sizeof(c->sk_wrapped), wr, sizeof(wr))) != 0)
		return rc;
	rc = ob_db_exec(db, "pw_set", 6, params, &res);
	PQclear(res);
	return rc;
}

int
h_password(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct signin_state *st = app->state;
	struct ob_auth_user *u = ob_auth_current(r);
	const char *current = ob_form_get(&r->form, "current");
	const char *next = ob_form_get(&r->form, "new");
	struct ob_handler_cred old, fresh;
	struct ob_keypair *kp = NULL;
	struct ob_ad ad;
	unsigned problems;
	int rc;

	memset(&old, 0, sizeof(old));
	memset(&fresh, 0, sizeof(fresh));
	if (current == NULL || next == NULL)
		return page(r, 400, NULL, 0, _("Fill in both passwords."));
	problems = ob_password_check(next, u->email, st->dict);
	if (problems != 0)
		return page(r, 400, NULL, problems, NULL);
	if (ob_throttle_take(
		st->throttle, ob_now_us() / 1000, &r->retry_after_s) != 0 ||
	    ob_throttle_enter(st->throttle, &r->retry_after_s) != 0)
		return OB_ELIMIT;
	ob_ad_user(&ad, u->session.user_id);
	if (!load_cred(app->db, u->session.user_id, &old)) {
		rc = OB_EINTERNAL;
		goto leave;
	}
	rc = ob_handler_cred_open(
	    current, strlen(current), &old, u->public_key, &ad, &kp);
	if (rc == OB_EPERM) {
		ob_throttle_leave(st->throttle);
		signin_audit(app->db, u->session.user_id, "auth.password_fail");
		rc = page(r, 401, NULL, 0, _("The current password is wrong."));
		goto out;
	}
	if (rc == 0)
		rc = ob_handler_cred_set(
		    next, strlen(next), kp, &st->params, &ad, &fresh);
leave:
	ob_throttle_leave(st->throttle);
	if (rc != 0)
		goto out;
	if ((rc = signin_store_cred(app->db, u->session.user_id, &fresh)) !=
		0 ||
	    (rc = ob_session_destroy_others(app->db, &u->session)) != 0)
		goto out;
	signin_audit(app->db, u->session.user_id, "auth.password_change");
	rc = page(r, 200,
	    _("Your password is changed. Your other sessions have ended."), 0,
	    NULL);
out:
	sodium_memzero(&old, sizeof(old));
	sodium_memzero(&fresh, sizeof(fresh));
	ob_keypair_free(kp);
	return rc;
}
