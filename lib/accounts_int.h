/*
 * accounts_int.h - what lib/accounts.c and lib/accounts_admin.c share.
 * Not part of the library's API.
 */
#ifndef OB_ACCOUNTS_INT_H
#define OB_ACCOUNTS_INT_H

#include "lib/accounts.h"

#define OB_ACC_HEX(n) (2 * (n) + 3)

/*
 * Runs a statement of ob_accounts_stmts; the result, if wanted, goes to
 * *res (the caller clears it).  On error err says what the database
 * refused, in words for the operator.
 */
int ob_acc_run(struct ob_db *db, const char *stmt, int n,
    const char *const *params, PGresult **res,
    struct ob_buf *err) OB_MUST_CHECK;

/* An audit row with no actor (an operator's command); tenant_id may be
 * NULL.  Register ob_audit_stmts (lib/audit.h) too. */
int ob_acc_audit(struct ob_db *db, const char *tenant_id, const char *action,
    const char *detail, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Runs fn in a transaction of its own, or inside the caller's when
 * there is one (the admin pages run under the session's row-level
 * security, lib/auth.h ob_auth_tx).
 */
int ob_acc_tx(struct ob_db *db, int (*fn)(struct ob_db *db, void *arg),
    void *arg) OB_MUST_CHECK;

/* Lower-cases an address into out; false if it is too long. */
bool ob_acc_normal_email(const char *e, char out[256]);

/* 0, or OB_EINVAL with one line per unmet rule of the policy in err. */
int ob_acc_policy(const char *password, const char *email,
    const struct ob_pwdict *dict, struct ob_buf *err) OB_MUST_CHECK;

/* A credential and public key as the text parameters of users' columns. */
struct ob_acc_cred_hex {
	char salt[OB_ACC_HEX(OB_SALT_BYTES)];
	char ver[OB_ACC_HEX(OB_KEY_BYTES)];
	char pk[OB_ACC_HEX(OB_KEY_BYTES)];
	char wr[OB_ACC_HEX(OB_WRAPPED_SK_BYTES)];
	char ops[24], mem[24];
};

int ob_acc_cred_hex(const struct ob_handler_cred *c,
    const struct ob_keypair *kp, struct ob_acc_cred_hex *h) OB_MUST_CHECK;

/* Who holds a tenant's key: its recovery key, or the key itself. */
struct ob_acc_holder {
	const struct ob_keypair *recovery;
	const struct ob_keypair *tenant; /* wins when not NULL */
};

/*
 * Inserts the membership of user uid in tenant tid, the tenant's secret
 * key sealed to user_pk: holder->tenant when given (it must be the key
 * of tenant_pk), else opened from recovery_sealed with holder->recovery.
 * OB_EPERM when the holder's key is not the tenant's.
 */
int ob_acc_seal_membership(struct ob_db *db, const char *tid, const char *uid,
    const unsigned char user_pk[OB_KEY_BYTES],
    const unsigned char tenant_pk[OB_KEY_BYTES],
    const unsigned char recovery_sealed[OB_SEALED_BYTES],
    const struct ob_acc_holder *holder, struct ob_buf *err) OB_MUST_CHECK;

#endif
