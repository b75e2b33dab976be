#include "lib/i18n.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "test/unit/check.h"

#define LOCALEDIR OB_BUILD_ROOT "/po"

static bool
contains(const struct ob_buf *b, const char *s)
{
	bool ok = strstr(ob_buf_cstr(b), s) != NULL;

	if (!ok)
		fprintf(stderr, "  \"%s\" lacks \"%s\"\n", ob_buf_cstr(b), s);
	return ok;
}

/* Reads a whole file; the caller frees it. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		ob_die("cannot read a compiled catalog");
	p = ob_xmalloc((size_t)n);
	if (fread(p, 1, (size_t)n, f) != (size_t)n)
		ob_die("short read");
	fclose(f);
	*len = (size_t)n;
	return p;
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Parses a modified copy of data; expects OB_EINVAL with want in err. */
static void
check_corrupt(const unsigned char *data, size_t len, const char *want)
{
	struct ob_i18n_mo *mo = (struct ob_i18n_mo *)1;
	struct ob_buf err = OB_BUF_INIT(256);

	CHECK_INT(ob_i18n_parse_mo(data, len, &mo, &err), OB_EINVAL);
	CHECK(mo == NULL);
	CHECK(contains(&err, want));
	ob_buf_release(&err);
}

static void
test_catalogs(void)
{
	static const char *const langs[] = { "en", "da", NULL };
	/* The error pages of lib/service.c. */
	static const char *const c_msgids[] = {
		"Bad request",
		"The request could not be understood. Please go back and try "
		"again.",
		"Forbidden",
		"You are not allowed to see this page.",
		"Page not found",
		"The page you asked for does not exist.",
		"Method not allowed",
		"This address does not accept that kind of request.",
		"Request too large",
		"What you sent is larger than this site accepts.",
		"Unsupported form",
		"The form was sent in a way this site does not accept.",
		"Internal error",
		"Something went wrong on our side. Nothing you sent has been "
		"stored.",
		"Service unavailable",
		"The service is busy or down for maintenance. Please try again "
		"in a few minutes.",
		"Home",
	};
	struct ob_buf err = OB_BUF_INIT(512);
	const char *msgid = "No such message, surely";

	/* Nothing loaded: identity, "en". */
	CHECK_STR(ob_i18n_current(), "en");
	CHECK(ob_gettext(msgid) == msgid);
	CHECK_INT(ob_i18n_set("en"), OB_ENOENT);

	CHECK_INT(ob_i18n_load(LOCALEDIR, langs, &err), 0);
	CHECK_STR(ob_i18n_current(), "en");
	CHECK(ob_i18n_known("en"));
	CHECK(ob_i18n_known("da"));
	CHECK(!ob_i18n_known("fr"));
	CHECK(!ob_i18n_known(NULL));
	CHECK_STR(ob_gettext("Page not found"), "Page not found");

	CHECK_INT(ob_i18n_set("da"), 0);
	CHECK_STR(ob_i18n_current(), "da");
	CHECK_STR(ob_gettext("Page not found"), "Side ikke fundet");
	CHECK_STR(_("Home"), "Forside");
	CHECK_STR(ob_i18n_tr(NULL, "Internal error"), "Intern fejl");
	CHECK(ob_gettext(msgid) == msgid);
	CHECK_STR(ob_gettext(""), "");
	CHECK_STR(N_("Bad request"), "Bad request");

	/* Every msgid the C code uses so far has a Danish translation. */
	for (size_t i = 0; i < OB_NELEM(c_msgids); i++)
		if (ob_gettext(c_msgids[i]) == c_msgids[i]) {
			fprintf(
			    stderr, "  no da translation: %s\n", c_msgids[i]);
			CHECK(0);
		}

	/* Unknown languages are refused and the current one stays. */
	CHECK_INT(ob_i18n_set("fr"), OB_ENOENT);
	CHECK_INT(ob_i18n_set("DA"), OB_ENOENT);
	CHECK_INT(ob_i18n_set(""), OB_ENOENT);
	CHECK_INT(ob_i18n_set(NULL), OB_ENOENT);
	CHECK_STR(ob_i18n_current(), "da");
	ob_i18n_set_default();
	CHECK_STR(ob_i18n_current(), "en");
	CHECK_STR(ob_gettext("Page not found"), "Page not found");

	/* The default is the first listed. */
	{
		static const char *const da_first[] = { "da", "en", NULL };

		CHECK_INT(ob_i18n_load(LOCALEDIR, da_first, &err), 0);
		CHECK_STR(ob_i18n_current(), "da");
		CHECK_STR(_("Home"), "Forside");
	}

	/* A missing catalog names its path, and nothing stays loaded. */
	{
		static const char *const fr[] = { "en", "fr", NULL };

		CHECK_INT(ob_i18n_load(LOCALEDIR, fr, &err), OB_ENOENT);
		CHECK(contains(&err, "/po/fr/LC_MESSAGES/ombud.mo"));
		CHECK(!ob_i18n_known("en"));
		CHECK_STR(ob_i18n_current(), "en");
		CHECK_STR(_("Home"), "Home");
	}
	/* English needs no catalog. */
	{
		static const char *const en[] = { "en", NULL };

		CHECK_INT(ob_i18n_load("/nonexistent", en, &err), 0);
		CHECK(ob_i18n_known("en"));
		CHECK(ob_gettext(msgid) == msgid);
	}
	/* Bad lists. */
	{
		static const char *const none[] = { NULL };
		static const char *const twice[] = { "en", "da", "en", NULL };
		static const char *const path[] = { "../da", NULL };
		static const char *const upper[] = { "EN", NULL };
		static const char *const region[] = { "pt_br", NULL };

		CHECK_INT(ob_i18n_load(LOCALEDIR, none, &err), OB_EINVAL);
		CHECK_INT(ob_i18n_load(LOCALEDIR, twice, &err), OB_EINVAL);
		CHECK(contains(&err, "twice"));
		CHECK_INT(ob_i18n_load(LOCALEDIR, path, &err), OB_EINVAL);
		CHECK_INT(ob_i18n_load(LOCALEDIR, upper, &err), OB_EINVAL);
		CHECK_INT(ob_i18n_load(LOCALEDIR, region, &err), OB_EINVAL);
		CHECK(!ob_i18n_known("en"));
	}
	ob_i18n_free();
	ob_i18n_free();
	ob_buf_release(&err);
}

