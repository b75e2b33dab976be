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
};

extern const struct ob_stmt signin_stmts[];
extern const size_t signin_nstmts;
extern const struct ob_stmt password_stmts[];
extern const size_t password_nstmts;

/* An audit row for the user's sign-in action. */
void signin_audit(struct ob_db *db, const char *user_id, const char *action);

int h_login_form(struct ob_req *r);
int h_login(struct ob_req *r);
int h_otp_form(struct ob_req *r);
int h_otp(struct ob_req *r);
int h_logout(struct ob_req *r);
int h_password_form(struct ob_req *r);
int h_password(struct ob_req *r);

#endif
