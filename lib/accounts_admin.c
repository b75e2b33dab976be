/*
 * The admin actions on a handler account (lib/accounts.h): disable,
 * enable, unlock, forget the authenticator app, and reset a lost
 * password by granting the tenants again.
 */
#include <sodium.h>
#include <string.h>

#include "lib/accounts.h"
#include "lib/accounts_int.h"
#include "lib/util.h"

static const struct {
	const char *stmt, *audit;
	bool end_sessions;
} changes[] = {
	[OB_USER_DISABLE] = { "acc_disable", "user.disable", true },
	[OB_USER_ENABLE] = { "acc_enable", "user.enable", false },
	[OB_USER_UNLOCK] = { "acc_unlock", "user.unlock", false },
	[OB_USER_RESET_MFA] = { "acc_reset_mfa", "user.reset_mfa", true },
};

struct change {
	const char *email;
	enum ob_user_change what;
	struct ob_buf *err;
};

static int
change_tx(struct ob_db *db, void *arg)
{
	struct change *c = arg;
	const char *params[1] = { c->email };
	PGresult *res = NULL;
	int rc;

	rc = ob_acc_run(db, changes[c->what].stmt, 1, params, &res, c->err);
	if (rc != 0)
		goto out;
	if (PQntuples(res) != 1) {
		ob_buf_seterr(c->err, "no user %s", c->email);
		rc = OB_ENOENT;
		goto out;
	}
	params[0] = PQgetvalue(res, 0, 0);
	if (changes[c->what].end_sessions &&
	    (rc = ob_acc_run(
		 db, "acc_end_sessions", 1, params, NULL, c->err)) != 0)
		goto out;
	rc = ob_acc_audit(db, NULL, changes[c->what].audit, c->email, c->err);
out:
	PQclear(res);
	return rc;
}

int
ob_user_change(struct ob_db *db, const char *email, enum ob_user_change what,
    struct ob_buf *err)
{
	char normal[256];
	struct change c = { normal, what, err };

	if ((unsigned)what >= OB_NELEM(changes)) {
		ob_buf_seterr(err, "no such change");
		return OB_EINVAL;
	}
	if (!ob_acc_normal_email(email, normal)) {
		ob_buf_seterr(err, "e-mail \"%s\" is not an address", email);
		return OB_EINVAL;
	}
	return ob_acc_tx(db, change_tx, &c);
}

/* ---- password reset ---- */

struct reset {
	const struct ob_user_reset *u;
	const char *email;
	struct ob_buf *report, *err;
};

/* Grants tenant row i of dropped again if one of the keys opens it. */
static int
regrant(struct ob_db *db, struct reset *r, PGresult *dropped, int i,
    const char *uid, const unsigned char upk[OB_KEY_BYTES])
{
	const char *tid = PQgetvalue(dropped, i, 0);
	const char *slug = PQgetvalue(dropped, i, 1);
	unsigned char tpk[OB_KEY_BYTES], rsealed[OB_SEALED_BYTES];
	int rc = OB_EPERM;

	if (ob_db_unhex(PQgetvalue(dropped, i, 2), tpk, sizeof(tpk)) != 0 ||
	    ob_db_unhex(PQgetvalue(dropped, i, 3), rsealed, sizeof(rsealed)) !=
		0) {
		ob_buf_seterr(r->err, "stored keys have the wrong length");
		return OB_EINTERNAL;
	}
	for (size_t k = 0; k < r->u->nrecovery && rc == OB_EPERM; k++) {
		const struct ob_acc_holder h = { r->u->recovery[k], NULL };

		rc = ob_acc_seal_membership(
		    db, tid, uid, upk, tpk, rsealed, &h, r->err);
	}
	if (rc == OB_EPERM) {
		ob_buf_errf(r->report, "not granted again: %s\n", slug);
		return 0;
	}
	if (rc == 0)
		rc = ob_acc_audit(db, tid, "user.grant", r->email, r->err);
	if (rc == 0)
		ob_buf_errf(r->report, "granted again: %s\n", slug);
	return rc;
}

static int
reset_tx(struct ob_db *db, void *arg)
{
	struct reset *r = arg;
	const struct ob_pwparams *pp =
	    r->u->params ? r->u->params : &ob_pwparams_default;
	struct ob_keypair *kp = ob_keypair_new();
	struct ob_handler_cred cred;
	struct ob_acc_cred_hex h;
	PGresult *user = NULL, *dropped = NULL;
	const char *params[7];
	char uid[24];
	struct ob_ad ad;
	int rc;

	memset(&cred, 0, sizeof(cred));
	params[0] = r->email;
	if ((rc = ob_acc_run(
		 db, "acc_user_for_reset", 1, params, &user, r->err)) != 0)
		goto out;
	if (PQntuples(user) != 1) {
		ob_buf_seterr(r->err, "no user %s", r->email);
		rc = OB_ENOENT;
		goto out;
	}
	if ((rc = ob_strlcpy(uid, PQgetvalue(user, 0, 0), sizeof(uid))) != 0)
		goto out;
	ob_ad_user(&ad, uid);
	if ((rc = ob_handler_cred_set(r->u->password, r->u->password_len, kp,
		 pp, &ad, &cred)) != 0) {
		ob_buf_seterr(r->err, "cannot derive the password key (%s)",
		    ob_strerror(rc));
		goto out;
	}
	if ((rc = ob_acc_cred_hex(&cred, kp, &h)) != 0)
		goto out;
	params[0] = uid;
	params[1] = h.salt;
	params[2] = h.ops;
	params[3] = h.mem;
	params[4] = h.ver;
	params[5] = h.pk;
	params[6] = h.wr;
	if ((rc = ob_acc_run(db, "acc_reset_cred", 7, params, NULL, r->err)) !=
		0 ||
	    (rc = ob_acc_run(
		 db, "acc_end_sessions", 1, params, NULL, r->err)) != 0 ||
	    (rc = ob_acc_run(
		 db, "acc_drop_memberships", 1, params, &dropped, r->err)) != 0)
		goto out;
	for (int i = 0; i < PQntuples(dropped) && rc == 0; i++)
		rc = regrant(db, r, dropped, i, uid, ob_keypair_pk(kp));
	if (rc == 0)
		rc = ob_acc_audit(
		    db, NULL, "user.reset_password", r->email, r->err);
out:
	sodium_memzero(&cred, sizeof(cred));
	ob_keypair_free(kp);
	PQclear(user);
	PQclear(dropped);
	return rc;
}

int
ob_user_reset_password(struct ob_db *db, const struct ob_user_reset *u,
    const struct ob_pwdict *dict, struct ob_buf *report, struct ob_buf *err)
{
	char normal[256];
	struct reset r = { u, normal, report, err };
	size_t before = report->len;
	int rc;

	if (!ob_acc_normal_email(u->email, normal)) {
		ob_buf_seterr(err, "e-mail \"%s\" is not an address", u->email);
		return OB_EINVAL;
	}
	if (ob_acc_policy(u->password, normal, dict, err) != 0)
		return OB_EINVAL;
	rc = ob_acc_tx(db, reset_tx, &r);
	if (rc != 0)
		ob_buf_truncate(report, before);
	return rc;
}
