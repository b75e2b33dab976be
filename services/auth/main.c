/*
 * ombud-auth - handler sign-in: password, then a one-time code by SMS
 * or from an authenticator app, then a session (signin.c); the app's
 * enrolment (totp.c); password change (password.c).
 */
#include <sodium.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/auth.h"
#include "lib/otp.h"
#include "lib/outbox.h"
#include "lib/service.h"
#include "lib/session.h"
#include "services/auth/signin.h"

/*
 * [auth] signin_per_second and signin_burst: sign-in attempts across
 * the pool; argon_at_once: Argon2id runs (64 MiB each) at the same time.
 */
static const char *const config_keys[] = { "signin_per_second", "signin_burst",
	"argon_at_once", NULL };

static const struct ob_field_spec login_fields[] = {
	{ "email", 254 },
	{ "password", 1024 },
	{ NULL, 0 },
};

static const struct ob_field_spec otp_fields[] = {
	{ "code", 32 },
	{ NULL, 0 },
};

static const struct ob_field_spec password_fields[] = {
	{ "current", 1024 },
	{ "new", 1024 },
	{ NULL, 0 },
};

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/healthz", ob_health_handler, PUBLIC, NULL),
	OB_ROUTE(GET, "/auth/login", h_login_form, PUBLIC, NULL),
	OB_ROUTE(POST, "/auth/login", h_login, PUBLIC, login_fields),
	OB_ROUTE(GET, "/auth/otp", h_otp_form, SIGNIN, NULL),
	OB_ROUTE(POST, "/auth/otp", h_otp, SIGNIN, otp_fields),
	OB_ROUTE(POST, "/auth/logout", h_logout, SIGNIN, NULL),
	OB_ROUTE(GET, "/auth/password", h_password_form, HANDLER, NULL),
	OB_ROUTE(POST, "/auth/password", h_password, HANDLER, password_fields),
	OB_ROUTE(GET, "/auth/totp", h_totp_form, HANDLER, NULL),
	OB_ROUTE(POST, "/auth/totp/start", h_totp_start, HANDLER, NULL),
	OB_ROUTE(POST, "/auth/totp", h_totp_confirm, HANDLER, otp_fields),
	OB_ROUTE(GET, "/auth/totp/qr", h_totp_qr, HANDLER, NULL),
};

static struct signin_state state;

static int
setup(struct ob_app *app, struct ob_buf *err)
{
	struct ob_keypair *kp;
	unsigned char pw[32];
	uint64_t rate, burst, argon;
	const char *dict = NULL;
	struct ob_ad ad;
	int rc;

	if ((rc = ob_config_uint_opt(app->cfg, "auth", "signin_per_second", 1,
		 10000, 20, &rate, err)) != 0 ||
	    (rc = ob_config_uint_opt(app->cfg, "auth", "signin_burst", 1, 10000,
		 40, &burst, err)) != 0 ||
	    (rc = ob_config_uint_opt(app->cfg, "auth", "argon_at_once", 1, 256,
		 4, &argon, err)) != 0)
		return rc;

	if (ob_otp_init() != 0) {
		ob_buf_seterr(err, "liboath failed to initialise");
		return OB_EINTERNAL;
	}
	state.throttle = ob_throttle_create(
	    (unsigned)rate, (unsigned)burst, (unsigned)argon);
	if (state.throttle == NULL) {
		ob_buf_seterr(err, "cannot make the sign-in throttle");
		return OB_EINTERNAL;
	}
	/* A credential for no one, with the default cost: an unknown
	 * e-mail address runs the same Argon2id as a known one. */
	if ((rc = ob_pwparams_load(app->cfg, &state.params, err)) != 0)
		return rc;
	kp = ob_keypair_new();
	randombytes_buf(pw, sizeof(pw));
	ob_ad_user(&ad, "0");
	rc = ob_handler_cred_set(
	    (const char *)pw, sizeof(pw), kp, &state.params, &ad, &state.decoy);
	memcpy(state.decoy_pk, ob_keypair_pk(kp), OB_KEY_BYTES);
	sodium_memzero(pw, sizeof(pw));
	ob_keypair_free(kp);
	if (rc != 0) {
		ob_buf_seterr(err, "cannot make the decoy credential");
		return rc;
	}
	if ((rc = ob_config_str_opt(app->cfg, "paths", "password_dictionary",
		 OB_PW_DICT_DEFAULT, &dict, err)) != 0 ||
	    (rc = ob_pwdict_load(dict, &state.dict, err)) != 0)
		return rc;
	app->state = &state;
	return 0;
}

static const struct ob_stmt *const more[] = { ob_auth_stmts, ob_session_stmts,
	ob_outbox_queue_stmts, password_stmts, totp_stmts, ob_audit_stmts,
	NULL };
static size_t nmore[6];

static struct ob_service auth = {
	.name = "auth",
	.routes = routes,
	.nroutes = OB_NELEM(routes),
	.stmts = signin_stmts,
	.authorize = ob_auth_authorize,
	.setup = setup,
	.config_keys = config_keys,
	.more_stmts = more,
	.more_nstmts = nmore,
	.default_max_body = 64 * 1024,
};

int
main(int argc, char **argv)
{
	auth.nstmts = signin_nstmts;
	nmore[0] = ob_auth_nstmts;
	nmore[1] = ob_session_nstmts;
	nmore[2] = ob_outbox_queue_nstmts;
	nmore[3] = password_nstmts;
	nmore[4] = totp_nstmts;
	nmore[5] = ob_audit_nstmts;
	return ob_service_main(&auth, argc, argv);
}
