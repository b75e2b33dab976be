/*
 * ombudctl audit verify - walks the audit log's hash chain
 * (sql/0003_audit.sql) and names the first broken row.
 */
#include <stdio.h>
#include <string.h>

#include "services/ombudctl/ctl.h"

static const struct ob_stmt audit_stmts[] = {
	{ "audit_verify",
	    "SELECT bad_id, rows, encode(head, 'hex') FROM "
	    "ombud_audit_verify()",
	    0 },
};

int
ctl_audit(struct ctl *c, int argc, char **argv)
{
	struct ob_db *db;
	PGresult *res = NULL;
	int rc = 1;

	if (argc != 2 || strcmp(argv[1], "verify") != 0) {
		fputs(
		    "usage: ombudctl audit verify\n"
		    "  Checks the hash chain of the audit log; exits 0 when it "
		    "is intact,\n  1 naming the first broken row otherwise.\n",
		    stderr);
		return 2;
	}
	if ((db = ctl_db(c, audit_stmts, OB_NELEM(audit_stmts), NULL, 0)) ==
	    NULL)
		return 1;
	if (ob_db_exec(db, "audit_verify", 0, NULL, &res) != 0) {
		ob_buf_errf(&c->err, "cannot read the audit log");
		goto out;
	}
	if (!PQgetisnull(res, 0, 0)) {
		ob_buf_errf(&c->err,
		    "audit: chain broken at row %s: it was changed, or the "
		    "row before it was deleted",
		    PQgetvalue(res, 0, 0));
		goto out;
	}
	printf("audit: chain intact, %s rows, head %s\n", PQgetvalue(res, 0, 1),
	    PQgetisnull(res, 0, 2) ? "-" : PQgetvalue(res, 0, 2));
	rc = 0;
out:
	PQclear(res);
	ob_db_free(db);
	return rc;
}
