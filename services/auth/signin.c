/*
 * Sign-in: password, then the one-time code sent by SMS, then a fresh
 * session (issue 4).  The rules that make it hard to abuse:
 *   - an unknown or disabled e-mail costs the same Argon2id run and gets
 *     the same answer as a wrong password (no user enumeration);
 *   - a pool-wide token bucket caps attempts per second (429), and a
 *     cap on concurrent Argon2id runs keeps a flood from taking memory;
 *   - each failure delays the account's next attempt (1 s, 2 s, 4 s,
 *     ...); the tenth locks it, and the user and the admins are told;
 *   - the code is stored as a hash bound to the half-signed-in session,
 *     lives 5 minutes, allows 5 tries, and is single use;
 *   - completing the second factor issues a new session token.
 * Every outcome is an audit row.
 */
#include <sodium.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/auth.h"
#include "lib/cookie.h"
#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/otp.h"
#include "lib/outbox.h"
#include "lib/page.h"
#include "lib/service.h"
#include "lib/session.h"
#include "lib/util.h"
#include "services/auth/signin.h"

#define HEX(n) (2 * (n) + 3)
#define LOCK_AFTER 10

const struct ob_stmt signin_stmts[] = {
	{ "si_user",
	    "SELECT id, pw_salt, pw_opslimit, pw_memlimit, pw_verifier, "
	    "public_key, sk_wrapped, phone, mfa, disabled, "
	    "coalesce(locked_until > now(), false) FROM users WHERE email = $1",
	    1 },
	{ "si_fail",
	    "UPDATE users SET failed_logins = failed_logins + 1, locked_until "
	    "= "
	    "CASE WHEN failed_logins + 1 >= 10 THEN 'infinity'::timestamptz "
	    "ELSE now() + make_interval(secs => 2 ^ least(failed_logins, 12)) "
	    "END WHERE id = $1 RETURNING failed_logins",
	    1 },
	{ "si_ok",
	    "UPDATE users SET failed_logins = 0, locked_until = NULL "
	    "WHERE id = $1",
	    1 },
	{ "si_admins",
	    "SELECT email FROM users WHERE role = 'admin' AND NOT disabled",
	    0 },
	{ "si_email", "SELECT email FROM users WHERE id = $1", 1 },
	/* $2 is NULL for an app code: nothing was sent. */
	{ "si_challenge",
	    "INSERT INTO otp_challenges (session_id, method, code_hash, "
	    "expires_at) VALUES ($1, CASE WHEN $2::bytea IS NULL THEN "
	    "'totp'::mfa_method ELSE 'sms' END, $2, now() + "
	    "make_interval(secs => $3::int))",
	    3 },
	{ "si_live",
	    "SELECT id, code_hash, attempts, expires_at > now() AND NOT used, "
	    "method FROM otp_challenges WHERE session_id = $1 "
	    "ORDER BY id DESC LIMIT 1",
	    1 },
	{ "si_try",
	    "UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1 "
	    "RETURNING attempts",
	    1 },
	{ "si_done", "DELETE FROM otp_challenges WHERE session_id = $1", 1 },
};
const size_t signin_nstmts = OB_NELEM(signin_stmts);

void
signin_audit(struct ob_db *db, const char *user_id, const char *action)
{
	if (ob_audit(db, user_id, NULL, NULL, action, NULL) != 0)
		ob_log_error(NULL, "auth: audit %s not written", action);
}

static int
set_cookie(struct ob_req *r, const struct ob_session *s)
{
	struct ob_buf c = OB_BUF_INIT(256);
	int rc = s ? ob_session_cookie(s, &c) : ob_session_cookie_clear(&c);

	if (rc == 0)
		rc = ob_req_header(r, "Set-Cookie", ob_buf_cstr(&c));
	ob_buf_release_secret(&c);
	return rc;
}

/* ---- GET and POST /auth/login ---- */

static int
login_page(struct ob_req *r, int status, const char *email, const char *msg)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);

	ob_tctx_set(ctx, "title", _("Sign in"));
	ob_tctx_set(ctx, "email", email ? email : "");
	ob_tctx_set_bool(ctx, "has_error", msg != NULL);
	ob_tctx_set(ctx, "error", msg ? msg : "");
	return ob_page_render(r, status, "login", ctx);
}

int
h_login_form(struct ob_req *r)
{
	return login_page(r, 200, NULL, NULL);
}

struct user_row {
	char id[24];
	struct ob_handler_cred cred;
	unsigned char pk[OB_KEY_BYTES];
	char phone[24];
	bool totp, disabled, locked;
};

