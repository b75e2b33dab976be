/*
 * The migration runner against a real, empty database: order, once
 * each, all-or-nothing per file, and refusal of an edited migration.
 * Needs OMBUD_TEST_PG* (see test_db.c) naming a scratch database.
 */
#include "lib/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/db.h"
#include "test/unit/check.h"
#include "test/unit/testdb.h"

static char dir[] = "/tmp/ombud-test-migrate-XXXXXX";
static const char *const files[] = { "0001_table.sql", "0002_items.sql",
	"0003_broken.sql", "0003_twin.sql", "README", "12_bad_name.sql" };

static void
put(const char *name, const char *sql)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(sql, f);
	fclose(f);
}

static const struct ob_stmt stmts[] = {
	{ "t_rows", "SELECT count(*) FROM m_items", 0 },
	{ "t_versions",
	    "SELECT string_agg(version, ',' ORDER BY version) "
	    "FROM ombud_migrations",
	    0 },
	{ "t_half", "SELECT to_regclass('m_half') IS NULL", 0 },
};

int
main(void)
{
	struct ob_db_config cfg = { 0 };
	struct ob_buf err = OB_BUF_INIT(2048);
	struct ob_db *db, *q;
	int applied = -1;

	if (!testdb_config(&cfg, "test_migrate"))
		return TESTDB_SKIP;
	cfg.statement_timeout_ms = 10000;
	CHECK(mkdtemp(dir) != NULL);

	db = ob_db_new(&cfg, NULL, 0);
	CHECK_INT(ob_db_connect(db), 0);

	put("0002_items.sql", "INSERT INTO m_items VALUES (1), (2);\n");
	put("0001_table.sql", "CREATE TABLE m_items (x int);\n");
	put("README", "not a migration");
	put("12_bad_name.sql", "SELECT 1/0;");
	CHECK_INT(
	    ob_migrate_run(ob_db_migration_conn(db), dir, NULL, &applied, &err),
	    0);
	CHECK_INT(applied, 2);

	/* Again: nothing to do. */
	CHECK_INT(
	    ob_migrate_run(ob_db_migration_conn(db), dir, NULL, &applied, &err),
	    0);
	CHECK_INT(applied, 0);

	/* A failing migration leaves nothing behind, not even half of
	 * itself, and is not recorded. */
	put("0003_broken.sql",
	    "CREATE TABLE m_half (x int);\nINSERT INTO nowhere VALUES (1);\n");
	ob_buf_reset(&err);
	CHECK_INT(
	    ob_migrate_run(ob_db_migration_conn(db), dir, NULL, &applied, &err),
	    OB_EDB);
	CHECK(strstr(ob_buf_cstr(&err), "0003_broken.sql") != NULL);

	q = ob_db_new(&cfg, stmts, OB_NELEM(stmts));
	CHECK_STR(testdb_one(q, "t_rows"), "2");
	CHECK_STR(testdb_one(q, "t_versions"), "0001,0002");
	CHECK_STR(testdb_one(q, "t_half"), "t");

	/* An applied migration that was edited is refused. */
	put("0003_broken.sql", "SELECT 1;\n");
	put("0001_table.sql", "CREATE TABLE m_items (x bigint);\n");
	ob_buf_reset(&err);
	CHECK_INT(
	    ob_migrate_run(ob_db_migration_conn(db), dir, NULL, &applied, &err),
	    OB_EINVAL);
	CHECK(strstr(ob_buf_cstr(&err), "0001_table.sql was changed") != NULL);
	CHECK_STR(testdb_one(q, "t_versions"), "0001,0002");

	/* Two files with one number are refused before anything runs. */
	put("0001_table.sql", "CREATE TABLE m_items (x int);\n");
	put("0003_broken.sql", "SELECT 1;\n");
	put("0003_twin.sql", "SELECT 2;\n");
	ob_buf_reset(&err);
	CHECK_INT(
	    ob_migrate_run(ob_db_migration_conn(db), dir, NULL, &applied, &err),
	    OB_EINVAL);
	CHECK(strstr(ob_buf_cstr(&err), "share a number") != NULL);

	ob_db_free(q);
	ob_db_free(db);
	ob_buf_release(&err);
	for (size_t i = 0; i < OB_NELEM(files); i++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return CHECK_DONE();
}
