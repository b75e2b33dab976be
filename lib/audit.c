#include "lib/audit.h"

const struct ob_stmt ob_audit_stmts[] = {
	{ "audit_insert",
	    "INSERT INTO audit_log (actor_id, tenant_id, case_id, action, "
	    "detail) VALUES ($1, $2, $3, $4, $5)",
	    5 },
};
const size_t ob_audit_nstmts = OB_NELEM(ob_audit_stmts);

int
ob_audit(struct ob_db *db, const char *actor_id, const char *tenant_id,
    const char *case_id, const char *action, const char *detail)
{
	const char *params[5] = { actor_id, tenant_id, case_id, action,
		detail != NULL ? detail : "" };
	PGresult *res = NULL;
	int rc = ob_db_exec(db, "audit_insert", 5, params, &res);

	PQclear(res);
	return rc;
}
