/*
 * health.h - what /healthz reports: the database, its migrations, the
 * outbox, free disk and available memory (docs/ops.md, "Monitoring").
 *
 * The body an uptime monitor sees says which check failed and nothing
 * more: no numbers, versions or paths.  Free disk in megabytes, polled
 * once a second, would show the internet when (and how large) an upload
 * was stored; the numbers go to the pool's log instead, once each time
 * a check changes (ob_health_log_changes).
 */
#ifndef OB_HEALTH_H
#define OB_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/ob.h"

/*
 * The newest migration in sql/ this build was written for.  /healthz
 * fails while the database has applied another one as its newest
 * (behind: `ombudctl migrate` was not run; ahead: these binaries are
 * older than the database).  test_health checks it against sql/: add a
 * migration, raise this.
 */
#define OB_SCHEMA_VERSION "0016"

enum ob_check {
	OB_CHECK_UNKNOWN = 0, /* not checked: what it needs failed */
	OB_CHECK_OK,
	OB_CHECK_FAIL,
	OB_CHECK_OFF, /* switched off by its threshold (0) */
};

struct ob_health_limits {
	uint64_t disk_free_min_mb;
	uint64_t mem_available_min_mb;
	uint64_t outbox_overdue_max_s; /* 0: not checked */
};

struct ob_health {
	enum ob_check db; /* the server answers our role */
	enum ob_check migrations; /* schema is OB_SCHEMA_VERSION */
	enum ob_check outbox; /* nothing due waits longer than the limit */
	enum ob_check disk;
	enum ob_check memory;
	/* What the checks saw, for the log (never for the response). */
	char schema_version[8]; /* "" when unknown */
	char db_sqlstate[6]; /* why the database check failed, or "" */
	int64_t outbox_overdue_s; /* -1: nothing due and unsent */
	uint64_t disk_free_mb; /* for unprivileged users */
	uint64_t mem_available_mb; /* MemAvailable */
};

/* The statement the probe runs (sql/0015_health.sql's ombud_health());
 * every pool adds the table to its connection. */
extern const struct ob_stmt ob_health_stmts[];
extern const size_t ob_health_nstmts;

/*
 * Probes: one round trip to the database (db may be NULL: failed)
 * answering the newest migration applied and the outbox's oldest
 * overdue message; free space on the file system holding data_dir; and
 * MemAvailable from meminfo_path (normally "/proc/meminfo").  A database
 * that answers but cannot prepare this build's statements (an undefined
 * table, function or column: SQLSTATE class 42) counts as reachable
 * with the wrong migrations.  The function itself cannot fail.
 */
void ob_health_probe(struct ob_db *db, const char *data_dir,
    const char *meminfo_path, const struct ob_health_limits *limits,
    struct ob_health *out);

/* True when no check failed or is unknown. */
bool ob_health_ok(const struct ob_health *h);

/* "ok", "fail", "unknown" or "off". */
const char *ob_check_name(enum ob_check c);

/*
 * Appends {"status":"ok"|"fail","db":C,"migrations":C,"outbox":C,
 * "disk":C,"memory":C} and a newline, each C from ob_check_name.
 * OB_ETOOBIG when out is full.
 */
int ob_health_json(const struct ob_health *h, struct ob_buf *out) OB_MUST_CHECK;

/*
 * Logs one line for each check whose state differs from prev's, with
 * what it saw against the limit: a warning when it fails, a note when
 * it is ok again.  prev NULL (the first probe): the failing checks.
 */
void ob_health_log_changes(const struct ob_health *prev,
    const struct ob_health *cur, const struct ob_health_limits *limits);

/* Reads MemAvailable (kB) from a meminfo file; OB_ENOENT/OB_EIO. */
int ob_health_meminfo(const char *path, uint64_t *kb) OB_MUST_CHECK;

#endif
