#include "lib/db.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

struct ob_db {
	const struct ob_db_config *cfg;
	/* Statement tables: the service's, and any a library module adds. */
	struct {
		const struct ob_stmt *stmts;
		size_t n;
	} tables[OB_DB_MAX_TABLES];
	size_t ntables;
	PGconn *conn;
	bool in_tx;
	char sqlstate[6];
};

/* Statements the module itself needs, prepared with the service's. */
static const struct ob_stmt internal[] = {
	{ "ob_begin", "BEGIN", 0 },
	{ "ob_commit", "COMMIT", 0 },
	{ "ob_rollback", "ROLLBACK", 0 },
	{ "ob_ping", "SELECT 1", 0 },
};

struct ob_db *
ob_db_new(
    const struct ob_db_config *cfg, const struct ob_stmt *stmts, size_t nstmts)
{
	struct ob_db *db = ob_xcalloc(1, sizeof(*db));

	db->cfg = cfg;
	ob_db_add_stmts(db, stmts, nstmts);
	return db;
}

void
ob_db_add_stmts(struct ob_db *db, const struct ob_stmt *stmts, size_t n)
{
	if (stmts == NULL || n == 0)
		return;
	if (db->ntables == OB_DB_MAX_TABLES)
		ob_die("db: too many statement tables (OB_DB_MAX_TABLES)");
	if (db->conn != NULL)
		ob_die("db: statement tables are added before connecting");
	db->tables[db->ntables].stmts = stmts;
	db->tables[db->ntables].n = n;
	db->ntables++;
}

void
ob_db_free(struct ob_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db);
}

bool
ob_db_in_tx(const struct ob_db *db)
{
	return db->in_tx;
}

const char *
ob_db_sqlstate(const struct ob_db *db)
{
	return db->sqlstate;
}

static void
note_failure(struct ob_db *db, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (ob_strlcpy(db->sqlstate, st ? st : "", sizeof(db->sqlstate)) != 0)
		db->sqlstate[0] = '\0';
}

static int
prepare_one(struct ob_db *db, const struct ob_stmt *s)
{
	PGresult *res = PQprepare(db->conn, s->name, s->sql, s->nparams, NULL);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		note_failure(db, res);
		/* The statement text is ours, not user data: safe to log. */
		ob_log_error(NULL, "db: prepare %s failed: %s", s->name,
		    PQresultErrorMessage(res));
		rc = OB_EDB;
	}
	PQclear(res);
	return rc;
}

static int
prepare_all(struct ob_db *db)
{
	for (size_t i = 0; i < OB_NELEM(internal); i++)
		if (prepare_one(db, &internal[i]) != 0)
			return OB_EDB;
	for (size_t t = 0; t < db->ntables; t++)
		for (size_t i = 0; i < db->tables[t].n; i++)
			if (prepare_one(db, &db->tables[t].stmts[i]) != 0)
				return OB_EDB;
	return 0;
}

int
ob_db_connect(struct ob_db *db)
{
	char options[64], timeout[16];
	const char *keys[9], *vals[9];
	int n = 0;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (db->conn != NULL) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	snprintf(options, sizeof(options), "-c statement_timeout=%u",
	    db->cfg->statement_timeout_ms);
	snprintf(timeout, sizeof(timeout), "%u",
	    db->cfg->connect_timeout_s ? db->cfg->connect_timeout_s : 5);
	/* Keywords and values, never a conninfo string built from parts. */
	keys[n] = "host", vals[n++] = db->cfg->host;
	keys[n] = "port", vals[n++] = db->cfg->port;
	keys[n] = "dbname", vals[n++] = db->cfg->dbname;
	keys[n] = "user", vals[n++] = db->cfg->user;
	keys[n] = "application_name", vals[n++] = db->cfg->application_name;
	keys[n] = "options", vals[n++] = options;
	keys[n] = "connect_timeout", vals[n++] = timeout;
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	keys[n] = NULL, vals[n] = NULL;

	db->conn = PQconnectdbParams(keys, vals, 0);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		ob_log_error(
		    NULL, "db: connect failed: %s", PQerrorMessage(db->conn));
		PQfinish(db->conn);
		db->conn = NULL;
		return OB_EDB;
	}
	if (prepare_all(db) != 0) {
		PQfinish(db->conn);
		db->conn = NULL;
		return OB_EDB;
	}
	db->in_tx = false;
	return 0;
}

