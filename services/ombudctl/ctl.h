/*
 * ctl.h - what ombudctl's commands share.  Each command is a function
 * in its own file (migrate.c, audit.c, backup.c, retention.c, tenant.c,
 * user.c, scrub.c), listed in main.c's table; it parses its own
 * options, prints what the operator needs on stdout, and returns the
 * exit status: 0 done, 1 failed (with a message in c->err), 2 usage.
 */
#ifndef OB_CTL_H
#define OB_CTL_H

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/db.h"
#include "lib/settings.h"

struct ctl {
	struct ob_config *cfg;
	struct ob_settings settings;
	struct ob_buf err;
};

/*
 * A connected database handle with the given statement tables (either
 * may be NULL), as the [ombudctl] user; NULL (and a message) when the
 * database cannot be reached.  Statements are prepared at connect:
 * `migrate` connects before the tables exist, so it names none.
 */
struct ob_db *ctl_db(struct ctl *c, const struct ob_stmt *a, size_t na,
    const struct ob_stmt *b, size_t nb);

/* Prints rows of res as aligned columns with a header line. */
void ctl_print_table(PGresult *res);

/* Runs one parameterless statement and prints its rows; the exit
 * status. */
int ctl_print_query(struct ctl *c, const struct ob_stmt *stmt);

/* Reads one line from stdin (a password) into buf without its newline;
 * OB_EINVAL when stdin is empty, OB_ETOOBIG beyond max bytes. */
int ctl_read_secret_line(char *buf, size_t max, size_t *len) OB_MUST_CHECK;

int ctl_migrate(struct ctl *c, int argc, char **argv);
int ctl_audit(struct ctl *c, int argc, char **argv);
int ctl_backup(struct ctl *c, int argc, char **argv);
int ctl_tenant(struct ctl *c, int argc, char **argv);
int ctl_user(struct ctl *c, int argc, char **argv);
int ctl_scrub(struct ctl *c, int argc, char **argv);
int ctl_retention(struct ctl *c, int argc, char **argv);

#endif