/* Loads the user; false when there is none (or the row is unreadable). */
static bool
find_user(struct ob_db *db, const char *email, struct user_row *u)
{
	const char *params[1] = { email };
	PGresult *res = NULL;
	uint64_t v;
	bool ok = false;

	memset(u, 0, sizeof(*u));
	if (ob_db_exec(db, "si_user", 1, params, &res) != 0 ||
	    PQntuples(res) != 1)
		goto out;
	if (ob_strlcpy(u->id, PQgetvalue(res, 0, 0), sizeof(u->id)) != 0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 1), u->cred.salt,
		sizeof(u->cred.salt)) != 0 ||
	    ob_parse_u64(PQgetvalue(res, 0, 2), 1, 32, &v) != 0)
		goto out;
	u->cred.params.opslimit = v;
	if (ob_parse_u64(PQgetvalue(res, 0, 3), 1, UINT64_C(1) << 30, &v) !=
		0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 4), u->cred.verifier,
		sizeof(u->cred.verifier)) != 0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 5), u->pk, sizeof(u->pk)) != 0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 6), u->cred.sk_wrapped,
		sizeof(u->cred.sk_wrapped)) != 0)
		goto out;
	u->cred.params.memlimit = v;
	if (!PQgetisnull(res, 0, 7) &&
	    ob_strlcpy(u->phone, PQgetvalue(res, 0, 7), sizeof(u->phone)) != 0)
		goto out;
	u->totp = strcmp(PQgetvalue(res, 0, 8), "totp") == 0;
	u->disabled = strcmp(PQgetvalue(res, 0, 9), "t") == 0;
	u->locked = strcmp(PQgetvalue(res, 0, 10), "t") == 0;
	ok = true;
out:
	PQclear(res);
	return ok;
}

/* The account was locked just now: tell the user and the admins. */
static void
notify_lock(struct ob_db *db, const char *user_id)
{
	const char *params[1] = { user_id };
	const char *subject = "Ombud: account locked";
	const char *body = "An Ombud account was locked after ten failed "
			   "sign-in attempts. An administrator can unlock it.";
	PGresult *res = NULL;

	if (ob_db_exec(db, "si_email", 1, params, &res) == 0 &&
	    PQntuples(res) == 1 &&
	    ob_outbox_queue(db, NULL, "mail", PQgetvalue(res, 0, 0), subject,
		body, 7 * 24 * 3600) != 0)
		ob_log_error(NULL, "auth: lock notice not queued");
	PQclear(res);
	res = NULL;
	if (ob_db_exec(db, "si_admins", 0, NULL, &res) != 0)
		goto out;
	for (int i = 0; i < PQntuples(res); i++)
		if (ob_outbox_queue(db, NULL, "mail", PQgetvalue(res, i, 0),
			subject, body, 7 * 24 * 3600) != 0)
			ob_log_error(NULL, "auth: lock notice not queued");
out:
	PQclear(res);
}

static void
count_failure(struct ob_db *db, const char *user_id)
{
	const char *params[1] = { user_id };
	PGresult *res = NULL;

	if (ob_db_exec(db, "si_fail", 1, params, &res) == 0 &&
	    strcmp(PQgetvalue(res, 0, 0), "10") == 0) {
		signin_audit(db, user_id, "auth.lock");
		notify_lock(db, user_id);
	}
	PQclear(res);
	signin_audit(db, user_id, "auth.fail");
}

/*
 * The challenge of session s: for an app user (phone NULL) a row that
 * counts tries; otherwise a new code, sent by SMS.
 */
static int
challenge(struct ob_req *r, const struct ob_session *s, const char *phone)
{
	struct ob_app *app = r->app;
	unsigned char th[OB_KEY_BYTES], hash[OB_OTP_HASH_BYTES];
	char code[OB_OTP_DIGITS + 1], h[HEX(OB_OTP_HASH_BYTES)], ttl[16];
	struct ob_buf text = OB_BUF_INIT(512);
	const char *params[3] = { s->id, h, ttl };
	PGresult *res = NULL;
	int rc;

	if (phone == NULL) {
		snprintf(ttl, sizeof(ttl), "%d", OB_OTP_TTL_S);
		params[1] = NULL;
		rc = ob_db_exec(app->db, "si_challenge", 3, params, &res);
		PQclear(res);
		return rc;
	}
	ob_otp_code_new(code);
	ob_token_lookup(&s->token, th);
	snprintf(ttl, sizeof(ttl), "%d", OB_OTP_TTL_S);
	if ((rc = ob_otp_code_hash(code, th, hash)) != 0 ||
	    (rc = ob_db_hex(hash, sizeof(hash), h, sizeof(h))) != 0 ||
	    (rc = ob_db_exec(app->db, "si_challenge", 3, params, &res)) != 0 ||
	    (rc = ob_otp_sms_text(code, ob_i18n_current(), &text)) != 0 ||
	    (rc = ob_outbox_queue(app->db, NULL, "sms", phone, NULL,
		 ob_buf_cstr(&text), OB_OTP_TTL_S)) != 0)
		goto out;
out:
	PQclear(res);
	sodium_memzero(code, sizeof(code));
	ob_buf_release_secret(&text);
	return rc;
}

