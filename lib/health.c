#include "lib/health.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "lib/log.h"
#include "lib/util.h"

const struct ob_stmt ob_health_stmts[] = {
	{ "ob_health",
	    "SELECT schema_version, outbox_overdue_s FROM ombud_health()", 0 },
};
const size_t ob_health_nstmts = OB_NELEM(ob_health_stmts);

int
ob_health_meminfo(const char *path, uint64_t *kb)
{
	static const char key[] = "MemAvailable:";
	char line[256];
	FILE *f = fopen(path, "re");
	int rc = OB_ENOENT;

	if (f == NULL)
		return OB_EIO;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *end;

		if (strncmp(line, key, sizeof(key) - 1) != 0)
			continue;
		p = line + sizeof(key) - 1;
		while (*p == ' ' || *p == '\t')
			p++;
		end = p;
		while (*end >= '0' && *end <= '9')
			end++;
		rc = ob_parse_u64n(
			 p, (size_t)(end - p), 0, UINT64_MAX / 1024, kb) == 0
		    ? 0
		    : OB_EIO;
		break;
	}
	fclose(f);
	return rc;
}

/*
 * The database's part: reachable, the newest migration applied, and
 * the outbox's oldest overdue message, in one round trip.
 */
static void
probe_db(struct ob_db *db, uint64_t outbox_max_s, struct ob_health *out)
{
	PGresult *res = NULL;
	uint64_t overdue;
	const char *v;

	out->outbox_overdue_s = -1;
	if (db == NULL) {
		out->db = OB_CHECK_FAIL;
		return;
	}
	if (ob_db_exec(db, "ob_health", 0, NULL, &res) != 0) {
		const char *st = ob_db_sqlstate(db);

		if (ob_strlcpy(
			out->db_sqlstate, st, sizeof(out->db_sqlstate)) != 0)
			out->db_sqlstate[0] = '\0';
		/*
		 * Class 42 (undefined table, function, column): the server
		 * answered, but its schema is not the one these binaries
		 * prepare their statements for.
		 */
		if (strncmp(st, "42", 2) == 0) {
			out->db = OB_CHECK_OK;
			out->migrations = OB_CHECK_FAIL;
		} else
			out->db = OB_CHECK_FAIL;
		return;
	}
	out->db = OB_CHECK_OK;
	if (PQntuples(res) != 1 || PQnfields(res) != 2) {
		out->migrations = OB_CHECK_FAIL;
		goto out;
	}
	v = PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0);
	if (ob_strlcpy(out->schema_version, v, sizeof(out->schema_version)) !=
	    0)
		out->schema_version[0] = '\0';
	out->migrations = strcmp(out->schema_version, OB_SCHEMA_VERSION) == 0
	    ? OB_CHECK_OK
	    : OB_CHECK_FAIL;

	/* NULL: nothing is due and unsent.  A clock step back can make
	 * the age negative: not late either. */
	overdue = 0;
	if (!PQgetisnull(res, 0, 1)) {
		v = PQgetvalue(res, 0, 1);
		if (v[0] == '-')
			overdue = 0;
		else if (ob_parse_u64(v, 0, INT64_MAX, &overdue) != 0) {
			out->outbox = OB_CHECK_FAIL;
			goto out;
		}
		out->outbox_overdue_s = (int64_t)overdue;
	}
	if (outbox_max_s == 0)
		out->outbox = OB_CHECK_OFF;
	else
		out->outbox = out->outbox_overdue_s > (int64_t)outbox_max_s
		    ? OB_CHECK_FAIL
		    : OB_CHECK_OK;
out:
	PQclear(res);
}

void
ob_health_probe(struct ob_db *db, const char *data_dir,
    const char *meminfo_path, const struct ob_health_limits *limits,
    struct ob_health *out)
{
	struct statvfs vfs;
	uint64_t kb = 0;

	memset(out, 0, sizeof(*out));
	probe_db(db, limits->outbox_overdue_max_s, out);
	out->disk = OB_CHECK_FAIL;
	if (statvfs(data_dir, &vfs) == 0) {
		out->disk_free_mb = (uint64_t)vfs.f_bavail *
		    (uint64_t)vfs.f_frsize / (1024 * 1024);
		if (out->disk_free_mb >= limits->disk_free_min_mb)
			out->disk = OB_CHECK_OK;
	}
	out->memory = OB_CHECK_FAIL;
	if (ob_health_meminfo(meminfo_path, &kb) == 0) {
		out->mem_available_mb = kb / 1024;
		if (out->mem_available_mb >= limits->mem_available_min_mb)
			out->memory = OB_CHECK_OK;
	}
}

