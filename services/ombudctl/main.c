/*
 * ombudctl - the operator's tool.  Later issues add commands; each is a
 * function in the table below.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/config.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/migrate.h"
#include "lib/service.h"

struct ctl {
	struct ob_config *cfg;
	struct ob_settings settings;
	struct ob_buf err;
};

static int
cmd_migrate(struct ctl *c, int argc, char **argv)
{
	struct ob_db *db;
	const char *sql_dir;
	int applied = 0, rc;

	if (argc != 1) {
		fputs("usage: ombudctl migrate\n", stderr);
		return 2;
	}
	if (ob_config_str(c->cfg, "paths", "sql", &sql_dir, &c->err) != 0)
		return 1;
	c->settings.db.application_name = "ombudctl";
	db = ob_db_new(&c->settings.db, NULL, 0);
	if (ob_db_connect(db) != 0) {
		ob_buf_errf(&c->err, "%s", "cannot connect to the database");
		ob_db_free(db);
		return 1;
	}
	rc = ob_migrate_run(
	    ob_db_migration_conn(db), sql_dir, stdout, &applied, &c->err);
	ob_db_free(db);
	if (rc != 0)
		return 1;
	printf("migrations: %d applied, database is current\n", applied);
	return 0;
}

static const struct ob_stmt audit_stmts[] = {
	{ "audit_verify",
	    "SELECT bad_id, rows, encode(head, 'hex') FROM "
	    "ombud_audit_verify()",
	    0 },
};

static int
cmd_audit(struct ctl *c, int argc, char **argv)
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
	c->settings.db.application_name = "ombudctl";
	db = ob_db_new(&c->settings.db, audit_stmts, OB_NELEM(audit_stmts));
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

static const struct {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "migrate", cmd_migrate, "apply pending sql/ migrations" },
	{ "audit", cmd_audit, "verify: check the audit log's hash chain" },
};

static void
usage(FILE *f)
{
	fputs(
	    "usage: ombudctl [--config FILE] COMMAND [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; i < OB_NELEM(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { NULL, { 0 }, OB_BUF_INIT(2048) };
	const char *config_opt = NULL, *path = NULL;
	int opt, rc = 1;

	ob_log_init("ombudctl");
	while ((opt = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_opt = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < OB_NELEM(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (ob_crypto_init() != 0) {
			ob_buf_errf(&c.err, "libsodium failed to initialise");
			goto out;
		}
		if (ob_config_path(config_opt, &path, &c.err) != 0 ||
		    ob_config_load(path, &c.cfg, &c.err) != 0 ||
		    ob_settings_load_db(
			c.cfg, "ombudctl", &c.settings, &c.err) != 0)
			goto out;
		rc = commands[i].run(&c, argc - optind, argv + optind);
		goto out;
	}
	fprintf(stderr, "ombudctl: unknown command %s\n", argv[optind]);
	usage(stderr);
	rc = 2;
out:
	if (rc == 1 && c.err.len > 0)
		fprintf(stderr, "ombudctl: %s\n", ob_buf_cstr(&c.err));
	ob_config_free(c.cfg);
	ob_buf_release(&c.err);
	return rc;
}
