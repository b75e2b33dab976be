#include "lib/health.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "test/unit/check.h"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* The newest NNNN of sql/NNNN_name.sql in the source tree. */
static void
newest_migration(char out[5])
{
	DIR *d = opendir(OB_SOURCE_ROOT "/sql");
	struct dirent *e;

	out[0] = '\0';
	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);

		if (len < 10 || n[4] != '_' ||
		    strcmp(n + len - 4, ".sql") != 0 ||
		    strspn(n, "0123456789") != 4)
			continue;
		if (strncmp(n, out, 4) > 0 || out[0] == '\0') {
			memcpy(out, n, 4);
			out[4] = '\0';
		}
	}
	closedir(d);
}

/* What ob_health_log_changes(prev, cur) writes to stderr. */
static void
logged(const struct ob_health *prev, const struct ob_health *cur,
    const struct ob_health_limits *lim, char *buf, size_t n)
{
	char path[] = "/tmp/ombud-test-health-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	FILE *f;
	size_t got;

	fflush(stderr);
	dup2(fd, 2);
	ob_health_log_changes(prev, cur, lim);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	got = fread(buf, 1, n - 1, f);
	buf[got] = '\0';
	fclose(f);
	unlink(path);
}

int
main(void)
{
	char path[] = "/tmp/ombud-test-meminfo-XXXXXX";
	struct ob_buf out = OB_BUF_INIT(512);
	struct ob_health_limits lim = { 0, 1024, 180 };
	struct ob_health h, prev;
	char newest[5], log[2048];
	uint64_t kb = 0;
	int fd = mkstemp(path);

	ob_log_init("test");
	close(fd);
	write_file(path,
	    "MemTotal:       24000000 kB\n"
	    "MemFree:         1000000 kB\n"
	    "MemAvailable:    2097152 kB\n");
	CHECK_INT(ob_health_meminfo(path, &kb), 0);
	CHECK_INT(kb, 2097152);
	write_file(path, "MemTotal: 1 kB\n");
	CHECK_INT(ob_health_meminfo(path, &kb), OB_ENOENT);
	write_file(path, "MemAvailable: lots kB\n");
	CHECK_INT(ob_health_meminfo(path, &kb), OB_EIO);
	CHECK_INT(ob_health_meminfo("/nonexistent/meminfo", &kb), OB_EIO);

	/*
	 * Without a database: db fails, what needs it is unknown, disk and
	 * memory are measured.
	 */
	write_file(path, "MemAvailable:    2097152 kB\n");
	ob_health_probe(NULL, "/tmp", path, &lim, &h);
	CHECK_INT(h.db, OB_CHECK_FAIL);
	CHECK_INT(h.migrations, OB_CHECK_UNKNOWN);
	CHECK_INT(h.outbox, OB_CHECK_UNKNOWN);
	CHECK_INT(h.disk, OB_CHECK_OK);
	CHECK_INT(h.memory, OB_CHECK_OK);
	CHECK_INT(h.mem_available_mb, 2048);
	CHECK(!ob_health_ok(&h));

	/* Thresholds: memory below the minimum fails; so does a data
	 * directory that is not there, or a meminfo without the line. */
	lim.mem_available_min_mb = 4096;
	ob_health_probe(NULL, "/tmp", path, &lim, &h);
	CHECK_INT(h.memory, OB_CHECK_FAIL);
	lim.mem_available_min_mb = 0;
	ob_health_probe(NULL, "/nonexistent-dir", path, &lim, &h);
	CHECK_INT(h.disk, OB_CHECK_FAIL);
	CHECK_INT(h.disk_free_mb, 0);
	lim.disk_free_min_mb = UINT32_MAX;
	ob_health_probe(NULL, "/tmp", "/nonexistent/meminfo", &lim, &h);
	CHECK_INT(h.disk, OB_CHECK_FAIL);
	CHECK_INT(h.memory, OB_CHECK_FAIL);
	lim.disk_free_min_mb = 0;

	/* The body names each check and nothing else. */
	memset(&h, 0, sizeof(h));
	h.db = h.migrations = h.outbox = h.disk = h.memory = OB_CHECK_OK;
	h.disk_free_mb = 10;
	h.mem_available_mb = 20;
	snprintf(h.schema_version, sizeof(h.schema_version), "0001");
	CHECK(ob_health_ok(&h));
	CHECK_INT(ob_health_json(&h, &out), 0);
	CHECK_STR(ob_buf_cstr(&out),
	    "{\"status\":\"ok\",\"db\":\"ok\",\"migrations\":\"ok\","
	    "\"outbox\":\"ok\",\"disk\":\"ok\",\"memory\":\"ok\"}\n");
	h.outbox = OB_CHECK_OFF;
	CHECK(ob_health_ok(&h));
	ob_buf_reset(&out);
	CHECK_INT(ob_health_json(&h, &out), 0);
	CHECK(strstr(ob_buf_cstr(&out), "\"status\":\"ok\"") != NULL);
	CHECK(strstr(ob_buf_cstr(&out), "\"outbox\":\"off\"") != NULL);
	for (int i = 0; i < 5; i++) {
		struct ob_health f = h;
		enum ob_check *c[] = { &f.db, &f.migrations, &f.outbox, &f.disk,
			&f.memory };

		*c[i] = OB_CHECK_FAIL;
		CHECK(!ob_health_ok(&f));
		*c[i] = OB_CHECK_UNKNOWN;
		CHECK(!ob_health_ok(&f));
		ob_buf_reset(&out);
		CHECK_INT(ob_health_json(&f, &out), 0);
		CHECK(strstr(ob_buf_cstr(&out), "\"status\":\"fail\"") != NULL);
		CHECK(strstr(ob_buf_cstr(&out), "\"unknown\"") != NULL);
	}
	h.migrations = OB_CHECK_FAIL;
	ob_buf_reset(&out);
	CHECK_INT(ob_health_json(&h, &out), 0);
	CHECK(
	    strstr(ob_buf_cstr(&out),
		"\"status\":\"fail\",\"db\":\"ok\",\"migrations\":\"fail\"") !=
	    NULL);
	CHECK(strstr(ob_buf_cstr(&out), "0001") == NULL);
	CHECK(strstr(ob_buf_cstr(&out), "10") == NULL);

	/* The log gets the numbers, once per change. */
	memset(&prev, 0, sizeof(prev));
	prev.db = prev.migrations = prev.outbox = prev.disk = prev.memory =
	    OB_CHECK_OK;
	h = prev;
	h.outbox = OB_CHECK_FAIL;
	h.outbox_overdue_s = 600;
	snprintf(h.schema_version, sizeof(h.schema_version), "%s",
	    OB_SCHEMA_VERSION);
	logged(&prev, &h, &lim, log, sizeof(log));
	CHECK(strstr(log, "level=warn") != NULL);
	CHECK(strstr(log,
		  "health: outbox fail (oldest message due and "
		  "unsent: 600 s, limit 180 s)") != NULL);
	CHECK(strstr(log, "disk") == NULL);
	logged(&h, &h, &lim, log, sizeof(log));
	CHECK_STR(log, "");
	logged(&h, &prev, &lim, log, sizeof(log));
	CHECK(strstr(log, "level=info") != NULL);
	CHECK(strstr(log, "health: outbox ok again") != NULL);
	/* The first probe: only what fails. */
	logged(NULL, &prev, &lim, log, sizeof(log));
	CHECK_STR(log, "");
	h = prev;
	h.migrations = OB_CHECK_FAIL;
	snprintf(h.schema_version, sizeof(h.schema_version), "0001");
	logged(NULL, &h, &lim, log, sizeof(log));
	CHECK(strstr(log,
		  "health: migrations fail (database at 0001, this "
		  "build expects " OB_SCHEMA_VERSION ")") != NULL);
	/* A failed database check says so once; what it hides does not. */
	h = prev;
	h.db = OB_CHECK_FAIL;
	h.migrations = h.outbox = OB_CHECK_UNKNOWN;
	logged(&prev, &h, &lim, log, sizeof(log));
	CHECK(strstr(log, "health: db fail (no answer)") != NULL);
	CHECK(strstr(log, "migrations") == NULL);
	CHECK(strstr(log, "outbox") == NULL);
	logged(&h, &prev, &lim, log, sizeof(log));
	CHECK(strstr(log, "health: db ok again (it answers)") != NULL);
	CHECK(strstr(log, "migrations") == NULL);

	/* This build knows the newest migration of its own tree. */
	newest_migration(newest);
	if (strcmp(newest, OB_SCHEMA_VERSION) != 0)
		fprintf(stderr,
		    "sql/ holds migration %s; set OB_SCHEMA_VERSION in "
		    "lib/health.h to it\n",
		    newest);
	CHECK_STR(newest, OB_SCHEMA_VERSION);

	unlink(path);
	ob_buf_release(&out);
	return CHECK_DONE();
}
