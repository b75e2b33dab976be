#include "lib/migrate.h"

#include <dirent.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define MIGRATION_MAX (4u * 1024 * 1024)
#define LOCK_KEY "797265636b" /* any constant shared by all runners */

struct migration {
	char *file; /* "0001_roles.sql" */
	char version[5];
};

static int
cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return strcmp(x->file, y->file);
}

static bool
is_migration_name(const char *n)
{
	size_t len = strlen(n);

	if (len < 10 || strcmp(n + len - 4, ".sql") != 0 || n[4] != '_')
		return false;
	for (size_t i = 0; i < 4; i++)
		if (n[i] < '0' || n[i] > '9')
			return false;
	for (size_t i = 5; i < len - 4; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') ||
			(n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return false;
	return true;
}

static void
free_list(struct migration *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].file);
	free(m);
}

static int
list_dir(
    const char *dir, struct migration **out, size_t *nout, struct ob_buf *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct migration *m = NULL;
	size_t n = 0;

	if (d == NULL) {
		ob_buf_errf(err, "migrations: cannot open %s", dir);
		return OB_EIO;
	}
	while ((e = readdir(d)) != NULL) {
		if (!is_migration_name(e->d_name))
			continue;
		m = ob_xrealloc(m, (n + 1) * sizeof(*m));
		m[n].file = ob_xstrdup(e->d_name);
		memcpy(m[n].version, e->d_name, 4);
		m[n].version[4] = '\0';
		for (size_t i = 0; i < n; i++)
			if (strcmp(m[i].version, m[n].version) == 0) {
				ob_buf_errf(err,
				    "migrations: %s and %s share a number",
				    m[i].file, m[n].file);
				closedir(d);
				free_list(m, n + 1);
				return OB_EINVAL;
			}
		n++;
	}
	closedir(d);
	qsort(m, n, sizeof(*m), cmp_migration);
	*out = m;
	*nout = n;
	return 0;
}

static int
read_file(
    const char *dir, const char *file, struct ob_buf *out, struct ob_buf *err)
{
	char path[4096], chunk[8192];
	FILE *f;
	size_t k;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return OB_EINVAL;
	if ((f = fopen(path, "re")) == NULL) {
		ob_buf_errf(err, "migrations: cannot read %s", path);
		return OB_EIO;
	}
	while (rc == 0 && (k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = ob_buf_append(out, chunk, k);
	fclose(f);
	if (rc != 0)
		ob_buf_errf(err, "migrations: %s is too large", path);
	return rc;
}

/* Runs a parameterised statement; true when it succeeded. */
static bool
run(PGconn *conn, const char *sql, int n, const char *const *params,
    PGresult **keep)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (keep != NULL && ok)
		*keep = res;
	else
		PQclear(res);
	return ok;
}

static int
prepare_table(PGconn *conn, struct ob_buf *err)
{
	/* "already exists, skipping" is not news. */
	(void)run(conn, "SET client_min_messages = warning", 0, NULL, NULL);
	if (!run(conn,
		"CREATE TABLE IF NOT EXISTS ombud_migrations ("
		" version text PRIMARY KEY,"
		" name text NOT NULL,"
		" sha256 text NOT NULL,"
		" applied_at timestamptz NOT NULL DEFAULT now())",
		0, NULL, NULL)) {
		ob_buf_errf(err, "migrations: %s", PQerrorMessage(conn));
		return OB_EDB;
	}
	return 0;
}

/* *applied_sha is "" when the version is not applied yet. */
static int
applied_hash(PGconn *conn, const char *version, char *sha, size_t shasz,
    struct ob_buf *err)
{
	const char *params[] = { version };
	PGresult *res = NULL;

	sha[0] = '\0';
	if (!run(conn, "SELECT sha256 FROM ombud_migrations WHERE version = $1",
		1, params, &res)) {
		ob_buf_errf(err, "migrations: %s", PQerrorMessage(conn));
		return OB_EDB;
	}
	if (PQntuples(res) == 1 &&
	    ob_strlcpy(sha, PQgetvalue(res, 0, 0), shasz) != 0)
		sha[0] = '\0';
	PQclear(res);
	return 0;
}

static void
sha256_hex(const struct ob_buf *b, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)ob_buf_cstr(b), b->len);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

static int
apply(PGconn *conn, const char *dir, const struct migration *m, FILE *progress,
    bool *did, struct ob_buf *err)
{
	struct ob_buf migration_sql = OB_BUF_INIT(MIGRATION_MAX);
	char have[65], want[65];
	const char *params[3];
	PGresult *res = NULL;
	int rc;

	*did = false;
	if ((rc = read_file(dir, m->file, &migration_sql, err)) != 0)
		goto out;
	sha256_hex(&migration_sql, want);
	if ((rc = applied_hash(conn, m->version, have, sizeof(have), err)) != 0)
		goto out;
	if (have[0] != '\0') {
		if (strcmp(have, want) != 0) {
			ob_buf_errf(err,
			    "migrations: %s was changed after it was applied; "
			    "add a new migration instead",
			    m->file);
			rc = OB_EINVAL;
		}
		goto out;
	}
	if (!run(conn, "BEGIN", 0, NULL, NULL)) {
		rc = OB_EDB;
		goto fail;
	}
	res = PQexec(conn, ob_buf_cstr(&migration_sql)); /* migration text */
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = OB_EDB;
		goto fail;
	}
	params[0] = m->version;
	params[1] = m->file;
	params[2] = want;
	if (!run(conn,
		"INSERT INTO ombud_migrations (version, name, sha256) "
		"VALUES ($1, $2, $3)",
		3, params, NULL) ||
	    !run(conn, "COMMIT", 0, NULL, NULL)) {
		rc = OB_EDB;
		goto fail;
	}
	*did = true;
	if (progress != NULL)
		fprintf(progress, "applied %s\n", m->file);
	goto out;
fail:
	ob_buf_errf(
	    err, "migrations: %s failed: %s", m->file, PQerrorMessage(conn));
	(void)run(conn, "ROLLBACK", 0, NULL, NULL);
out:
	PQclear(res);
	ob_buf_release(&migration_sql);
	return rc;
}

static int
lock(PGconn *conn, bool on)
{
	const char *params[] = { LOCK_KEY };

	return run(conn,
		   on ? "SELECT pg_advisory_lock(('x' || $1)::bit(40)::bigint)"
		      : "SELECT pg_advisory_unlock(('x' || "
			"$1)::bit(40)::bigint)",
		   1, params, NULL)
	    ? 0
	    : OB_EDB;
}

int
ob_migrate_run(PGconn *conn, const char *dir, FILE *progress, int *applied,
    struct ob_buf *err)
{
	struct migration *m = NULL;
	size_t n = 0;
	int rc;

	*applied = 0;
	if ((rc = list_dir(dir, &m, &n, err)) != 0)
		return rc;
	if ((rc = lock(conn, true)) != 0) {
		ob_buf_errf(err, "migrations: lock: %s", PQerrorMessage(conn));
		goto out;
	}
	if ((rc = prepare_table(conn, err)) == 0) {
		for (size_t i = 0; i < n && rc == 0; i++) {
			bool did;

			rc = apply(conn, dir, &m[i], progress, &did, err);
			*applied += did;
		}
	}
	(void)lock(conn, false);
out:
	free_list(m, n);
	return rc;
}
