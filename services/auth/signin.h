/*
 * signin.h - the auth pool's handlers (signin.c) and what the pool's
 * master prepares for its children (main.c).
 */
#ifndef OB_SIGNIN_H
#define OB_SIGNIN_H

#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/req.h"
#include "lib/password.h"
#include "lib/throttle.h"

struct signin_state {
	/* Sign-in attempts per second, and concurrent Argon2id runs. */
	struct ob_throttle *throttle;
	/* A credential of no account: unknown e-mails cost the same. */
	struct ob_handler_cred decoy;
	unsigned char decoy_pk[OB_KEY_BYTES];
	/* The password policy's dictionary ([paths] password_dictionary). */
	struct ob_pwdict *dict;
	/* The Argon2id cost of new credentials ([passwords]). */
	struct ob_pwparams params;
};

extern const struct ob_stmt signin_stmts[];
extern const size_t signin_nstmts;
extern const struct ob_stmt password_stmts[];
extern const size_t password_nstmts;
extern const struct ob_stmt totp_stmts[];
extern const size_t totp_nstmts;

/* An audit row for the user's sign-in action. */
void signin_audit(struct ob_db *db, const char *user_id, const char *action);

/* Stores a new credential of user_id (password.c). */
int signin_store_cred(struct ob_db *db, const char *user_id,
    const struct ob_handler_cred *c) OB_MUST_CHECK;

/*
 * Sign-in with an authenticator app (totp.c): 0 when typed is a code
 * of the user's TOTP secret not used before (the mark moves on),
 * OB_EPERM when it is not; kp is the half-signed-in session's keypair,
 * which opens the secret.
 */
int totp_signin_check(struct ob_req *r, const char *user_id,
    const struct ob_keypair *kp, const char *typed) OB_MUST_CHECK;

int h_login_form(struct ob_req *r);
int h_login(struct ob_req *r);
int h_otp_form(struct ob_req *r);
int h_otp(struct ob_req *r);
int h_logout(struct ob_req *r);
int h_password_form(struct ob_req *r);
int h_password(struct ob_req *r);
int h_totp_form(struct ob_req *r);
int h_totp_start(struct ob_req *r);
int h_totp_confirm(struct ob_req *r);
int h_totp_qr(struct ob_req *r);

#endif
