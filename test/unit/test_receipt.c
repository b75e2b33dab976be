#include "lib/receipt.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/crypto.h"
#include "test/unit/check.h"

static char dir[64];

static bool
in_alphabet(char c)
{
	return c != '\0' && strchr(ob_b32_alphabet, c) != NULL;
}

static void
test_alphabet(void)
{
	CHECK_INT(strlen(ob_b32_alphabet), 32);
	CHECK(strpbrk(ob_b32_alphabet, "ILOU") == NULL);
	for (int i = 0; i < 32; i++)
		CHECK(strchr(ob_b32_alphabet + i + 1, ob_b32_alphabet[i]) ==
		    NULL);
}

static void
test_format(void)
{
	struct ob_receipt r, back;
	char s[OB_RECEIPT_STRLEN + 1];

	ob_receipt_new(&r);
	CHECK_INT(strlen(r.sym), OB_RECEIPT_SYMBOLS);
	ob_receipt_format(&r, s);
	CHECK_INT(strlen(s), OB_RECEIPT_STRLEN);
	/* Five groups of four: XXXX-XXXX-XXXX-XXXX-XXXX. */
	for (int i = 0; i < OB_RECEIPT_STRLEN; i++) {
		if (i % 5 == 4)
			CHECK(s[i] == '-');
		else
			CHECK(in_alphabet(s[i]));
	}
	CHECK_INT(ob_receipt_parse(s, strlen(s), &back), 0);
	CHECK_STR(back.sym, r.sym);

	memcpy(r.sym, "0123456789ABCDEFGHJK", OB_RECEIPT_SYMBOLS);
	ob_receipt_format(&r, s);
	CHECK_STR(s, "0123-4567-89AB-CDEF-GHJK");
	ob_receipt_wipe(&r);
	CHECK(sodium_is_zero((unsigned char *)&r, sizeof(r)));
}

static void
test_normalise(void)
{
	static const struct {
		const char *in, *want; /* want NULL: refused */
	} t[] = {
		{ "ABCD-EFGH-JKMN-PQRS-TVWX", "ABCDEFGHJKMNPQRSTVWX" },
		{ "abcd-efgh-jkmn-pqrs-tvwx", "ABCDEFGHJKMNPQRSTVWX" },
		{ "AbCd EfGh JkMn PqRs TvWx", "ABCDEFGHJKMNPQRSTVWX" },
		{ "abcdefghjkmnpqrstvwx", "ABCDEFGHJKMNPQRSTVWX" },
		{ "  abcd.efgh_jkmn--pqrs - tvwx  ", "ABCDEFGHJKMNPQRSTVWX" },
		/* The confusable letters: O is 0, I and L are 1. */
		{ "OOOO-IIII-LLLL-oooo-iill", "00001111111100001111" },
		{ "0123-4567-89YZ-olio-LIOO", "0123456789YZ01101100" },
		/* U is not in the alphabet, and nothing else is either. */
		{ "ABCD-EFGH-JKMN-PQRS-TVWU", NULL },
		{ "abcd-efgh-jkmn-pqrs-tvwu", NULL },
		{ "ABCD-EFGH-JKMN-PQRS-TVW!", NULL },
		{ "ABCD+EFGH+JKMN+PQRS+TVWX", NULL },
		{ "ABCD\tEFGH-JKMN-PQRS-TVWX", NULL },
		{ "ABCD-EFGH-JKMN-PQRS-TVWX\n", NULL },
		{ "ABCD-EFGH-JKMN-PQRS-TVW\xc3\x89", NULL },
		/* Exactly twenty symbols. */
		{ "", NULL },
		{ "----", NULL },
		{ "ABCD-EFGH-JKMN-PQRS-TVW", NULL },
		{ "ABCD-EFGH-JKMN-PQRS-TVWXY", NULL },
		{ "ABCD-EFGH-JKMN-PQRS", NULL },
		{ "ABCD-EFGH-JKMN-PQRS-TVWX-ABCD", NULL },
	};
	struct ob_receipt r;
	char sym[8];
	size_t n = 99;

	for (size_t i = 0; i < OB_NELEM(t); i++) {
		int rc = ob_receipt_parse(t[i].in, strlen(t[i].in), &r);

		if (t[i].want != NULL) {
			CHECK_INT(rc, 0);
			CHECK_STR(r.sym, t[i].want);
		} else {
			CHECK_INT(rc, OB_EINVAL);
			/* A refused parse leaves nothing behind. */
			CHECK(sodium_is_zero((unsigned char *)&r, sizeof(r)));
			if (rc != OB_EINVAL)
				fprintf(stderr, "  input: %s\n", t[i].in);
		}
	}
	/* A NUL inside is not a separator. */
	CHECK_INT(
	    ob_receipt_parse("ABCD-EFGH\0JKMN-PQRS-TVWX", 24, &r), OB_EINVAL);
	/* Overlong input is refused before it is read. */
	{
		char big[OB_RECEIPT_INPUT_MAX + 21];

		memset(big, '-', sizeof(big));
		memcpy(big, "ABCDEFGHJKMNPQRSTVWX", 20);
		CHECK_INT(ob_receipt_parse(big, OB_RECEIPT_INPUT_MAX, &r), 0);
		CHECK_INT(ob_receipt_parse(big, sizeof(big), &r), OB_EINVAL);
	}
	CHECK_INT(ob_receipt_parse(NULL, 0, &r), OB_EINVAL);

	/* The normaliser on its own. */
	CHECK_INT(ob_b32_normalise("a-b o", 5, sym, sizeof(sym), &n), 0);
	CHECK_INT(n, 3);
	CHECK(memcmp(sym, "AB0", 3) == 0);
	CHECK_INT(ob_b32_normalise("", 0, sym, sizeof(sym), &n), 0);
	CHECK_INT(n, 0);
	CHECK_INT(ob_b32_normalise("123456789", 9, sym, 8, &n), OB_ETOOBIG);
	CHECK_INT(ob_b32_normalise("u", 1, sym, 8, &n), OB_EINVAL);
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_INT(fwrite(data, 1, len, f), len);
	fclose(f);
	CHECK_INT(chmod(path, mode), 0);
}