static bool
known(const struct ob_db *db, const char *name)
{
	for (size_t i = 0; i < OB_NELEM(internal); i++)
		if (strcmp(internal[i].name, name) == 0)
			return true;
	for (size_t t = 0; t < db->ntables; t++)
		for (size_t i = 0; i < db->tables[t].n; i++)
			if (strcmp(db->tables[t].stmts[i].name, name) == 0)
				return true;
	return false;
}

int
ob_db_exec(struct ob_db *db, const char *name, int nparams,
    const char *const *params, PGresult **res)
{
	PGresult *r = NULL;
	ExecStatusType st;

	*res = NULL;
	db->sqlstate[0] = '\0';
	if (!known(db, name)) {
		ob_log_error(NULL, "db: unknown statement %s", name);
		return OB_ENOENT;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (ob_db_connect(db) != 0)
			return OB_EDB;
		r = PQexecPrepared(
		    db->conn, name, nparams, params, NULL, NULL, 0);
		st = PQresultStatus(r);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			*res = r;
			return 0;
		}
		note_failure(db, r);
		if (PQstatus(db->conn) == CONNECTION_OK) {
			/* The server answered with an error: no retry. */
			ob_log_error(NULL, "db: %s failed: sqlstate %s", name,
			    db->sqlstate);
			PQclear(r);
			return OB_EDB;
		}
		PQclear(r);
		r = NULL;
		ob_log_warn(NULL, "db: connection lost during %s", name);
		PQfinish(db->conn);
		db->conn = NULL;
		if (db->in_tx) {
			/* The open transaction died with the connection. */
			return OB_EDB;
		}
	}
	return OB_EDB;
}

int
ob_db_run(
    struct ob_db *db, const char *name, int nparams, const char *const *params)
{
	PGresult *res = NULL;
	int rc = ob_db_exec(db, name, nparams, params, &res);

	PQclear(res);
	return rc;
}

static int
simple(struct ob_db *db, const char *name)
{
	return ob_db_run(db, name, 0, NULL);
}

int
ob_db_tx(struct ob_db *db, int (*fn)(struct ob_db *db, void *arg), void *arg)
{
	int rc;

	if (db->in_tx)
		ob_die("db: nested transaction");
	if ((rc = simple(db, "ob_begin")) != 0)
		return rc;
	db->in_tx = true;
	rc = fn(db, arg);
	if (rc == 0)
		rc = simple(db, "ob_commit");
	if (rc != 0 && db->conn != NULL &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		(void)simple(db, "ob_rollback");
	db->in_tx = false;
	return rc;
}

int
ob_db_ping(struct ob_db *db)
{
	return simple(db, "ob_ping");
}

PGconn *
ob_db_migration_conn(struct ob_db *db)
{
	return db->conn;
}

int
ob_db_hex(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	if (n > (SIZE_MAX - 3) / 2 || outsz < 2 * n + 3)
		return OB_ETOOBIG;
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, outsz - 2, p, n);
	return 0;
}

int
ob_db_unhex(const char *v, unsigned char *out, size_t want)
{
	size_t got = 0;

	if (v == NULL || v[0] != '\\' || v[1] != 'x' ||
	    strlen(v + 2) != 2 * want)
		return OB_EINVAL;
	if (sodium_hex2bin(out, want, v + 2, 2 * want, NULL, &got, NULL) != 0 ||
	    got != want) {
		sodium_memzero(out, want);
		return OB_EINVAL;
	}
	return 0;
}
