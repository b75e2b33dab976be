/*
 * An authenticator app (TOTP, RFC 6238) as the second factor instead of
 * SMS (issue 4).
 *
 * The secret is sealed to the handler's own public key
 * (users.totp_wrapped, ob_secret_seal): a copy of the database cannot
 * make a code, and the auth pool opens it with the keypair that the
 * half-signed-in session holds after the password step.
 *
 * Enrolment: GET /auth/totp explains; POST /auth/totp/start draws a
 * secret, keeps it sealed in users.totp_pending and shows it as a QR
 * code (GET /auth/totp/qr, an SVG made here) and as text; POST
 * /auth/totp with one valid code makes it the user's second factor.
 * Until then SMS stays, so a half-done enrolment locks nobody out.
 *
 * A code is good once: users.totp_last_step only moves forward, in the
 * same UPDATE that accepts the code, so two requests racing with one
 * code cannot both win.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/auth.h"
#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/otp.h"
#include "lib/page.h"
#include "lib/service.h"
#include "lib/session.h"
#include "lib/util.h"
#include "services/auth/signin.h"

#define HEX(n) (2 * (n) + 3)
#define ISSUER "Ombud"
#define WINDOW 1 /* steps either side of now: clocks drift */

const struct ob_stmt totp_stmts[] = {
	{ "totp_mfa", "SELECT mfa FROM users WHERE id = $1", 1 },
	{ "totp_pending_get",
	    "SELECT totp_pending FROM users "
	    "WHERE id = $1 AND totp_pending IS NOT NULL",
	    1 },
	{ "totp_pending_set",
	    "UPDATE users SET totp_pending = $2 WHERE id = $1", 2 },
	/* Only the secret that was shown: not one a later start replaced. */
	{ "totp_confirm",
	    "UPDATE users SET mfa = 'totp', totp_wrapped = totp_pending, "
	    "totp_pending = NULL, totp_last_step = $2 "
	    "WHERE id = $1 AND totp_pending = $3 RETURNING 1",
	    3 },
	{ "totp_secret",
	    "SELECT totp_wrapped, coalesce(totp_last_step, -1) FROM users "
	    "WHERE id = $1 AND mfa = 'totp'",
	    1 },
	{ "totp_used",
	    "UPDATE users SET totp_last_step = $2 "
	    "WHERE id = $1 AND coalesce(totp_last_step, -1) < $2 RETURNING 1",
	    2 },
};
const size_t totp_nstmts = OB_NELEM(totp_stmts);

/* Opens a sealed secret (a bytea column in hex) into secret. */
static int
open_secret(const char *hex, const char *user_id, const struct ob_keypair *kp,
    unsigned char secret[OB_KEY_BYTES])
{
	unsigned char sealed[OB_SEALED_BYTES];
	struct ob_ad ad;

	if (ob_db_unhex(hex, sealed, sizeof(sealed)) != 0)
		return OB_EINTERNAL;
	ob_ad_totp(&ad, user_id);
	return ob_secret_open(kp, sealed, sizeof(sealed), &ad, secret);
}

/* Runs a statement that answers RETURNING 1: true if a row changed. */
static int
changed(struct ob_db *db, const char *stmt, int n, const char *const *params,
    bool *out)
{
	PGresult *res = NULL;
	int rc = ob_db_exec(db, stmt, n, params, &res);

	*out = rc == 0 && PQntuples(res) == 1;
	PQclear(res);
	return rc;
}

