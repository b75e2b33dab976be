/*
 * What ombudctl's commands share (ctl.h).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "services/ombudctl/ctl.h"

struct ob_db *
ctl_db(struct ctl *c, const struct ob_stmt *a, size_t na,
    const struct ob_stmt *b, size_t nb)
{
	struct ob_db *db;

	c->settings.db.application_name = "ombudctl";
	db = ob_db_new(&c->settings.db, a, na);
	ob_db_add_stmts(db, b, nb);
	if (ob_db_connect(db) != 0) {
		ob_buf_seterr(&c->err,
		    "cannot connect to the database %s on %s "
		    "as %s",
		    c->settings.db.dbname, c->settings.db.host,
		    c->settings.db.user);
		ob_db_free(db);
		return NULL;
	}
	return db;
}

void
ctl_print_table(PGresult *res)
{
	int rows = PQntuples(res), cols = PQnfields(res);
	size_t width[32] = { 0 };

	if (cols > 32)
		cols = 32;
	for (int j = 0; j < cols; j++) {
		width[j] = strlen(PQfname(res, j));
		for (int i = 0; i < rows; i++)
			if (strlen(PQgetvalue(res, i, j)) > width[j])
				width[j] = strlen(PQgetvalue(res, i, j));
	}
	for (int j = 0; j < cols; j++)
		printf("%-*s%s", j + 1 < cols ? (int)width[j] : 0,
		    PQfname(res, j), j + 1 < cols ? "  " : "\n");
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++)
			printf("%-*s%s", j + 1 < cols ? (int)width[j] : 0,
			    PQgetvalue(res, i, j), j + 1 < cols ? "  " : "\n");
}

int
ctl_read_secret_line(char *buf, size_t max, size_t *len)
{
	size_t n = 0;
	int ch;

	while ((ch = getchar()) != EOF && ch != '\n') {
		if (n + 1 >= max) {
			/* Drain the rest so nothing echoes later. */
			while ((ch = getchar()) != EOF && ch != '\n')
				;
			sodium_memzero(buf, max);
			return OB_ETOOBIG;
		}
		buf[n++] = (char)ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return n == 0 ? OB_EINVAL : 0;
}

int
ctl_print_query(struct ctl *c, const struct ob_stmt *stmt)
{
	struct ob_db *db;
	PGresult *res = NULL;
	int rc = 1;

	if ((db = ctl_db(c, stmt, 1, NULL, 0)) == NULL)
		return 1;
	if (ob_db_exec(db, stmt->name, 0, NULL, &res) == 0) {
		ctl_print_table(res);
		rc = 0;
	} else {
		ob_buf_seterr(&c->err, "%s failed", stmt->name);
	}
	PQclear(res);
	ob_db_free(db);
	return rc;
}
