#include "lib/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test/unit/check.h"

static const char good[] = "[paths]\n"
			   "templates = /t\nlocale = /l\ndata = /d\n"
			   "[health]\ndisk_free_min_mb = 10\n"
			   "[database]\nhost = /run/pg\nname = ombud\n"
			   "statement_timeout_ms = 2500\n"
			   "[intake]\nuser = ombud_intake\n"
			   "socket = /run/intake.sock\nprocesses = 3\n"
			   "socket_mode = 0600\n";

static const char *const extra[] = { "own_key", NULL };

static int
load(const char *text, struct ob_settings *s, struct ob_buf *err)
{
	char path[] = "/tmp/ombud-test-settings-XXXXXX";
	struct ob_config *c = NULL;
	int fd = mkstemp(path), rc;
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	ob_buf_reset(err);
	rc = ob_config_load(path, &c, err);
	if (rc == 0)
		rc = ob_settings_load(c, "intake", 1000, extra, s, err);
	/* Strings point into the configuration: copy what we check. */
	if (rc == 0) {
		CHECK_STR(s->templates_dir, "/t");
		CHECK_STR(s->db.host, "/run/pg");
		CHECK_STR(s->db.user, "ombud_intake");
		CHECK_STR(s->socket, "/run/intake.sock");
	}
	ob_config_free(c);
	unlink(path);
	return rc;
}

int
main(void)
{
	struct ob_buf err = OB_BUF_INIT(1024);
	struct ob_settings s;
	char text[2048];

	CHECK_INT(load(good, &s, &err), 0);
	CHECK_INT(s.processes, 3);
	CHECK_INT(s.socket_mode, 0600);
	CHECK_INT(s.max_body_bytes, 1000);
	CHECK_INT(s.health.disk_free_min_mb, 10);
	CHECK_INT(s.health.mem_available_min_mb, 128);
	CHECK_INT(s.health.outbox_overdue_max_s, 180);
	CHECK_INT(s.db.statement_timeout_ms, 2500);
	CHECK_STR(s.db.port, "5432");

	/* Every required key is required, and named when missing. */
	static const char *const required[] = { "templates = /t\n",
		"locale = /l\n", "data = /d\n", "host = /run/pg\n",
		"name = ombud\n", "user = ombud_intake\n" };
	for (size_t i = 0; i < OB_NELEM(required); i++) {
		const char *at = strstr(good, required[i]);
		size_t n = (size_t)(at - good);
		char key[32];

		snprintf(text, sizeof(text), "%.*s%s", (int)n, good,
		    at + strlen(required[i]));
		snprintf(key, sizeof(key), "%.*s",
		    (int)strcspn(required[i], " "), required[i]);
		CHECK_INT(load(text, &s, &err), OB_ENOENT);
		CHECK(strstr(ob_buf_cstr(&err), key) != NULL);
	}
	/* A key the service declared is fine; any other is refused. */
	snprintf(text, sizeof(text), "%sown_key = 3\n", good);
	CHECK_INT(load(text, &s, &err), 0);
	snprintf(text, sizeof(text), "%sprocesses2 = 1\n", good);
	CHECK_INT(load(text, &s, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[intake] processes2: unknown key"));
	snprintf(text, sizeof(text), "%s[database]\nport = 99999\n", good);
	CHECK_INT(load(text, &s, &err), OB_ECONFIG);

	/* [health]: the outbox limit, 0 (off) to a day. */
	snprintf(
	    text, sizeof(text), "%s[health]\noutbox_overdue_max_s = 0\n", good);
	CHECK_INT(load(text, &s, &err), 0);
	CHECK_INT(s.health.outbox_overdue_max_s, 0);
	snprintf(text, sizeof(text),
	    "%s[health]\noutbox_overdue_max_s = 86401\n", good);
	CHECK_INT(load(text, &s, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[health] outbox_overdue_max_s"));
	snprintf(text, sizeof(text), "%s[health]\noutbox_max = 1\n", good);
	CHECK_INT(load(text, &s, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[health] outbox_max: unknown key"));
	ob_buf_release(&err);
	return CHECK_DONE();
}
