/*
 * The database module against a real server.  Needs OMBUD_TEST_PGHOST,
 * OMBUD_TEST_PGPORT, OMBUD_TEST_PGDATABASE and OMBUD_TEST_PGUSER (the
 * integration tests set them against their stack); skipped otherwise.
 */
#include "lib/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/check.h"
#include "test/unit/testdb.h"

static const struct ob_stmt stmts[] = {
	{ "t_add", "SELECT $1::int + $2::int", 2 },
	{ "t_sleep", "SELECT pg_sleep($1::float8)", 1 },
	{ "t_pid", "SELECT pg_backend_pid()", 0 },
	{ "t_term", "SELECT pg_terminate_backend($1::int)", 1 },
	{ "t_ins", "INSERT INTO t VALUES ($1::int)", 1 },
	{ "t_count", "SELECT count(*) FROM t", 0 },
};

/* Statements are prepared at connect, so their tables must exist first. */
static const struct ob_stmt setup[] = {
	{ "t_mk", "CREATE TABLE IF NOT EXISTS t (x int)", 0 },
};

static struct ob_db_config cfg;

static int
add(struct ob_db *db, const char *a, const char *b, char *out, size_t n)
{
	const char *params[] = { a, b };
	PGresult *res = NULL;
	int rc = ob_db_exec(db, "t_add", 2, params, &res);

	if (rc == 0)
		snprintf(out, n, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return rc;
}

static int
insert_then(struct ob_db *db, void *arg)
{
	const char *params[] = { "1" };
	PGresult *res = NULL;
	int rc = ob_db_exec(db, "t_ins", 1, params, &res);

	PQclear(res);
	CHECK(ob_db_in_tx(db));
	return rc != 0 ? rc : *(int *)arg;
}

static void
kill_backend(struct ob_db *victim, struct ob_db *killer)
{
	char pid[32];
	const char *params[] = { pid };
	PGresult *res = NULL;

	snprintf(pid, sizeof(pid), "%s", testdb_one(victim, "t_pid"));
	CHECK(pid[0] != '\0');
	CHECK_INT(ob_db_exec(killer, "t_term", 1, params, &res), 0);
	PQclear(res);
}

static int
insert_after_kill(struct ob_db *db, void *arg)
{
	const char *params[] = { "2" };
	PGresult *res = NULL;
	int rc;

	kill_backend(db, arg);
	rc = ob_db_exec(db, "t_ins", 1, params, &res);
	PQclear(res);
	return rc;
}

int
main(void)
{
	struct ob_db *db, *other;
	char v[32];
	int fail = OB_EINVAL, ok = 0;
	PGresult *res = NULL;

	if (!testdb_config(&cfg, "test_db"))
		return TESTDB_SKIP;
	cfg.statement_timeout_ms = 300;

	db = ob_db_new(&cfg, setup, OB_NELEM(setup));
	CHECK_STR(testdb_one(db, "t_mk"), "");
	ob_db_free(db);

	db = ob_db_new(&cfg, stmts, OB_NELEM(stmts));
	other = ob_db_new(&cfg, stmts, OB_NELEM(stmts));
	CHECK_INT(ob_db_connect(db), 0);
	CHECK_INT(ob_db_ping(db), 0);
	CHECK_INT(add(db, "2", "3", v, sizeof(v)), 0);
	CHECK_STR(v, "5");
	CHECK_INT(ob_db_exec(db, "no_such", 0, NULL, &res), OB_ENOENT);
	CHECK(res == NULL);

	/* Parameters are data, never SQL. */
	CHECK_INT(add(db, "1; DROP TABLE x", "1", v, sizeof(v)), OB_EDB);
	CHECK_STR(ob_db_sqlstate(db), "22P02");

	/* statement_timeout applies to every statement. */
	{
		const char *params[] = { "2" };

		CHECK_INT(ob_db_exec(db, "t_sleep", 1, params, &res), OB_EDB);
		CHECK_STR(ob_db_sqlstate(db), "57014");
	}

	/* Transactions commit, or roll back on the callback's error. */
	CHECK_INT(ob_db_tx(db, insert_then, &fail), OB_EINVAL);
	CHECK_STR(testdb_one(db, "t_count"), "0");
	CHECK_INT(ob_db_tx(db, insert_then, &ok), 0);
	CHECK_STR(testdb_one(db, "t_count"), "1");
	CHECK(!ob_db_in_tx(db));

	/* A server-side disconnect is survived: reconnect, re-prepare,
	 * retry once. */
	kill_backend(db, other);
	CHECK_INT(add(db, "20", "22", v, sizeof(v)), 0);
	CHECK_STR(v, "42");

	/* ...but never inside a transaction, whose work is gone. */
	CHECK_INT(ob_db_tx(db, insert_after_kill, other), OB_EDB);
	CHECK(!ob_db_in_tx(db));
	CHECK_INT(add(db, "1", "1", v, sizeof(v)), 0);
	CHECK_STR(v, "2");

	ob_db_free(other);
	ob_db_free(db);
	return CHECK_DONE();
}
