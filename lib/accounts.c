#include "lib/accounts.h"
#include "lib/accounts_int.h"
#include "lib/audit.h"
#include "lib/mail.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/sms.h"
#include "lib/util.h"

const struct ob_stmt ob_accounts_stmts[] = {
	{ "acc_next_tenant",
	    "SELECT nextval(pg_get_serial_sequence('tenants', 'id'))", 0 },
	{ "acc_insert_tenant",
	    "INSERT INTO tenants (id, slug, name, retention_days, public_key, "
	    "recovery_public_key, recovery_sealed) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
	    7 },
	{ "acc_next_user",
	    "SELECT nextval(pg_get_serial_sequence('users', 'id'))", 0 },
	{ "acc_insert_user",
	    "INSERT INTO users (id, email, phone, role, pw_salt, pw_opslimit, "
	    "pw_memlimit, pw_verifier, public_key, sk_wrapped) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
	    10 },
	{ "acc_user_by_email",
	    "SELECT id, role, public_key FROM users WHERE email = $1", 1 },
	{ "acc_tenant_by_slug",
	    "SELECT id, public_key, recovery_sealed FROM tenants "
	    "WHERE slug = $1",
	    1 },
	{ "acc_other_tenants",
	    "SELECT count(*) FROM memberships "
	    "WHERE user_id = $1 AND tenant_id <> $2",
	    2 },
	{ "acc_is_member",
	    "SELECT 1 FROM memberships WHERE tenant_id = $1 AND user_id = $2",
	    2 },
	{ "acc_insert_membership",
	    "INSERT INTO memberships (tenant_id, user_id, tenant_sk_sealed) "
	    "VALUES ($1, $2, $3)",
	    3 },
	/* ob_user_change, in the order of enum ob_user_change. */
	{ "acc_disable",
	    "UPDATE users SET disabled = true WHERE email = $1 RETURNING id",
	    1 },
	{ "acc_enable",
	    "UPDATE users SET disabled = false, failed_logins = 0, "
	    "locked_until = NULL WHERE email = $1 RETURNING id",
	    1 },
	{ "acc_unlock",
	    "UPDATE users SET failed_logins = 0, locked_until = NULL "
	    "WHERE email = $1 RETURNING id",
	    1 },
	{ "acc_reset_mfa",
	    "UPDATE users SET mfa = 'sms', totp_wrapped = NULL, "
	    "totp_pending = NULL, totp_last_step = NULL "
	    "WHERE email = $1 RETURNING id",
	    1 },
	{ "acc_user_for_reset",
	    "SELECT id FROM users WHERE email = $1 FOR UPDATE", 1 },
	/* A new keypair: the TOTP secret sealed to the old one is gone. */
	{ "acc_reset_cred",
	    "UPDATE users SET pw_salt = $2, pw_opslimit = $3, pw_memlimit = "
	    "$4, pw_verifier = $5, public_key = $6, sk_wrapped = $7, "
	    "mfa = 'sms', totp_wrapped = NULL, totp_pending = NULL, "
	    "totp_last_step = NULL, failed_logins = 0, locked_until = NULL "
	    "WHERE id = $1",
	    7 },
	{ "acc_drop_memberships",
	    "DELETE FROM memberships m USING tenants t "
	    "WHERE m.user_id = $1 AND t.id = m.tenant_id "
	    "RETURNING t.id, t.slug, t.public_key, t.recovery_sealed",
	    1 },
	{ "acc_end_sessions", "DELETE FROM sessions WHERE user_id = $1", 1 },
};
const size_t ob_accounts_nstmts = OB_NELEM(ob_accounts_stmts);

#define HEX(n) OB_ACC_HEX(n)

