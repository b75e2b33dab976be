/*
 * ombudctl migrate - applies pending sql/ migrations (lib/migrate.h).
 */
#include <stdio.h>

#include "lib/migrate.h"
#include "services/ombudctl/ctl.h"

int
ctl_migrate(struct ctl *c, int argc, char **argv)
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
	if ((db = ctl_db(c, NULL, 0, NULL, 0)) == NULL)
		return 1;
	rc = ob_migrate_run(
	    ob_db_migration_conn(db), sql_dir, stdout, &applied, &c->err);
	ob_db_free(db);
	if (rc != 0)
		return 1;
	printf("migrations: %d applied, database is current\n", applied);
	return 0;
}
