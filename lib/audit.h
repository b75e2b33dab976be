/*
 * audit.h - one row in the tamper-evident audit log per handler action
 * (DESIGN "the audit table accepts INSERT only, and each row carries
 * the hash of the previous one"; sql/0003_audit.sql computes the chain).
 *
 * A row says who (users.id, or NULL for an operator's command), which
 * tenant and case (either may be NULL), what (an action name such as
 * "case.view", [a-z][a-z0-9_.]*) and a short detail; the database adds
 * when.  Never put content, secrets, receipts or addresses in detail:
 * field names, statuses and e-mail addresses of handlers are fine.
 * Register ob_audit_stmts; every service role may insert.
 */
#ifndef OB_AUDIT_H
#define OB_AUDIT_H

#include "lib/db.h"
#include "lib/ob.h"

extern const struct ob_stmt ob_audit_stmts[];
extern const size_t ob_audit_nstmts;

/*
 * Writes the row, in the caller's transaction if there is one, so the
 * action and its record commit together.  detail NULL is "".  A
 * database error as ob_db_exec gives it.
 */
int ob_audit(struct ob_db *db, const char *actor_id, const char *tenant_id,
    const char *case_id, const char *action, const char *detail) OB_MUST_CHECK;

#endif