int
ob_acc_run(struct ob_db *db, const char *stmt, int n, const char *const *params,
    PGresult **res, struct ob_buf *err)
{
	PGresult *r = NULL;
	int rc = ob_db_exec(db, stmt, n, params, &r);

	if (rc != 0) {
		const char *st = ob_db_sqlstate(db);

		if (strcmp(st, "23505") == 0)
			ob_buf_seterr(err, "it exists already");
		else if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0)
			ob_buf_seterr(err,
			    "the database refused a value "
			    "(sqlstate %s)",
			    st);
		else
			ob_buf_seterr(err, "database error (sqlstate %s)", st);
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return rc;
}

static int
next_id(struct ob_db *db, const char *stmt, char id[24], struct ob_buf *err)
{
	PGresult *res = NULL;
	int rc = ob_acc_run(db, stmt, 0, NULL, &res, err);

	if (rc == 0 && ob_strlcpy(id, PQgetvalue(res, 0, 0), 24) != 0)
		rc = OB_EINTERNAL;
	PQclear(res);
	return rc;
}

int
ob_acc_tx(struct ob_db *db, int (*fn)(struct ob_db *db, void *arg), void *arg)
{
	return ob_db_in_tx(db) ? fn(db, arg) : ob_db_tx(db, fn, arg);
}

int
ob_acc_audit(struct ob_db *db, const char *tenant_id, const char *action,
    const char *detail, struct ob_buf *err)
{
	int rc = ob_audit(db, NULL, tenant_id, NULL, action, detail);

	if (rc != 0)
		ob_buf_seterr(err,
		    "the audit row was not written (sqlstate %s)",
		    ob_db_sqlstate(db));
	return rc;
}
/* ---- tenants ---- */

