#include "lib/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test/unit/check.h"

static unsigned
check(const char *pw, const struct ob_pwdict *d)
{
	return ob_password_check(pw, "jane.doe@example.org", d);
}

/* [passwords] from a configuration text; 0 or the error. */
static int
params(const char *text, struct ob_pwparams *p, struct ob_buf *err)
{
	char path[] = "/tmp/ombud-test-pwparams-XXXXXX";
	struct ob_config *c = NULL;
	int fd = mkstemp(path), rc;
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	ob_buf_reset(err);
	rc = ob_config_load(path, &c, err);
	if (rc == 0)
		rc = ob_pwparams_load(c, p, err);
	ob_config_free(c);
	unlink(path);
	return rc;
}

static void
test_params(void)
{
	struct ob_buf err = OB_BUF_INIT(512);
	struct ob_pwparams p;

	CHECK_INT(params("[paths]\ndata = /d\n", &p, &err), 0);
	CHECK(!ob_pwparams_outdated(&p, &ob_pwparams_default));
	CHECK_INT(params("[passwords]\nopslimit = 4\nmemlimit_kib = 8192\n", &p,
		      &err),
	    0);
	CHECK_INT(p.opslimit, 4);
	CHECK_INT(p.memlimit, 8192 * 1024);
	CHECK(ob_pwparams_outdated(&p, &ob_pwparams_default));
	CHECK_INT(params("[passwords]\nopslimit = 0\n", &p, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[passwords] opslimit") != NULL);
	CHECK_INT(
	    params("[passwords]\nmemlimit_kib = 7\n", &p, &err), OB_ECONFIG);
	CHECK_INT(params("[passwords]\nmemlimit = 7\n", &p, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "memlimit: unknown key") != NULL);
	ob_buf_release(&err);
}

int
main(void)
{
	char path[] = "/tmp/ombud-test-dict-XXXXXX";
	struct ob_buf err = OB_BUF_INIT(256);
	struct ob_pwdict *d = NULL, *real = NULL;
	char long_pw[OB_PW_MAX_BYTES + 2];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	test_params();
	fputs("password\nsummer\nwelcome\ntroubador\nabc\nDragon\n", f);
	fclose(f);
	CHECK_INT(ob_pwdict_load(path, &d, &err), 0);
	CHECK_INT(ob_pwdict_size(d), 5); /* "abc" is too short to count */
	unlink(path);
	CHECK_INT(ob_pwdict_load("/nonexistent/dict", &real, &err), OB_EIO);

	/* Good passwords. */
	CHECK_INT(check("Qw7!mZp2#vL", d), 0);
	CHECK_INT(check("Sk\xc3\xa6rm-9tast", d), 0); /* æ is lower case */
	/* A long passphrase may drop the class rules. */
	CHECK_INT(check("correct horse battery staple", d), 0);
	CHECK_INT(check("aaaaaaaaaaaaaaaaaaaa", d), 0);
	CHECK_INT(check("aaaaaaaaaaaaaaaaaaa", d),
	    OB_PW_NO_UPPER | OB_PW_NO_DIGIT | OB_PW_NO_SPECIAL);

	/* One bit per unmet rule. */
	CHECK_INT(check("Ab1!", d), OB_PW_TOO_SHORT);
	CHECK_INT(check("ab1!efgh", d), OB_PW_NO_UPPER);
	CHECK_INT(check("AB1!EFGH", d), OB_PW_NO_LOWER);
	CHECK_INT(check("Abc!efgh", d), OB_PW_NO_DIGIT);
	CHECK_INT(check("Abc1efgh", d), OB_PW_NO_SPECIAL);
	CHECK_INT(check("abc", d),
	    OB_PW_TOO_SHORT | OB_PW_NO_UPPER | OB_PW_NO_DIGIT |
		OB_PW_NO_SPECIAL);
	/* 8 characters, not 8 bytes: "ÆØÅæøå1!" is 8 characters. */
	CHECK_INT(check("\xc3\x86\xc3\x98\xc3\x85\xc3\xa6\xc3\xb8\xc3\xa5"
			"1!",
		      d),
	    0);
	CHECK_INT(check("\xc3\x86\xc3\xa6"
			"1!",
		      d),
	    OB_PW_TOO_SHORT);

	/* Common passwords, dressed up or not. */
	CHECK_INT(check("Password1!", d), OB_PW_COMMON);
	CHECK_INT(check("P@ssw0rd123!", d), OB_PW_COMMON);
	CHECK_INT(check("!!Summer2024", d), OB_PW_COMMON);
	CHECK_INT(check("Tr0ub4dor&3", d), OB_PW_COMMON);
	CHECK_INT(check("DRAGON-dragon1", d) & OB_PW_COMMON, 0);
	CHECK_INT(check("Password1!", NULL), 0);

	/* The e-mail name. */
	CHECK_INT(check("xJane.Doe#2026", d), OB_PW_HAS_EMAIL);
	CHECK_INT(ob_password_check("Jo#9abcdefg", "jo@example.org", d), 0);

	/* Bytes that are not text, and a limit. */
	CHECK_INT(check("Abc1!\xff\xfe"
			"defg",
		      d),
	    OB_PW_NOT_UTF8);
	memset(long_pw, 'a', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	CHECK_INT(check(long_pw, d), OB_PW_TOO_LONG);

	/* Every rule has a message. */
	for (unsigned bit = 1; bit <= OB_PW_ALL_PROBLEMS; bit <<= 1)
		CHECK(ob_password_message(bit) != NULL);
	CHECK(ob_password_message(1u << 20) == NULL);

	/* The real dictionary, where installed (scripts/deps installs it). */
	if (access(OB_PW_DICT_DEFAULT, R_OK) == 0) {
		CHECK_INT(ob_pwdict_load(OB_PW_DICT_DEFAULT, &real, &err), 0);
		CHECK(ob_pwdict_size(real) > 40000);
		CHECK_INT(check("Welcome123!", real), OB_PW_COMMON);
		CHECK_INT(check("Qwerty2024!", real), OB_PW_COMMON);
		CHECK_INT(check("Qw7!mZp2#vL", real), 0);
		ob_pwdict_free(real);
	}
	ob_pwdict_free(d);
	ob_buf_release(&err);
	return CHECK_DONE();
}
