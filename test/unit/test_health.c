#include "lib/health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test/unit/check.h"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

int
main(void)
{
	char path[] = "/tmp/ombud-test-meminfo-XXXXXX";
	struct ob_buf out = OB_BUF_INIT(512);
	struct ob_health h;
	uint64_t kb = 0;
	int fd = mkstemp(path);

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

	/* Without a database: db fails, disk and memory are measured. */
	write_file(path, "MemAvailable:    2097152 kB\n");
	ob_health_probe(NULL, "/tmp", path, 0, 1024, &h);
	CHECK(!h.db_ok);
	CHECK(h.disk_ok);
	CHECK(h.mem_ok);
	CHECK_INT(h.mem_available_mb, 2048);
	CHECK(!ob_health_ok(&h));

	/* Thresholds: memory below the minimum fails. */
	ob_health_probe(NULL, "/tmp", path, 0, 4096, &h);
	CHECK(!h.mem_ok);
	ob_health_probe(NULL, "/nonexistent-dir", path, 0, 0, &h);
	CHECK(!h.disk_ok);
	CHECK_INT(h.disk_free_mb, 0);

	h.db_ok = h.disk_ok = h.mem_ok = true;
	h.disk_free_mb = 10;
	h.mem_available_mb = 20;
	CHECK_INT(ob_health_json(&h, &out), 0);
	CHECK_STR(ob_buf_cstr(&out),
	    "{\"status\":\"ok\",\"db\":\"ok\",\"disk_free_mb\":10,"
	    "\"mem_available_mb\":20}\n");
	ob_buf_reset(&out);
	h.db_ok = false;
	CHECK_INT(ob_health_json(&h, &out), 0);
	CHECK(strstr(ob_buf_cstr(&out),
		  "\"status\":\"fail\",\"db\":\"fail\"") != NULL);

	unlink(path);
	ob_buf_release(&out);
	return CHECK_DONE();
}
