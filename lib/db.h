/*
 * db.h - one PostgreSQL connection per pool child.
 *
 * A service declares its SQL once, as a table of named statements; they
 * are prepared when the connection is made (and again after a
 * reconnect), and requests run them by name with parameters.  There is
 * no way to run SQL text through this module: SQL is never built from
 * strings (STYLE.md).  The connection is made lazily, so a child starts
 * even while the database is down and /healthz can say so.
 *
 * After the server restarts, the next call notices the broken
 * connection, reconnects, prepares again and retries once, unless a
 * transaction was open (its work is lost; the caller sees OB_EDB).
 * Every statement runs under statement_timeout.
 */
#ifndef OB_DB_H
#define OB_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "lib/ob.h"

struct ob_stmt {
	const char *name;
	const char *sql;
	int nparams;
};

struct ob_db_config {
	const char *host; /* socket directory or host name */
	const char *port;
	const char *dbname;
	const char *user;
	const char *application_name;
	unsigned statement_timeout_ms;
	unsigned connect_timeout_s;
};

struct ob_db;

/*
 * Creates a handle; nothing is connected yet.  The configuration and
 * the statement table must outlive the handle (they are normally static
 * or owned by the loaded configuration).
 */
struct ob_db *ob_db_new(
    const struct ob_db_config *cfg, const struct ob_stmt *stmts, size_t nstmts);
void ob_db_free(struct ob_db *db);

/*
 * Adds another statement table (a library module's, such as
 * ob_accounts_stmts) to be prepared with the service's.  Only before
 * the first connect; at most OB_DB_MAX_TABLES tables in all.
 */
#define OB_DB_MAX_TABLES 16
void ob_db_add_stmts(struct ob_db *db, const struct ob_stmt *stmts, size_t n);

/* Connects (if needed) and prepares every statement. */
int ob_db_connect(struct ob_db *db) OB_MUST_CHECK;

/*
 * Runs the prepared statement name with nparams text parameters (NULL
 * for SQL NULL).  On success *res holds a PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK result the caller must PQclear().  OB_EDB on any
 * failure (logged without parameters); *res is NULL then.
 * OB_ENOENT for a name missing from the statement table: a bug.
 */
int ob_db_exec(struct ob_db *db, const char *name, int nparams,
    const char *const *params, PGresult **res) OB_MUST_CHECK;

/* ob_db_exec for a statement whose rows nobody reads (an INSERT, an
 * UPDATE, a function called for its effect): the result is freed. */
int ob_db_run(struct ob_db *db, const char *name, int nparams,
    const char *const *params) OB_MUST_CHECK;

/*
 * Runs fn inside BEGIN ... COMMIT.  If fn returns non-zero, or COMMIT
 * fails, the transaction is rolled back and that code (or OB_EDB) is
 * returned.  Transactions do not nest.
 */
int ob_db_tx(struct ob_db *db, int (*fn)(struct ob_db *db, void *arg),
    void *arg) OB_MUST_CHECK;

/* True inside ob_db_tx. */
bool ob_db_in_tx(const struct ob_db *db);

/* The SQLSTATE of the last failure ("" if none), for callers that map
 * unique violations and such to user messages. */
const char *ob_db_sqlstate(const struct ob_db *db);

/*
 * bytea parameters and results, in PostgreSQL's hex format ("\x0a1b").
 * ob_db_hex writes n bytes as such into out, which holds 2 * n + 3
 * bytes (OB_ETOOBIG otherwise).  ob_db_unhex decodes a result value
 * that must hold exactly want bytes (OB_EINVAL otherwise).
 */
int ob_db_hex(
    const unsigned char *p, size_t n, char *out, size_t outsz) OB_MUST_CHECK;
int ob_db_unhex(const char *v, unsigned char *out, size_t want) OB_MUST_CHECK;

/* Round trip to the server; 0 when it answers. */
int ob_db_ping(struct ob_db *db) OB_MUST_CHECK;

/*
 * The underlying connection, for the migration runner only (it sends
 * whole migration files, which are ours).  NULL when not connected.
 */
PGconn *ob_db_migration_conn(struct ob_db *db);

#endif