static struct ob_pepper *
pepper_from(const char *path, const void *data, size_t len)
{
	struct ob_buf err = OB_BUF_INIT(512);
	struct ob_pepper *p = NULL;

	write_file(path, data, len, 0600);
	CHECK_INT(ob_pepper_load(path, &p, &err), 0);
	if (err.len > 0)
		fprintf(stderr, "  %s\n", ob_buf_cstr(&err));
	ob_buf_release(&err);
	return p;
}

static void
test_lookup(void)
{
	static const unsigned char want1[32] = { 0x3e, 0x33, 0xb9, 0x2e, 0x83,
		0xea, 0xee, 0xb0, 0xd7, 0x5e, 0xb8, 0x56, 0x36, 0x93, 0xec,
		0xb4, 0x57, 0xce, 0x3c, 0xe9, 0x4c, 0x7b, 0x13, 0x37, 0xbf,
		0x4e, 0xe6, 0xf5, 0x68, 0xd6, 0x77, 0x8f };
	static const unsigned char want2[32] = { 0xf0, 0x04, 0x51, 0x10, 0xa2,
		0x8e, 0x89, 0x6e, 0xa7, 0x00, 0x9d, 0xcf, 0x5f, 0x92, 0x67,
		0xe0, 0xb2, 0x6a, 0x63, 0xb8, 0xc9, 0xf1, 0x61, 0x7b, 0x34,
		0x77, 0x2e, 0xd2, 0x10, 0x08, 0x71, 0x2c };
	unsigned char key[32], h1[32], h2[32], h3[32];
	char path[128], hex[66];
	struct ob_pepper *p1, *p2, *p1hex;
	struct ob_receipt r, typed, other;

	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)i;
	snprintf(path, sizeof(path), "%s/p1", dir);
	p1 = pepper_from(path, key, 32);
	sodium_bin2hex(hex, 65, key, 32);
	hex[64] = '\n';
	snprintf(path, sizeof(path), "%s/p1hex", dir);
	p1hex = pepper_from(path, hex, 65);
	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)(i + 1);
	snprintf(path, sizeof(path), "%s/p2", dir);
	p2 = pepper_from(path, key, 32);
	if (p1 == NULL || p2 == NULL || p1hex == NULL)
		goto out;

	/*
	 * Golden values: Python's hashlib.blake2b(receipt, key=pepper,
	 * digest_size=32), so the hash is what the header says it is and
	 * stays stable across versions (stored rows depend on it).
	 */
	CHECK_INT(ob_receipt_parse("0123-4567-89ab-cdef-ghjk", 24, &r), 0);
	ob_receipt_lookup(&r, p1, h1);
	CHECK(memcmp(h1, want1, 32) == 0);
	ob_receipt_lookup(&r, p1hex, h2);
	CHECK(memcmp(h2, want1, 32) == 0);
	ob_receipt_lookup(&r, p2, h2);
	CHECK(memcmp(h2, want2, 32) == 0);

	/* Whatever way it is typed, the same receipt finds the same row. */
	CHECK_INT(ob_receipt_parse("O123 4567 89AB CDEF GHJK", 24, &typed), 0);
	ob_receipt_lookup(&typed, p1, h3);
	CHECK(memcmp(h1, h3, 32) == 0);

	/* A different receipt, a different row. */
	CHECK_INT(ob_receipt_parse("0123-4567-89AB-CDEF-GHJM", 24, &other), 0);
	ob_receipt_lookup(&other, p1, h3);
	CHECK(memcmp(h1, h3, 32) != 0);