/*
 * The password is right but was hashed with another cost than the
 * configured one ([passwords]): wrap the same key again with today's.
 * A failure leaves the old credential, which still works.
 */
static void
rehash(struct ob_req *r, const char *user_id, const char *pw,
    const struct ob_keypair *kp)
{
	struct ob_app *app = r->app;
	struct signin_state *st = app->state;
	struct ob_handler_cred fresh;
	struct ob_ad ad;

	ob_ad_user(&ad, user_id);
	if (ob_handler_cred_set(pw, strlen(pw), kp, &st->params, &ad, &fresh) !=
		0 ||
	    signin_store_cred(app->db, user_id, &fresh) != 0)
		ob_log_error(r->rid, "auth: rehash failed; the old one stays");
	else
		signin_audit(app->db, user_id, "auth.rehash");
	sodium_memzero(&fresh, sizeof(fresh));
}

int
h_login(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct signin_state *st = app->state;
	const char *email = ob_form_get(&r->form, "email");
	const char *pw = ob_form_get(&r->form, "password");
	const char *wrong = _("The e-mail address or the password is wrong, "
			      "or the account cannot sign in now.");
	struct ob_keypair *kp = NULL;
	struct ob_session s;
	struct user_row u;
	struct ob_ad ad;
	char lower[256];
	bool found;
	int rc;

	memset(&s, 0, sizeof(s));
	if (email == NULL || pw == NULL || email[0] == '\0')
		return login_page(r, 400, email, wrong);
	if (ob_throttle_take(
		st->throttle, ob_now_us() / 1000, &r->retry_after_s) != 0)
		return OB_ELIMIT;
	if (ob_throttle_enter(st->throttle, &r->retry_after_s) != 0)
		return OB_ELIMIT;
	for (size_t i = 0; i < sizeof(lower); i++) {
		char c = email[i];

		lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		if (c == '\0')
			break;
	}
	lower[sizeof(lower) - 1] = '\0';
	found = find_user(app->db, lower, &u) && !u.disabled && !u.locked;
	/* The same Argon2id work whether or not the account exists. */
	if (!found)
		u.cred = st->decoy;
	ob_ad_user(&ad, found ? u.id : "0");
	rc = ob_handler_cred_open(
	    pw, strlen(pw), &u.cred, found ? u.pk : st->decoy_pk, &ad, &kp);
	ob_throttle_leave(st->throttle);
	if (!found || rc != 0) {
		if (found && rc == OB_EPERM)
			count_failure(app->db, u.id);
		rc = login_page(r, 401, email, wrong);
		goto out;
	}
	{
		const char *params[1] = { u.id };
		PGresult *res = NULL;

		if (ob_db_exec(app->db, "si_ok", 1, params, &res) != 0)
			ob_log_error(r->rid, "auth: failure count not reset");
		PQclear(res);
	}
	if (ob_pwparams_outdated(&u.cred.params, &st->params))
		rehash(r, u.id, pw, kp);
	if (!u.totp && u.phone[0] == '\0') {
		signin_audit(app->db, u.id, "auth.no_phone");
		rc = login_page(r, 403, email,
		    _("Your account has no phone number for the sign-in "
		      "code. Please ask an administrator."));
		goto out;
	}
	if ((rc = ob_session_create(app->db, u.id, kp, false, &s)) != 0 ||
	    (rc = set_cookie(r, &s)) != 0)
		goto out;
	if ((rc = challenge(r, &s, u.totp ? NULL : u.phone)) != 0)
		goto out;
	signin_audit(app->db, u.id, "auth.password");
	rc = ob_page_redirect(r, "/auth/otp");
out:
	ob_keypair_free(kp);
	ob_session_wipe(&s);
	sodium_memzero(&u, sizeof(u));
	return rc;
}

/* ---- GET and POST /auth/otp ---- */

static int
otp_page(struct ob_req *r, int status, bool app, const char *msg)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);

	ob_tctx_set(ctx, "title", _("Enter your code"));
	ob_tctx_set_bool(ctx, "app", app);
	ob_tctx_set_bool(ctx, "has_error", msg != NULL);
	ob_tctx_set(ctx, "error", msg ? msg : "");
	return ob_page_render(r, status, "otp", ctx);
}

/* The newest challenge of a half-signed-in session. */
struct challenge_row {
	char id[24];
	bool usable; /* live, unused, tries left */
	bool app; /* a TOTP code, not an SMS one */
	uint64_t attempts;
	unsigned char hash[OB_OTP_HASH_BYTES]; /* SMS only */
};

