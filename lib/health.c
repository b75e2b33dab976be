#include "lib/health.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "lib/util.h"

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

void
ob_health_probe(struct ob_db *db, const char *data_dir,
    const char *meminfo_path, uint64_t disk_min_mb, uint64_t mem_min_mb,
    struct ob_health *out)
{
	struct statvfs vfs;
	uint64_t kb = 0;

	memset(out, 0, sizeof(*out));
	out->db_ok = db != NULL && ob_db_ping(db) == 0;
	if (statvfs(data_dir, &vfs) == 0) {
		out->disk_free_mb = (uint64_t)vfs.f_bavail *
		    (uint64_t)vfs.f_frsize / (1024 * 1024);
		out->disk_ok = out->disk_free_mb >= disk_min_mb;
	}
	if (ob_health_meminfo(meminfo_path, &kb) == 0) {
		out->mem_available_mb = kb / 1024;
		out->mem_ok = out->mem_available_mb >= mem_min_mb;
	}
}

bool
ob_health_ok(const struct ob_health *h)
{
	return h->db_ok && h->disk_ok && h->mem_ok;
}

int
ob_health_json(const struct ob_health *h, struct ob_buf *out)
{
	return ob_buf_printf(out,
	    "{\"status\":\"%s\",\"db\":\"%s\",\"disk_free_mb\":%llu,"
	    "\"mem_available_mb\":%llu}\n",
	    ob_health_ok(h) ? "ok" : "fail", h->db_ok ? "ok" : "fail",
	    (unsigned long long)h->disk_free_mb,
	    (unsigned long long)h->mem_available_mb);
}
