/*
 * health.h - what /healthz reports: database, free disk, free memory.
 */
#ifndef OB_HEALTH_H
#define OB_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/ob.h"

struct ob_health {
	bool db_ok;
	bool disk_ok;
	bool mem_ok;
	uint64_t disk_free_mb; /* for unprivileged users */
	uint64_t mem_available_mb; /* MemAvailable */
};

/*
 * Probes: a round trip to the database (db may be NULL: not ok), free
 * space on the file system holding data_dir, and MemAvailable from
 * meminfo_path (normally "/proc/meminfo").  A probe that fails reports
 * 0 and not ok; the function itself cannot fail.
 */
void ob_health_probe(struct ob_db *db, const char *data_dir,
    const char *meminfo_path, uint64_t disk_min_mb, uint64_t mem_min_mb,
    struct ob_health *out);

/* True when every probe is ok. */
bool ob_health_ok(const struct ob_health *h);

/* {"status":"ok"|"fail","db":"ok"|"fail","disk_free_mb":N,
 *  "mem_available_mb":N} */
int ob_health_json(const struct ob_health *h, struct ob_buf *out) OB_MUST_CHECK;

/* Reads MemAvailable (kB) from a meminfo file; OB_ENOENT/OB_EIO. */
int ob_health_meminfo(const char *path, uint64_t *kb) OB_MUST_CHECK;

#endif