static bool
check_ok(enum ob_check c)
{
	return c == OB_CHECK_OK || c == OB_CHECK_OFF;
}

bool
ob_health_ok(const struct ob_health *h)
{
	return check_ok(h->db) && check_ok(h->migrations) &&
	    check_ok(h->outbox) && check_ok(h->disk) && check_ok(h->memory);
}

const char *
ob_check_name(enum ob_check c)
{
	switch (c) {
	case OB_CHECK_OK:
		return "ok";
	case OB_CHECK_FAIL:
		return "fail";
	case OB_CHECK_OFF:
		return "off";
	case OB_CHECK_UNKNOWN:
		break;
	}
	return "unknown";
}

int
ob_health_json(const struct ob_health *h, struct ob_buf *out)
{
	return ob_buf_printf(out,
	    "{\"status\":\"%s\",\"db\":\"%s\",\"migrations\":\"%s\","
	    "\"outbox\":\"%s\",\"disk\":\"%s\",\"memory\":\"%s\"}\n",
	    ob_health_ok(h) ? "ok" : "fail", ob_check_name(h->db),
	    ob_check_name(h->migrations), ob_check_name(h->outbox),
	    ob_check_name(h->disk), ob_check_name(h->memory));
}

/*
 * One check's line, when its state changed.  "unknown" is no news: it
 * follows from a failed database check, which has its own line.
 */
static void
log_change(
    enum ob_check prev, enum ob_check cur, const char *name, const char *seen)
{
	if (cur == prev || cur == OB_CHECK_UNKNOWN ||
	    (prev == OB_CHECK_UNKNOWN && check_ok(cur)))
		return;
	if (check_ok(cur))
		ob_log_info(NULL, "health: %s %s again (%s)", name,
		    ob_check_name(cur), seen);
	else
		ob_log_warn(
		    NULL, "health: %s %s (%s)", name, ob_check_name(cur), seen);
}

void
ob_health_log_changes(const struct ob_health *prev, const struct ob_health *cur,
    const struct ob_health_limits *limits)
{
	static const struct ob_health all_ok = { .db = OB_CHECK_OK,
		.migrations = OB_CHECK_OK,
		.outbox = OB_CHECK_OK,
		.disk = OB_CHECK_OK,
		.memory = OB_CHECK_OK };
	char seen[160];

	if (prev == NULL)
		prev = &all_ok;
	if (prev->db != cur->db) {
		snprintf(seen, sizeof(seen), "%s%s",
		    cur->db == OB_CHECK_OK    ? "it answers"
			: cur->db_sqlstate[0] ? "sqlstate "
					      : "no answer",
		    cur->db == OB_CHECK_OK ? "" : cur->db_sqlstate);
		log_change(prev->db, cur->db, "db", seen);
	}
	if (prev->migrations != cur->migrations) {
		snprintf(seen, sizeof(seen),
		    "database at %s, this build expects %s%s%s",
		    cur->schema_version[0] ? cur->schema_version : "?",
		    OB_SCHEMA_VERSION, cur->db_sqlstate[0] ? ", sqlstate " : "",
		    cur->db_sqlstate);
		log_change(
		    prev->migrations, cur->migrations, "migrations", seen);
	}
	if (prev->outbox != cur->outbox) {
		snprintf(seen, sizeof(seen),
		    "oldest message due and unsent: %lld s, limit %llu s",
		    (long long)cur->outbox_overdue_s,
		    (unsigned long long)limits->outbox_overdue_max_s);
		log_change(prev->outbox, cur->outbox, "outbox", seen);
	}
	if (prev->disk != cur->disk) {
		snprintf(seen, sizeof(seen), "%llu MB free, minimum %llu MB",
		    (unsigned long long)cur->disk_free_mb,
		    (unsigned long long)limits->disk_free_min_mb);
		log_change(prev->disk, cur->disk, "disk", seen);
	}
	if (prev->memory != cur->memory) {
		snprintf(seen, sizeof(seen),
		    "%llu MB available, minimum %llu MB",
		    (unsigned long long)cur->mem_available_mb,
		    (unsigned long long)limits->mem_available_min_mb);
		log_change(prev->memory, cur->memory, "memory", seen);
	}
}
