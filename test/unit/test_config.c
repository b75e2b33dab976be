#include "lib/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test/unit/check.h"

static char path[64];

static struct ob_config *
load(const char *text, int want_rc, struct ob_buf *err)
{
	struct ob_config *c = NULL;
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	ob_buf_reset(err);
	CHECK_INT(ob_config_load(path, &c, err), want_rc);
	return c;
}

int
main(void)
{
	struct ob_buf err = OB_BUF_INIT(1024);
	struct ob_config *c;
	const char *s = NULL;
	uint64_t v = 0;
	unsigned mode = 0;
	static const char *const known[] = { "user", "socket", NULL };
	int fd;

	snprintf(path, sizeof(path), "/tmp/ombud-test-config-XXXXXX");
	fd = mkstemp(path);
	close(fd);

	c = load("[intake]\nuser = ombud_intake\nsocket=/run/x.sock\n"
		 "processes = 4\nbad = 12x\nempty =\nmode = 0640\n"
		 "badmode = 0999\n",
	    0, &err);
	CHECK(c != NULL);
	CHECK_STR(ob_config_file(c), path);
	CHECK_INT(ob_config_str(c, "intake", "user", &s, &err), 0);
	CHECK_STR(s, "ombud_intake");
	CHECK_INT(ob_config_uint(c, "intake", "processes", 1, 8, &v, &err), 0);
	CHECK_INT(v, 4);

	/* Errors name the file, the group and the key. */
	ob_buf_reset(&err);
	CHECK_INT(ob_config_uint(c, "intake", "processes", 1, 2, &v, &err),
	    OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), path) != NULL);
	CHECK(strstr(ob_buf_cstr(&err), "[intake] processes") != NULL);
	ob_buf_reset(&err);
	CHECK_INT(
	    ob_config_uint(c, "intake", "bad", 0, 100, &v, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[intake] bad") != NULL);
	ob_buf_reset(&err);
	CHECK_INT(ob_config_str(c, "intake", "missing", &s, &err), OB_ENOENT);
	CHECK(strstr(ob_buf_cstr(&err), "[intake] missing: missing") != NULL);
	ob_buf_reset(&err);
	CHECK_INT(ob_config_str(c, "nogroup", "user", &s, &err), OB_ENOENT);
	ob_buf_reset(&err);
	CHECK_INT(ob_config_str(c, "intake", "empty", &s, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "empty value") != NULL);

	/* Defaults only for missing keys, never for bad ones. */
	CHECK_INT(
	    ob_config_uint_opt(c, "intake", "nope", 0, 9, 7, &v, &err), 0);
	CHECK_INT(v, 7);
	CHECK_INT(ob_config_uint_opt(c, "intake", "bad", 0, 9, 7, &v, &err),
	    OB_ECONFIG);
	CHECK_INT(ob_config_str_opt(c, "intake", "nope", "dflt", &s, &err), 0);
	CHECK_STR(s, "dflt");

	CHECK_INT(
	    ob_config_mode_opt(c, "intake", "mode", 0600, &mode, &err), 0);
	CHECK_INT(mode, 0640);
	CHECK_INT(ob_config_mode_opt(c, "intake", "badmode", 0600, &mode, &err),
	    OB_ECONFIG);
	CHECK_INT(
	    ob_config_mode_opt(c, "intake", "nomode", 0600, &mode, &err), 0);
	CHECK_INT(mode, 0600);

	ob_buf_reset(&err);
	CHECK_INT(ob_config_only_keys(c, "intake", known, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "unknown key") != NULL);
	CHECK_INT(ob_config_only_keys(c, "absent", known, &err), 0);
	CHECK(ob_config_has_group(c, "intake"));
	CHECK(!ob_config_has_group(c, "absent"));
	ob_config_free(c);

	/* Syntax errors and missing files. */
	c = load("[broken\nkey = 1\n", OB_ECONFIG, &err);
	CHECK(c == NULL);
	CHECK(strstr(ob_buf_cstr(&err), path) != NULL);
	unlink(path);
	ob_buf_reset(&err);
	CHECK_INT(ob_config_load(path, &c, &err), OB_ENOENT);

	/* The path comes from the option, else the environment. */
	unsetenv("OMBUD_CONFIG");
	ob_buf_reset(&err);
	CHECK_INT(ob_config_path(NULL, &s, &err), OB_ENOENT);
	CHECK(strstr(ob_buf_cstr(&err), "OMBUD_CONFIG") != NULL);
	setenv("OMBUD_CONFIG", "/env.conf", 1);
	CHECK_INT(ob_config_path(NULL, &s, &err), 0);
	CHECK_STR(s, "/env.conf");
	CHECK_INT(ob_config_path("/opt.conf", &s, &err), 0);
	CHECK_STR(s, "/opt.conf");

	ob_buf_release(&err);
	return CHECK_DONE();
}