static int
load_challenge(
    struct ob_db *db, const char *session_id, struct challenge_row *c)
{
	const char *params[1] = { session_id };
	PGresult *res = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = ob_db_exec(db, "si_live", 1, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1)
		goto out;
	c->app = strcmp(PQgetvalue(res, 0, 4), "totp") == 0;
	c->usable = strcmp(PQgetvalue(res, 0, 3), "t") == 0 &&
	    ob_parse_u64(PQgetvalue(res, 0, 2), 0, 1000, &c->attempts) == 0 &&
	    c->attempts < OB_OTP_MAX_TRIES &&
	    ob_strlcpy(c->id, PQgetvalue(res, 0, 0), sizeof(c->id)) == 0 &&
	    (c->app ||
		ob_db_unhex(PQgetvalue(res, 0, 1), c->hash, sizeof(c->hash)) ==
		    0);
out:
	PQclear(res);
	return rc;
}

int
h_otp_form(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct ob_auth_user *u = ob_auth_current(r);
	struct challenge_row c;
	int rc;

	if (u->session.mfa_done)
		return ob_page_redirect(r, "/cases/");
	if ((rc = load_challenge(app->db, u->session.id, &c)) != 0)
		return rc;
	return otp_page(r, 200, c.app, NULL);
}

/* Ends a sign-in that can no longer succeed. */
static int
restart(struct ob_req *r, struct ob_auth_user *u)
{
	struct ob_app *app = r->app;
	int rc;

	if ((rc = ob_session_destroy(app->db, &u->session)) != 0 ||
	    (rc = set_cookie(r, NULL)) != 0)
		return rc;
	return login_page(r, 401, NULL,
	    _("The code has expired or was tried too often. Please sign in "
	      "again."));
}

/* 0 when typed is the code the challenge asks for; OB_EPERM if not. */
static int
check_code(struct ob_req *r, struct ob_auth_user *u,
    const struct challenge_row *c, const struct ob_keypair *kp,
    const char *typed)
{
	unsigned char th[OB_KEY_BYTES];

	if (typed == NULL)
		return OB_EPERM;
	if (c->app)
		return totp_signin_check(r, u->session.user_id, kp, typed);
	ob_token_lookup(&u->session.token, th);
	return ob_otp_code_check(typed, th, c->hash) == 0 ? 0 : OB_EPERM;
}

int
h_otp(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct ob_auth_user *u = ob_auth_current(r);
	const char *typed = ob_form_get(&r->form, "code");
	const char *params[1];
	struct ob_keypair *kp = NULL;
	struct challenge_row c;
	PGresult *res = NULL;
	int rc;

	if (u->session.mfa_done)
		return ob_page_redirect(r, "/cases/");
	if ((rc = load_challenge(app->db, u->session.id, &c)) != 0)
		goto out;
	if (!c.usable) {
		rc = restart(r, u);
		goto out;
	}
	/* Every try counts before it is checked. */
	params[0] = c.id;
	if ((rc = ob_db_exec(app->db, "si_try", 1, params, &res)) != 0 ||
	    (rc = ob_session_keypair(&u->session, u->public_key, &kp)) != 0)
		goto out;
	rc = check_code(r, u, &c, kp, typed);
	if (rc == OB_EPERM) {
		signin_audit(app->db, u->session.user_id, "auth.code_fail");
		if (c.attempts + 1 >= OB_OTP_MAX_TRIES)
			rc = restart(r, u);
		else
			rc = otp_page(
			    r, 401, c.app, _("That code is not right."));
		goto out;
	}
	if (rc != 0)
		goto out;
	params[0] = u->session.id;
	PQclear(res);
	res = NULL;
	if ((rc = ob_db_exec(app->db, "si_done", 1, params, &res)) != 0 ||
	    (rc = ob_session_promote(app->db, &u->session, kp)) != 0 ||
	    (rc = set_cookie(r, &u->session)) != 0)
		goto out;
	signin_audit(app->db, u->session.user_id, "auth.signin");
	rc = ob_page_redirect(r, "/cases/");
out:
	PQclear(res);
	ob_keypair_free(kp);
	sodium_memzero(&c, sizeof(c));
	return rc;
}

/* ---- POST /auth/logout ---- */

int
h_logout(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct ob_auth_user *u = ob_auth_current(r);
	int rc;

	if ((rc = ob_session_destroy(app->db, &u->session)) != 0 ||
	    (rc = set_cookie(r, NULL)) != 0)
		return rc;
	signin_audit(app->db, u->session.user_id, "auth.logout");
	return ob_page_redirect(r, OB_AUTH_LOGIN_PATH);
}