int
totp_signin_check(struct ob_req *r, const char *user_id,
    const struct ob_keypair *kp, const char *typed)
{
	struct ob_app *app = r->app;
	const char *params[2] = { user_id, NULL };
	unsigned char secret[OB_KEY_BYTES];
	PGresult *res = NULL;
	char step[24];
	int64_t last;
	uint64_t v;
	bool ok = false;
	int rc;

	if ((rc = ob_db_exec(app->db, "totp_secret", 1, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1) {
		rc = OB_EPERM; /* reset meanwhile: sign in again */
		goto out;
	}
	/* -1 (no code yet) parses as 0 here, and 0 is a fine mark too. */
	last = strcmp(PQgetvalue(res, 0, 1), "-1") == 0 ? -1 : 0;
	if (last == 0 &&
	    ob_parse_u64(PQgetvalue(res, 0, 1), 0, INT64_MAX, &v) == 0)
		last = (int64_t)v;
	if ((rc = open_secret(PQgetvalue(res, 0, 0), user_id, kp, secret)) != 0)
		goto out;
	rc = ob_totp_check(secret, typed, time(NULL), WINDOW, &last);
	if (rc == OB_EINVAL)
		rc = OB_EPERM; /* not six digits: a wrong code like others */
	if (rc != 0)
		goto out;
	snprintf(step, sizeof(step), "%lld", (long long)last);
	params[1] = step;
	if ((rc = changed(app->db, "totp_used", 2, params, &ok)) == 0 && !ok)
		rc = OB_EPERM; /* another request used it first */
out:
	sodium_memzero(secret, sizeof(secret));
	PQclear(res);
	return rc;
}

/* ---- enrolment ---- */

/*
 * The enrolment page in one of its states: intro (secret NULL, done
 * false), setup (secret: show it and ask for a code), or done.
 */
static int
page(struct ob_req *r, int status, const unsigned char *secret, bool done,
    const char *error)
{
	struct ob_app *app = r->app;
	struct ob_auth_user *u = ob_auth_current(r);
	struct ob_tctx *ctx = ob_tctx_new(r->arena);
	const char *params[1] = { u->session.user_id };
	char b32[OB_TOTP_BASE32_LEN + 1];
	char grouped[OB_TOTP_BASE32_LEN + OB_TOTP_BASE32_LEN / 4];
	PGresult *res = NULL;
	size_t n = 0;
	int rc;

	if ((rc = ob_db_exec(app->db, "totp_mfa", 1, params, &res)) != 0)
		return rc;
	ob_tctx_set_bool(ctx, "enrolled",
	    PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "totp") == 0);
	PQclear(res);
	ob_tctx_set(ctx, "title", _("Authenticator app"));
	ob_tctx_set_bool(ctx, "setup", secret != NULL);
	ob_tctx_set_bool(ctx, "done", done);
	ob_tctx_set_bool(ctx, "has_error", error != NULL);
	ob_tctx_set(ctx, "error", error ? error : "");
	if (secret != NULL) {
		/* Groups of four are easier to type; apps ignore spaces. */
		ob_totp_secret_base32(secret, b32);
		for (size_t i = 0; i < OB_TOTP_BASE32_LEN; i++) {
			if (i > 0 && i % 4 == 0)
				grouped[n++] = ' ';
			grouped[n++] = b32[i];
		}
		grouped[n] = '\0';
		/* In the arena: wiped when the request ends. */
		ob_tctx_set(ctx, "secret", grouped);
	}
	rc = ob_page_render(r, status, "totp", ctx);
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(grouped, sizeof(grouped));
	return rc;
}

int
h_totp_form(struct ob_req *r)
{
	return page(r, 200, NULL, false, NULL);
}

/* The pending secret, opened with the session's key; OB_ENOENT if none. */
static int
pending(struct ob_req *r, unsigned char secret[OB_KEY_BYTES], char *hex,
    size_t hexsz)
{
	struct ob_app *app = r->app;
	struct ob_auth_user *u = ob_auth_current(r);
	const char *params[1] = { u->session.user_id };
	struct ob_keypair *kp = NULL;
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(app->db, "totp_pending_get", 1, params, &res)) !=
	    0)
		goto out;
	if (PQntuples(res) != 1) {
		rc = OB_ENOENT;
		goto out;
	}
	if (hex != NULL &&
	    (rc = ob_strlcpy(hex, PQgetvalue(res, 0, 0), hexsz)) != 0)
		goto out;
	if ((rc = ob_session_keypair(&u->session, u->public_key, &kp)) != 0)
		goto out;
	rc = open_secret(PQgetvalue(res, 0, 0), u->session.user_id, kp, secret);
