/*
 * testdb.h - for unit tests that need a real PostgreSQL server.  The
 * integration tests run them against a scratch database of their stack
 * and name it in OMBUD_TEST_PGHOST, _PGPORT, _PGDATABASE and _PGUSER;
 * without those, the test is skipped (exit 77) under plain meson test.
 */
#ifndef OB_TESTDB_H
#define OB_TESTDB_H

#include <stdio.h>
#include <stdlib.h>

#include "lib/db.h"

#define TESTDB_SKIP 77

/* Fills cfg from the environment; false when no database is named. */
static inline bool
testdb_config(struct ob_db_config *cfg, const char *app)
{
	cfg->host = getenv("OMBUD_TEST_PGHOST");
	cfg->port = getenv("OMBUD_TEST_PGPORT");
	cfg->dbname = getenv("OMBUD_TEST_PGDATABASE");
	cfg->user = getenv("OMBUD_TEST_PGUSER");
	cfg->application_name = app;
	cfg->connect_timeout_s = 5;
	if (!cfg->host || !cfg->port || !cfg->dbname || !cfg->user) {
		fprintf(stderr, "skipped: no OMBUD_TEST_PG* database\n");
		return false;
	}
	return true;
}

/* The first column of the first row of a parameterless statement, or
 * "" (no row, or an error).  Static storage: copy before the next call. */
static inline const char *
testdb_one(struct ob_db *db, const char *stmt)
{
	static char v[256];
	PGresult *res = NULL;

	v[0] = '\0';
	if (ob_db_exec(db, stmt, 0, NULL, &res) == 0 && PQntuples(res) > 0)
		snprintf(v, sizeof(v), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

#endif