/* A corrupt catalog on disk is a load error naming the file. */
static void
test_corrupt_file(void)
{
	static const char *const langs[] = { "en", "da", NULL };
	char dir[] = "/tmp/ob-i18n-XXXXXX", path[256];
	struct ob_buf err = OB_BUF_INIT(512);
	FILE *f;

	if (mkdtemp(dir) == NULL)
		ob_die("mkdtemp");
	snprintf(path, sizeof(path), "%s/da", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/da/LC_MESSAGES", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/da/LC_MESSAGES/ombud.mo", dir);
	if ((f = fopen(path, "wb")) == NULL)
		ob_die("fopen");
	fputs("this is not a catalog at all, but long enough", f);
	fclose(f);
	CHECK_INT(ob_i18n_load(dir, langs, &err), OB_EINVAL);
	CHECK(contains(&err, "da/LC_MESSAGES/ombud.mo: not a .mo file"));
	CHECK(!ob_i18n_known("da"));
	unlink(path);
	/* A directory where the file should be. */
	mkdir(path, 0700);
	CHECK_INT(ob_i18n_load(dir, langs, &err), OB_EIO);
	CHECK(contains(&err, "not a regular file"));
	rmdir(path);
	snprintf(path, sizeof(path), "%s/da/LC_MESSAGES", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/da", dir);
	rmdir(path);
	rmdir(dir);
	ob_buf_release(&err);
}

static void
test_parse(void)
{
	struct ob_buf err = OB_BUF_INIT(256);
	struct ob_i18n_mo *mo = NULL;
	unsigned char *good, *bad;
	uint32_t n, orig, trans, off, len0;
	size_t len, failed = 0;
	char *cs;

	good = slurp(LOCALEDIR "/da/LC_MESSAGES/ombud.mo", &len);
	bad = ob_xmalloc(len);
	CHECK_INT(ob_i18n_parse_mo(good, len, &mo, &err), 0);
	if (mo == NULL)
		goto out;
	CHECK(ob_i18n_mo_count(mo) > 20);
	CHECK_STR(ob_i18n_mo_lookup(mo, "Page not found"), "Side ikke fundet");
	CHECK(ob_i18n_mo_lookup(mo, "Page not found!") == NULL);
	CHECK(ob_i18n_mo_lookup(mo, "") == NULL);
	CHECK(ob_i18n_mo_lookup(mo, "zzz") == NULL);
	CHECK(ob_i18n_mo_lookup(mo, "A") == NULL);
	ob_i18n_mo_free(mo);
	ob_i18n_mo_free(NULL);

	n = get32(good + 8);
	orig = get32(good + 12);
	trans = get32(good + 16);

	/* Every truncation fails (the last string ends the file). */
	for (size_t l = 0; l < len; l++) {
		mo = (struct ob_i18n_mo *)1;
		if (ob_i18n_parse_mo(good, l, &mo, &err) != 0 && mo == NULL)
			failed++;
	}
	CHECK_INT(failed, len);
	check_corrupt(good, 27, "too short");

	/* Bad magic, unknown revision. */
	memcpy(bad, good, len);
	bad[0] ^= 0x01;
	check_corrupt(bad, len, "bad magic");
	memcpy(bad, good, len);
	put32(bad + 4, 2u << 16);
	check_corrupt(bad, len, "revision");

	/* Tables out of range, and counts that would overflow. */
	memcpy(bad, good, len);
	put32(bad + 12, (uint32_t)len - 4);
	check_corrupt(bad, len, "tables out of range");
	memcpy(bad, good, len);
	put32(bad + 16, UINT32_MAX - 4);
	check_corrupt(bad, len, "tables out of range");
	memcpy(bad, good, len);
	put32(bad + 8, UINT32_MAX);
	check_corrupt(bad, len, "tables out of range");
	memcpy(bad, good, len);
	put32(bad + 8, (uint32_t)(len / 8));
	check_corrupt(bad, len, "");

	/* String offsets and lengths out of range. */
	memcpy(bad, good, len);
	put32(bad + orig + 8 * 3 + 4, UINT32_MAX - 2);
	check_corrupt(bad, len, "original string 3 out of range");
	memcpy(bad, good, len);
	put32(bad + trans + 8 * 5, UINT32_MAX);
	check_corrupt(bad, len, "translated string 5 out of range");
	memcpy(bad, good, len);
	put32(bad + trans + 8 * (n - 1) + 4, (uint32_t)len);
	check_corrupt(bad, len, "out of range");

	/* A missing NUL terminator. */
	memcpy(bad, good, len);
	off = get32(good + orig + 8 + 4);
	len0 = get32(good + orig + 8);
	bad[off + len0] = 'x';
	check_corrupt(bad, len, "not NUL-terminated");

	/* Originals out of order: binary search would go wrong. */
	memcpy(bad, good, len);
	memcpy(bad + orig + 8, good + orig + 16, 8);
	memcpy(bad + orig + 16, good + orig + 8, 8);
	check_corrupt(bad, len, "not sorted");

	/* Not UTF-8. */
	memcpy(bad, good, len);
	bad[get32(good + trans + 8 + 4)] = 0xff;
	check_corrupt(bad, len, "not UTF-8");

	/* A charset other than UTF-8 in the header. */
	memcpy(bad, good, len);
	cs = memmem(bad, len, "charset=UTF-8", 13);
	CHECK(cs != NULL);
	if (cs != NULL) {
		memcpy(cs + 8, "KOI8R", 5);
		check_corrupt(bad, len, "charset");
	}

	/* Too large to be ours. */
	{
		unsigned char *huge = ob_xcalloc(OB_I18N_MAX_MO_SIZE + 1, 1);

		memcpy(huge, good, len);
		mo = NULL;
		CHECK_INT(
		    ob_i18n_parse_mo(huge, OB_I18N_MAX_MO_SIZE + 1, &mo, &err),
		    OB_ETOOBIG);
		CHECK(mo == NULL);
		free(huge);
	}

	/* The same catalog written big-endian reads the same. */
	memcpy(bad, good, len);
	for (size_t at = 0; at < 28; at += 4)
		put32(bad + at, __builtin_bswap32(get32(good + at)));
	for (uint32_t i = 0; i < 2 * n; i++) {
		size_t at = (i < n ? orig : trans) + 8 * (i % n);

		put32(bad + at, __builtin_bswap32(get32(good + at)));
		put32(bad + at + 4, __builtin_bswap32(get32(good + at + 4)));
	}
	CHECK_INT(ob_i18n_parse_mo(bad, len, &mo, &err), 0);
	if (mo != NULL) {
		CHECK_STR(ob_i18n_mo_lookup(mo, "Home"), "Forside");
		ob_i18n_mo_free(mo);
	}

	/* An empty catalog: a header only, or nothing at all. */
	memset(bad, 0, 28);
	put32(bad, 0x950412de);
	put32(bad + 12, 28);
	put32(bad + 16, 28);
	CHECK_INT(ob_i18n_parse_mo(bad, 28, &mo, &err), 0);
	if (mo != NULL) {
		CHECK_INT(ob_i18n_mo_count(mo), 0);
		CHECK(ob_i18n_mo_lookup(mo, "Home") == NULL);
		ob_i18n_mo_free(mo);
	}
out:
	free(good);
	free(bad);
	ob_buf_release(&err);
}

int
main(void)
{
	test_catalogs();
	test_corrupt_file();
	test_parse();
	return CHECK_DONE();
}