out:
	ob_keypair_free(kp);
	PQclear(res);
	return rc;
}

int
h_totp_start(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct ob_auth_user *u = ob_auth_current(r);
	unsigned char secret[OB_KEY_BYTES], sealed[OB_SEALED_BYTES];
	char hex[HEX(OB_SEALED_BYTES)];
	const char *params[2] = { u->session.user_id, hex };
	PGresult *res = NULL;
	struct ob_ad ad;
	int rc;

	memset(secret, 0, sizeof(secret));
	ob_totp_secret_new(secret);
	ob_ad_totp(&ad, u->session.user_id);
	if ((rc = ob_secret_seal(secret, u->public_key, &ad, sealed)) != 0 ||
	    (rc = ob_db_hex(sealed, sizeof(sealed), hex, sizeof(hex))) != 0 ||
	    (rc = ob_db_exec(app->db, "totp_pending_set", 2, params, &res)) !=
		0)
		goto out;
	rc = page(r, 200, secret, false, NULL);
out:
	PQclear(res);
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

int
h_totp_confirm(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct ob_auth_user *u = ob_auth_current(r);
	const char *typed = ob_form_get(&r->form, "code");
	unsigned char secret[OB_KEY_BYTES];
	char hex[HEX(OB_SEALED_BYTES)], step[24];
	const char *params[3] = { u->session.user_id, step, hex };
	int64_t last = -1;
	bool ok = false;
	int rc;

	memset(secret, 0, sizeof(secret));
	rc = pending(r, secret, hex, sizeof(hex));
	if (rc == OB_ENOENT) {
		rc = page(r, 409, NULL, false,
		    _("Start the set-up again: no new secret is waiting."));
		goto out;
	}
	if (rc != 0)
		goto out;
	rc = typed == NULL
	    ? OB_EINVAL
	    : ob_totp_check(secret, typed, time(NULL), WINDOW, &last);
	if (rc == OB_EPERM || rc == OB_EINVAL) {
		rc = page(r, 400, secret, false,
		    _("That code is not right. Check the time on your phone "
		      "and enter the code the app shows now."));
		goto out;
	}
	if (rc != 0)
		goto out;
	snprintf(step, sizeof(step), "%lld", (long long)last);
	if ((rc = changed(app->db, "totp_confirm", 3, params, &ok)) != 0)
		goto out;
	if (!ok) {
		rc = page(r, 409, NULL, false,
		    _("The set-up was started again elsewhere. Please start "
		      "it again."));
		goto out;
	}
	signin_audit(app->db, u->session.user_id, "auth.mfa_enrol");
	rc = page(r, 200, NULL, true, NULL);
out:
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

/* GET /auth/totp/qr: the pending secret as a QR code for the app. */
int
h_totp_qr(struct ob_req *r)
{
	struct ob_auth_user *u = ob_auth_current(r);
	unsigned char secret[OB_KEY_BYTES];
	struct ob_buf uri = OB_BUF_INIT(1024);
	struct ob_buf svg = OB_BUF_INIT(256 * 1024);
	int rc;

	memset(secret, 0, sizeof(secret));
	/* No set-up under way: OB_ENOENT is a 404. */
	if ((rc = pending(r, secret, NULL, 0)) != 0 ||
	    (rc = ob_totp_uri(ISSUER, u->email, secret, &uri)) != 0 ||
	    (rc = ob_qr_svg(ob_buf_cstr(&uri), &svg)) != 0)
		goto out;
	ob_req_status(r, 200);
	if ((rc = ob_req_header(r, "Content-Type", "image/svg+xml")) != 0)
		goto out;
	rc = ob_req_write(r, svg.data, svg.len);
out:
	sodium_memzero(secret, sizeof(secret));
	ob_buf_release_secret(&uri);
	ob_buf_release_secret(&svg);
	return rc;
}