out:
	ob_pepper_free(p1);
	ob_pepper_free(p1hex);
	ob_pepper_free(p2);
}

static int
cmp_receipt(const void *a, const void *b)
{
	return strcmp(((const struct ob_receipt *)a)->sym,
	    ((const struct ob_receipt *)b)->sym);
}

/*
 * 20 symbols * log2(32) = 100 bits >= 80.  A sanity check that the
 * generator uses all of them: 10,000 receipts, none twice, and every
 * symbol at every position (each expected ~312 times).
 */
static void
test_entropy(void)
{
	enum { N = 10000 };
	static struct ob_receipt rs[N];
	static int seen[OB_RECEIPT_SYMBOLS][32];
	int dups = 0, missing = 0;

	CHECK(OB_RECEIPT_BITS >= 80);
	CHECK_INT(OB_RECEIPT_BITS, OB_RECEIPT_SYMBOLS * 5);
	for (int i = 0; i < N; i++) {
		ob_receipt_new(&rs[i]);
		for (int j = 0; j < OB_RECEIPT_SYMBOLS; j++) {
			const char *p = strchr(ob_b32_alphabet, rs[i].sym[j]);

			CHECK(p != NULL && rs[i].sym[j] != '\0');
			if (p != NULL && rs[i].sym[j] != '\0')
				seen[j][p - ob_b32_alphabet]++;
		}
	}
	qsort(rs, N, sizeof(rs[0]), cmp_receipt);
	for (int i = 1; i < N; i++)
		if (strcmp(rs[i - 1].sym, rs[i].sym) == 0)
			dups++;
	CHECK_INT(dups, 0);
	for (int j = 0; j < OB_RECEIPT_SYMBOLS; j++)
		for (int k = 0; k < 32; k++)
			if (seen[j][k] == 0)
				missing++;
	CHECK_INT(missing, 0);
	sodium_memzero(rs, sizeof(rs));
}

static void
refused(const char *name, const void *data, size_t len, mode_t mode, int want)
{
	struct ob_buf err = OB_BUF_INIT(512);
	struct ob_pepper *p = (struct ob_pepper *)&err; /* not NULL */
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, data, len, mode);
	CHECK_INT(ob_pepper_load(path, &p, &err), want);
	CHECK(p == NULL);
	/* The message names the file. */
	CHECK(strstr(ob_buf_cstr(&err), path) != NULL);
	ob_buf_release(&err);
	unlink(path);
}