static bool
valid_slug(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

struct tenant_add {
	const char *slug, *name;
	unsigned retention;
	int (*keep)(const char *recovery, void *arg, struct ob_buf *err);
	void *keep_arg;
	struct ob_buf *err;
};

static int
tenant_add_tx(struct ob_db *db, void *arg)
{
	struct tenant_add *t = arg;
	struct ob_keypair *kp = ob_keypair_new(), *rk = ob_keypair_new();
	unsigned char sealed[OB_SEALED_BYTES];
	char id[24], days[16], pk[HEX(OB_KEY_BYTES)], rpk[HEX(OB_KEY_BYTES)];
	char rs[HEX(OB_SEALED_BYTES)], recovery[OB_RECOVERY_STRLEN + 1];
	const char *params[7];
	struct ob_ad ad;
	int rc;

	if ((rc = next_id(db, "acc_next_tenant", id, t->err)) != 0)
		goto out;
	ob_ad_recovery(&ad, id);
	if ((rc = ob_sk_seal(kp, ob_keypair_pk(rk), &ad, sealed)) != 0 ||
	    (rc = ob_db_hex(ob_keypair_pk(kp), OB_KEY_BYTES, pk, sizeof(pk))) !=
		0 ||
	    (rc = ob_db_hex(
		 ob_keypair_pk(rk), OB_KEY_BYTES, rpk, sizeof(rpk))) != 0 ||
	    (rc = ob_db_hex(sealed, sizeof(sealed), rs, sizeof(rs))) != 0) {
		ob_buf_seterr(t->err, "cannot make the tenant's keys");
		goto out;
	}
	snprintf(days, sizeof(days), "%u", t->retention);
	params[0] = id;
	params[1] = t->slug;
	params[2] = t->name;
	params[3] = days;
	params[4] = pk;
	params[5] = rpk;
	params[6] = rs;
	if ((rc = ob_acc_run(
		 db, "acc_insert_tenant", 7, params, NULL, t->err)) != 0) {
		if (strcmp(ob_db_sqlstate(db), "23505") == 0)
			ob_buf_seterr(
			    t->err, "a tenant %s exists already", t->slug);
		goto out;
	}
	if ((rc = ob_acc_audit(db, id, "tenant.add", t->slug, t->err)) != 0)
		goto out;
	ob_recovery_export(rk, recovery);
	rc = t->keep(recovery, t->keep_arg, t->err);
out:
	sodium_memzero(recovery, sizeof(recovery));
	ob_keypair_free(kp);
	ob_keypair_free(rk);
	return rc;
}

int
ob_tenant_add(struct ob_db *db, const char *slug, const char *name,
    unsigned retention_days,
    int (*keep)(const char *recovery, void *arg, struct ob_buf *err),
    void *keep_arg, struct ob_buf *err)
{
	struct tenant_add t = { slug, name, retention_days, keep, keep_arg,
		err };

	if (!valid_slug(slug)) {
		ob_buf_seterr(err,
		    "tenant slug \"%s\": use 1 to 63 lower-case "
		    "letters, digits and dashes",
		    slug);
		return OB_EINVAL;
	}
	if (name[0] == '\0' || strlen(name) > 200) {
		ob_buf_seterr(err, "tenant name: 1 to 200 characters");
		return OB_EINVAL;
	}
	if (retention_days < 1 || retention_days > 3650) {
		ob_buf_seterr(err, "retention: 1 to 3650 days");
		return OB_EINVAL;
	}
	return ob_acc_tx(db, tenant_add_tx, &t);
}

/* ---- users ---- */

bool
ob_acc_normal_email(const char *e, char out[256])
{
	size_t n = strlen(e);

	if (n >= 256)
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (e[i] >= 'A' && e[i] <= 'Z') ? (char)(e[i] - 'A' + 'a')
						      : e[i];
	return true;
}

/* An address the outbox can mail: lib/mail.h's rule. */
static bool
valid_email(const char *e)
{
	return ob_mail_addr_valid(e);
}

int
ob_acc_cred_hex(const struct ob_handler_cred *c, const struct ob_keypair *kp,
    struct ob_acc_cred_hex *h)
{
	int rc;

	snprintf(h->ops, sizeof(h->ops), "%llu",
	    (unsigned long long)c->params.opslimit);
	snprintf(h->mem, sizeof(h->mem), "%llu",
	    (unsigned long long)c->params.memlimit);
	if ((rc = ob_db_hex(
		 c->salt, sizeof(c->salt), h->salt, sizeof(h->salt))) != 0 ||
	    (rc = ob_db_hex(c->verifier, sizeof(c->verifier), h->ver,
		 sizeof(h->ver))) != 0 ||
	    (rc = ob_db_hex(
		 ob_keypair_pk(kp), OB_KEY_BYTES, h->pk, sizeof(h->pk))) != 0 ||
	    (rc = ob_db_hex(c->sk_wrapped, sizeof(c->sk_wrapped), h->wr,
		 sizeof(h->wr))) != 0)
		return rc;
	return 0;
}

int
ob_acc_policy(const char *password, const char *email,
    const struct ob_pwdict *dict, struct ob_buf *err)
{
	unsigned problems = ob_password_check(password, email, dict);

	if (problems == 0)
		return 0;
	ob_buf_seterr(err, "the password does not meet the policy:");
	for (unsigned bit = 1; bit <= OB_PW_ALL_PROBLEMS; bit <<= 1)
		if (problems & bit)
			ob_buf_errf(err, "\n  - %s", ob_password_message(bit));
	return OB_EINVAL;
}

struct user_add {
	const struct ob_user_new *u;
	char email[256];
	long long *id_out;
	struct ob_buf *err;
};

static int
user_add_tx(struct ob_db *db, void *arg)
{
	struct user_add *a = arg;
	const struct ob_pwparams *pp =
	    a->u->params ? a->u->params : &ob_pwparams_default;
	struct ob_keypair *kp = ob_keypair_new();
	struct ob_handler_cred cred;
	struct ob_acc_cred_hex h;
	char id[24];
	const char *params[10];
	struct ob_ad ad;
	uint64_t idv;
	int rc;

	if ((rc = next_id(db, "acc_next_user", id, a->err)) != 0)
		goto out;
	ob_ad_user(&ad, id);
	rc = ob_handler_cred_set(
	    a->u->password, a->u->password_len, kp, pp, &ad, &cred);
	if (rc != 0) {
		ob_buf_seterr(a->err, "cannot derive the password key (%s)",
		    ob_strerror(rc));
		goto out;
	}
	if ((rc = ob_acc_cred_hex(&cred, kp, &h)) != 0)
		goto out;
	params[0] = id;
	params[1] = a->email;
	params[2] = a->u->phone;
	params[3] = a->u->role;
	params[4] = h.salt;
	params[5] = h.ops;
	params[6] = h.mem;
	params[7] = h.ver;
	params[8] = h.pk;
	params[9] = h.wr;
	if ((rc = ob_acc_run(
		 db, "acc_insert_user", 10, params, NULL, a->err)) != 0) {
		if (strcmp(ob_db_sqlstate(db), "23505") == 0)
			ob_buf_seterr(
			    a->err, "a user %s exists already", a->email);
		goto out;
	}
	if ((rc = ob_acc_audit(db, NULL, "user.add", a->email, a->err)) != 0)
		goto out;
	if (ob_parse_u64(id, 1, INT64_MAX, &idv) == 0)
		*a->id_out = (long long)idv;
out:
	sodium_memzero(&cred, sizeof(cred));
	ob_keypair_free(kp);
	return rc;
}

int
ob_user_add(struct ob_db *db, const struct ob_user_new *u,
    const struct ob_pwdict *dict, long long *id_out, struct ob_buf *err)
{
	struct user_add a = { u, "", id_out, err };

	if (!valid_email(u->email) || !ob_acc_normal_email(u->email, a.email)) {
		ob_buf_seterr(err, "e-mail \"%s\" is not an address", u->email);
		return OB_EINVAL;
	}
	if (u->phone != NULL && !ob_sms_phone_valid(u->phone)) {
		ob_buf_seterr(err,
		    "phone \"%s\": write it as +<country><number>, "
		    "digits only",
		    u->phone);
		return OB_EINVAL;
	}
	if (strcmp(u->role, "admin") != 0 && strcmp(u->role, "lawyer") != 0 &&
	    strcmp(u->role, "tenant-user") != 0) {
		ob_buf_seterr(
		    err, "role \"%s\": admin, lawyer or tenant-user", u->role);
		return OB_EINVAL;
	}
	if (ob_acc_policy(u->password, a.email, dict, err) != 0)
		return OB_EINVAL;
	return ob_acc_tx(db, user_add_tx, &a);
}

/* ---- memberships ---- */

int
ob_acc_seal_membership(struct ob_db *db, const char *tid, const char *uid,
    const unsigned char user_pk[OB_KEY_BYTES],
    const unsigned char tenant_pk[OB_KEY_BYTES],
    const unsigned char recovery_sealed[OB_SEALED_BYTES],
    const struct ob_acc_holder *holder, struct ob_buf *err)
{
	struct ob_keypair *opened = NULL;
	const struct ob_keypair *tk = holder->tenant;
	unsigned char sealed[OB_SEALED_BYTES];
	char hex[HEX(OB_SEALED_BYTES)];
	const char *params[3] = { tid, uid, hex };
	struct ob_ad ad;
	int rc;

	if (tk == NULL) {
		ob_ad_recovery(&ad, tid);
		if (ob_sk_open(holder->recovery, recovery_sealed,
			OB_SEALED_BYTES, tenant_pk, &ad, &opened) != 0)
			return OB_EPERM;
		tk = opened;
	} else if (sodium_memcmp(ob_keypair_pk(tk), tenant_pk, OB_KEY_BYTES) !=
	    0) {
		return OB_EPERM;
	}
	ob_ad_membership(&ad, tid, uid);
	if ((rc = ob_sk_seal(tk, user_pk, &ad, sealed)) != 0 ||
	    (rc = ob_db_hex(sealed, sizeof(sealed), hex, sizeof(hex))) != 0)
		goto out;
	rc = ob_acc_run(db, "acc_insert_membership", 3, params, NULL, err);
out:
	ob_keypair_free(opened);
	return rc;
}

struct grant {
	const char *email, *slug;
	struct ob_acc_holder holder;
	struct ob_buf *err;
};

static int
grant_tx(struct ob_db *db, void *arg)
{
	struct grant *g = arg;
	PGresult *user = NULL, *tenant = NULL, *res = NULL;
	unsigned char upk[OB_KEY_BYTES], tpk[OB_KEY_BYTES];
	unsigned char rsealed[OB_SEALED_BYTES];
	const char *uid, *tid, *params[2];
	int rc;

	params[0] = g->email;
	if ((rc = ob_acc_run(
		 db, "acc_user_by_email", 1, params, &user, g->err)) != 0)
		goto out;
	params[0] = g->slug;
	if ((rc = ob_acc_run(
		 db, "acc_tenant_by_slug", 1, params, &tenant, g->err)) != 0)
		goto out;
	if (PQntuples(user) != 1 || PQntuples(tenant) != 1) {
		ob_buf_seterr(g->err, "no %s %s",
		    PQntuples(user) != 1 ? "user" : "tenant",
		    PQntuples(user) != 1 ? g->email : g->slug);
		rc = OB_ENOENT;
		goto out;
	}
	uid = PQgetvalue(user, 0, 0);
	tid = PQgetvalue(tenant, 0, 0);
	if (ob_db_unhex(PQgetvalue(user, 0, 2), upk, sizeof(upk)) != 0 ||
	    ob_db_unhex(PQgetvalue(tenant, 0, 1), tpk, sizeof(tpk)) != 0 ||
	    ob_db_unhex(PQgetvalue(tenant, 0, 2), rsealed, sizeof(rsealed)) !=
		0) {
		ob_buf_seterr(g->err, "stored keys have the wrong length");
		rc = OB_EINTERNAL;
		goto out;
	}
	params[0] = tid;
	params[1] = uid;
	if ((rc = ob_acc_run(db, "acc_is_member", 2, params, &res, g->err)) !=
	    0)
		goto out;
	if (PQntuples(res) > 0)
		goto out; /* granted before: nothing to do */
	PQclear(res);
	res = NULL;
	params[0] = uid;
	params[1] = tid;
	if ((rc = ob_acc_run(
		 db, "acc_other_tenants", 2, params, &res, g->err)) != 0)
		goto out;
	if (strcmp(PQgetvalue(user, 0, 1), "tenant-user") == 0 &&
	    strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		ob_buf_seterr(g->err,
		    "%s is a tenant-user of another tenant; "
		    "a tenant-user belongs to one tenant",
		    g->email);
		rc = OB_EINVAL;
		goto out;
	}
	rc = ob_acc_seal_membership(
	    db, tid, uid, upk, tpk, rsealed, &g->holder, g->err);
	if (rc == OB_EPERM)
		ob_buf_seterr(g->err, "the %s key does not open tenant %s",
		    g->holder.tenant ? "given" : "recovery", g->slug);
	if (rc == 0)
		rc = ob_acc_audit(db, tid, "user.grant", g->email, g->err);
out:
	PQclear(user);
	PQclear(tenant);
	PQclear(res);
	return rc;
}

static int
grant(struct ob_db *db, const char *email, const char *slug,
    const struct ob_acc_holder *holder, struct ob_buf *err)
{
	char normal[256];
	struct grant g = { normal, slug, *holder, err };

	if (!ob_acc_normal_email(email, normal)) {
		ob_buf_seterr(err, "e-mail \"%s\" is not an address", email);
		return OB_EINVAL;
	}
	return ob_acc_tx(db, grant_tx, &g);
}

int
ob_user_grant(struct ob_db *db, const char *email, const char *slug,
    const struct ob_keypair *recovery, struct ob_buf *err)
{
	const struct ob_acc_holder h = { recovery, NULL };

	return grant(db, email, slug, &h, err);
}

int
ob_user_grant_as_member(struct ob_db *db, const char *email, const char *slug,
    const struct ob_keypair *tenant_kp, struct ob_buf *err)
{
	const struct ob_acc_holder h = { NULL, tenant_kp };

	return grant(db, email, slug, &h, err);
}
