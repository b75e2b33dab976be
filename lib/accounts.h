/*
 * accounts.h - tenants, handlers and who may read which tenant.
 *
 * The operations behind `ombudctl tenant ...` and `ombudctl user ...`,
 * in the library so that the admin pages (issue 6) do the same thing.
 * Each runs in one transaction with its audit row (the caller's, when
 * called inside ob_db_tx: the admin pages); keys are made and
 * sealed here (lib/crypto.h), so a caller never holds a tenant's secret
 * key longer than the call.  Register ob_accounts_stmts and
 * ob_audit_stmts (lib/audit.h) with ob_db_add_stmts before connecting.
 *
 * E-mail addresses are compared in lower case everywhere.
 *
 * Errors carry a message for the operator in err: OB_EINVAL (bad input,
 * or a password the policy refuses: one line per unmet rule), OB_ENOENT
 * (no such tenant or user), OB_EPERM (the recovery key does not open the
 * tenant), OB_EDB (the database refused; a duplicate slug or e-mail
 * says so).
 */
#ifndef OB_ACCOUNTS_H
#define OB_ACCOUNTS_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/ob.h"
#include "lib/password.h"

extern const struct ob_stmt ob_accounts_stmts[];
extern const size_t ob_accounts_nstmts;

/*
 * Creates a tenant with a new keypair, and a new recovery keypair to
 * which the tenant's secret key is sealed.  keep is called with the
 * recovery key's string (ob_recovery_export) inside the transaction,
 * to store it where the operator asked; if it fails (non-zero, with a
 * message in err), nothing is created.  The string is wiped after the
 * call.  retention_days 1..3650.
 */
int ob_tenant_add(struct ob_db *db, const char *slug, const char *name,
    unsigned retention_days,
    int (*keep)(const char *recovery, void *arg, struct ob_buf *err),
    void *keep_arg, struct ob_buf *err) OB_MUST_CHECK;

struct ob_user_new {
	const char *email; /* lower-cased here */
	const char *phone; /* E.164: +4512345678; may be NULL */
	const char *role; /* admin | lawyer | tenant-user */
	const char *password;
	size_t password_len;
	const struct ob_pwparams *params; /* NULL: ob_pwparams_default */
};

/*
 * Creates a handler: checks the password policy against dict (and the
 * e-mail), makes a keypair and wraps its secret key under the password.
 * *id_out gets the new user's id.
 */
int ob_user_add(struct ob_db *db, const struct ob_user_new *u,
    const struct ob_pwdict *dict, long long *id_out,
    struct ob_buf *err) OB_MUST_CHECK;

/*
 * Lets the user read tenant slug: opens the tenant's secret key with
 * the recovery key and seals it to the user.  A tenant-user belongs to
 * one tenant only; granting a second is OB_EINVAL.  Granting again is a
 * no-op.
 */
int ob_user_grant(struct ob_db *db, const char *email, const char *slug,
    const struct ob_keypair *recovery, struct ob_buf *err) OB_MUST_CHECK;

/*
 * The same, by someone who holds the tenant's key already (a member,
 * through their session: lib/auth.h ob_auth_tenant_key).  OB_EPERM if
 * tenant_kp is not the tenant's.
 */
int ob_user_grant_as_member(struct ob_db *db, const char *email,
    const char *slug, const struct ob_keypair *tenant_kp,
    struct ob_buf *err) OB_MUST_CHECK;

/*
 * The admin actions on an account (lib/accounts_admin.c), each with its
 * audit row:
 *   OB_USER_DISABLE    the user can no longer sign in; sessions end;
 *   OB_USER_ENABLE     undoes it, and clears a sign-in lock;
 *   OB_USER_UNLOCK     clears the lock after ten failed sign-ins;
 *   OB_USER_RESET_MFA  forgets the authenticator app: the next sign-in
 *                      sends a code by SMS again; sessions end.
 */
enum ob_user_change {
	OB_USER_DISABLE,
	OB_USER_ENABLE,
	OB_USER_UNLOCK,
	OB_USER_RESET_MFA,
};

int ob_user_change(struct ob_db *db, const char *email,
    enum ob_user_change what, struct ob_buf *err) OB_MUST_CHECK;

/*
 * A lost password (DESIGN "a lost password is recovered by
 * re-granting"): the old secret key cannot be opened without the old
 * password, so the user gets a new keypair wrapped under the new
 * password (which must meet the policy), the authenticator app is
 * forgotten (its secret was sealed to the old key), the lock is
 * cleared, and every session ends.  Each tenant the user belonged to
 * is granted again when one of the recovery keys opens it; the others
 * are dropped until someone who holds them grants them again.  report
 * gets one line per tenant: "granted again: SLUG" or "not granted
 * again: SLUG".  One transaction: on error nothing changed.
 */
struct ob_user_reset {
	const char *email;
	const char *password;
	size_t password_len;
	const struct ob_pwparams *params; /* NULL: ob_pwparams_default */
	struct ob_keypair *const *recovery; /* nrecovery keys, may be 0 */
	size_t nrecovery;
};

int ob_user_reset_password(struct ob_db *db, const struct ob_user_reset *u,
    const struct ob_pwdict *dict, struct ob_buf *report,
    struct ob_buf *err) OB_MUST_CHECK;

#endif