static void
test_pepper_file(void)
{
	struct ob_buf err = OB_BUF_INIT(512);
	struct ob_pepper *p = NULL;
	unsigned char raw[32], zeros[32] = { 0 };
	char hex[70], path[128], link[128];
	struct stat st;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, 65, raw, sizeof(raw));

	/* A new pepper file: 0600, 64 hex digits and a newline; loads. */
	snprintf(path, sizeof(path), "%s/new.pepper", dir);
	CHECK_INT(ob_pepper_create(path, &err), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(st.st_size, 65);
	CHECK_INT(ob_pepper_load(path, &p, &err), 0);
	CHECK(p != NULL);
	ob_pepper_free(p);
	p = NULL;
	/* Never over an existing file. */
	CHECK_INT(ob_pepper_create(path, &err), OB_EIO);
	CHECK(strstr(ob_buf_cstr(&err), path) != NULL);
	CHECK_INT(stat(path, &st), 0);

	/* Good files: raw bytes, hex with and without the newline. */
	ob_buf_reset(&err);
	p = pepper_from(path, raw, 32);
	CHECK(p != NULL);
	ob_pepper_free(p);
	p = pepper_from(path, hex, 64);
	CHECK(p != NULL);
	ob_pepper_free(p);
	hex[64] = '\n';
	p = pepper_from(path, hex, 65);
	CHECK(p != NULL);
	ob_pepper_free(p);
	p = NULL;

	/* Readable (or anything) by group or others. */
	refused("world", raw, 32, 0644, OB_EPERM);
	refused("group", raw, 32, 0640, OB_EPERM);
	refused("other", hex, 65, 0604, OB_EPERM);
	refused("gwrite", raw, 32, 0620, OB_EPERM);
	/* Wrong sizes and contents. */
	refused("short", raw, 31, 0600, OB_EINVAL);
	refused("long", hex, 33, 0600, OB_EINVAL);
	refused("hex63", hex, 63, 0600, OB_EINVAL);
	{
		char v[70];

		memcpy(v, hex, 64);
		memcpy(v + 64, "0\n", 2);
		refused("hex65", v, 65, 0600, OB_EINVAL);
		memcpy(v + 64, "00\n", 3);
		refused("hex66", v, 67, 0600, OB_EINVAL);
		memcpy(v + 64, "\n\n", 2);
		refused("twonl", v, 66, 0600, OB_EINVAL);
		memcpy(v + 64, "\r\n", 2);
		refused("crlf", v, 66, 0600, OB_EINVAL);
		memcpy(v + 64, "\n", 1);
		v[10] = 'g';
		refused("nothex", v, 65, 0600, OB_EINVAL);
		sodium_memzero(v, sizeof(v));
	}
	refused(
	    "hex32", "00112233445566778899aabbccddeeff", 32, 0600, OB_EINVAL);
	refused("zeros", zeros, 32, 0600, OB_EINVAL);
	refused("empty", "", 0, 0600, OB_EINVAL);
	{
		static char big[4096];

		refused("big", big, sizeof(big), 0600, OB_EINVAL);
	}

	/* Not there, a directory, a symlink. */
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_INT(ob_pepper_load(path, &p, &err), OB_ENOENT);
	CHECK_INT(ob_pepper_load(dir, &p, &err), OB_EINVAL);
	snprintf(path, sizeof(path), "%s/target", dir);
	write_file(path, raw, 32, 0600);
	snprintf(link, sizeof(link), "%s/link", dir);
	CHECK_INT(symlink(path, link), 0);
	CHECK_INT(ob_pepper_load(link, &p, &err), OB_EINVAL);
	CHECK(p == NULL);
	unlink(link);
	unlink(path);
	snprintf(path, sizeof(path), "%s/new.pepper", dir);
	unlink(path);
	ob_buf_release(&err);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(hex, sizeof(hex));
}

static void
test_pepper_config(void)
{
	struct ob_buf err = OB_BUF_INIT(512);
	struct ob_config *cfg = NULL;
	struct ob_pepper *p = NULL;
	char conf[128], pep[128], text[512];
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	snprintf(pep, sizeof(pep), "%s/cfg.pepper", dir);
	write_file(pep, raw, 32, 0600);
	snprintf(conf, sizeof(conf), "%s/ombud.conf", dir);

	snprintf(text, sizeof(text), "[receipt]\npepper_file = %s\n", pep);
	write_file(conf, text, strlen(text), 0644);
	CHECK_INT(ob_config_load(conf, &cfg, &err), 0);
	CHECK_INT(ob_pepper_load_config(cfg, &p, &err), 0);
	CHECK(p != NULL);
	ob_pepper_free(p);
	p = NULL;
	ob_config_free(cfg);
	cfg = NULL;

	snprintf(text, sizeof(text), "[receipt]\npeper_file = %s\n", pep);
	write_file(conf, text, strlen(text), 0644);
	CHECK_INT(ob_config_load(conf, &cfg, &err), 0);
	ob_buf_reset(&err);
	CHECK_INT(ob_pepper_load_config(cfg, &p, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "peper_file") != NULL);
	CHECK(p == NULL);
	ob_config_free(cfg);
	cfg = NULL;

	write_file(conf, "[paths]\n", 8, 0644);
	CHECK_INT(ob_config_load(conf, &cfg, &err), 0);
	ob_buf_reset(&err);
	CHECK_INT(ob_pepper_load_config(cfg, &p, &err), OB_ENOENT);
	CHECK(strstr(ob_buf_cstr(&err), "pepper_file") != NULL);
	ob_config_free(cfg);

	unlink(conf);
	unlink(pep);
	ob_buf_release(&err);
}

int
main(void)
{
	CHECK_INT(ob_crypto_init(), 0);
	snprintf(dir, sizeof(dir), "/tmp/ombud-test-receipt-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_alphabet();
	test_format();
	test_normalise();
	test_lookup();
	test_entropy();
	test_pepper_file();
	test_pepper_config();
	if (rmdir(dir) != 0)
		perror(dir);
	return CHECK_DONE();
}
