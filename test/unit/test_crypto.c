#include "lib/crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/receipt.h"
#include "lib/util.h"
#include "test/unit/check.h"

/* Argon2id at its minimum, so the unit tests stay fast. */
static const struct ob_pwparams fast = { crypto_pwhash_OPSLIMIT_MIN,
	crypto_pwhash_MEMLIMIT_MIN };

static char dir[64];

static bool
has_pk(const struct ob_keypair *kp, const unsigned char *pk)
{
	return kp != NULL && memcmp(ob_keypair_pk(kp), pk, OB_KEY_BYTES) == 0;
}

static void
hex2bin(const char *hex, unsigned char *out, size_t n)
{
	size_t got = 0;

	CHECK(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL) == 0);
	CHECK_INT(got, n);
}

static void
test_ad(void)
{
	static const unsigned char want[] = { 1, 'p', 1, 'l', 0, 0, 0, 1, 'v' };
	struct ob_ad a, b;
	struct ob_item_key k;
	struct ob_handler_cred cred;
	struct ob_keypair *kp = ob_keypair_new();
	struct ob_stream *s = NULL;
	struct ob_token t;
	struct ob_buf out = OB_BUF_INIT(1024);
	unsigned char sealed[OB_SEALED_BYTES], wrapped[OB_WRAPPED_SK_BYTES];
	char id[OB_AD_ID_MAX + 2];

	/* The encoding: u8 purpose, then u8 label and u32 length per part. */
	ob_ad_init(&a, "p");
	ob_ad_add_str(&a, "l", "v");
	CHECK_INT(a.err, 0);
	CHECK_INT(a.len, sizeof(want));
	CHECK(memcmp(a.b, want, sizeof(want)) == 0);

	/* Lengths keep different lists apart. */
	ob_ad_item(&a, "1", "23", "4", "report");
	ob_ad_item(&b, "12", "3", "4", "report");
	CHECK_INT(a.err, 0);
	CHECK_INT(b.err, 0);
	CHECK(a.len == b.len && memcmp(a.b, b.b, a.len) != 0);
	ob_ad_init(&a, "x");
	ob_ad_add_str(&a, "ab", "c");
	ob_ad_init(&b, "x");
	ob_ad_add_str(&b, "a", "bc");
	CHECK(a.len == b.len && memcmp(a.b, b.b, a.len) != 0);
	ob_ad_case(&a, "1", "2");
	ob_ad_recovery(&b, "1");
	CHECK(a.len != b.len || memcmp(a.b, b.b, a.len) != 0);

	/* Bad parts mark the AD bad. */
	ob_ad_item(&a, "1", "", "4", "report");
	CHECK(a.err != 0);
	ob_ad_item(&a, "1", "2", NULL, "report");
	CHECK(a.err != 0);
	memset(id, '7', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	ob_ad_user(&a, id);
	CHECK(a.err != 0);
	id[OB_AD_ID_MAX] = '\0';
	ob_ad_user(&a, id);
	CHECK_INT(a.err, 0);
	ob_ad_init(&a, "");
	CHECK(a.err != 0);
	ob_ad_init(&a, "p");
	ob_ad_add(&a, "", "v", 1);
	CHECK(a.err != 0);
	ob_ad_init(&a, "p");
	for (int i = 0; i < 10; i++)
		ob_ad_add_str(&a, "id", id);
	CHECK(a.err != 0);
	CHECK(a.len <= OB_AD_MAX);

	/* ... and every function refuses a bad or uninitialised AD. */
	ob_item_key_new(&k);
	ob_token_new(&t);
	CHECK_INT(ob_text_encrypt(&k, &a, "x", 1, &out), OB_EINVAL);
	CHECK_INT(out.len, 0);
	CHECK_INT(
	    ob_item_key_seal(&k, ob_keypair_pk(kp), &a, sealed), OB_EINVAL);
	CHECK_INT(ob_sk_seal(kp, ob_keypair_pk(kp), &a, sealed), OB_EINVAL);
	CHECK_INT(ob_token_wrap_sk(&t, kp, &a, wrapped), OB_EINVAL);
	CHECK_INT(ob_stream_push_new(&k, &a, &s), OB_EINVAL);
	CHECK(s == NULL);
	CHECK_INT(
	    ob_handler_cred_set("pw", 2, kp, &fast, &a, &cred), OB_EINVAL);
	memset(&b, 0, sizeof(b));
	CHECK_INT(ob_text_encrypt(&k, &b, "x", 1, &out), OB_EINVAL);
	CHECK_INT(ob_sk_seal(kp, ob_keypair_pk(kp), &b, sealed), OB_EINVAL);
	CHECK_INT(ob_text_encrypt(&k, NULL, "x", 1, &out), OB_EINVAL);
	ob_item_key_wipe(&k);
	ob_token_wipe(&t);
	ob_keypair_free(kp);
	ob_buf_release(&out);
}

static void
test_keypair(void)
{
	struct ob_keypair *a = ob_keypair_new(), *b = ob_keypair_new();

	CHECK(!sodium_is_zero(ob_keypair_pk(a), OB_KEY_BYTES));
	CHECK(memcmp(ob_keypair_pk(a), ob_keypair_pk(b), OB_KEY_BYTES) != 0);
	ob_keypair_free(a);
	ob_keypair_free(b);
	ob_keypair_free(NULL);
}

static void
test_password(void)
{
	static const char pw[] = "correct horse battery staple";
	static const char pw2[] = "Tr0ub4dor&3";
	struct ob_keypair *h = ob_keypair_new(), *h2 = ob_keypair_new();
	struct ob_keypair *got = NULL;
	struct ob_handler_cred c, c2, bad;
	struct ob_pwparams p;
	struct ob_ad ad, other;
	const unsigned char *pk = ob_keypair_pk(h);
	char *longpw;

	ob_ad_user(&ad, "7");
	ob_ad_user(&other, "8");
	CHECK_INT(ob_handler_cred_set(pw, strlen(pw), h, &fast, &ad, &c), 0);
	CHECK_INT(c.params.opslimit, fast.opslimit);
	CHECK_INT(c.params.memlimit, fast.memlimit);
	CHECK_INT(c.sk_wrapped[0], OB_CRYPTO_V1);

	/* The right password unwraps the handler's own keypair. */
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &c, pk, &ad, &got), 0);
	CHECK(has_pk(got, pk));
	ob_keypair_free(got);

	/* Wrong passwords: nothing comes out. */
	got = h;
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw) - 1, &c, pk, &ad, &got),
	    OB_EPERM);
	CHECK(got == NULL);
	CHECK_INT(ob_handler_cred_open(pw2, strlen(pw2), &c, pk, &ad, &got),
	    OB_EPERM);
	CHECK_INT(ob_handler_cred_open("", 0, &c, pk, &ad, &got), OB_EPERM);
	CHECK_INT(ob_handler_cred_open("Correct horse battery staple",
		      strlen(pw), &c, pk, &ad, &got),
	    OB_EPERM);
	CHECK(got == NULL);

	/* The right password on another user's row, or the wrong pk. */
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &c, pk, &other, &got),
	    OB_EPERM);
	CHECK_INT(ob_handler_cred_open(
		      pw, strlen(pw), &c, ob_keypair_pk(h2), &ad, &got),
	    OB_EPERM);
	CHECK(got == NULL);

	/*
	 * The verifier (compared with crypto_verify_32, in constant time):
	 * a difference in its first or last byte is refused alike.
	 */
	bad = c;
	bad.verifier[0] ^= 1;
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &bad, pk, &ad, &got),
	    OB_EPERM);
	bad = c;
	bad.verifier[OB_KEY_BYTES - 1] ^= 0x80;
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &bad, pk, &ad, &got),
	    OB_EPERM);
	bad = c;
	bad.salt[5] ^= 1;
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &bad, pk, &ad, &got),
	    OB_EPERM);
	bad = c;
	bad.params.opslimit++;
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &bad, pk, &ad, &got),
	    OB_EPERM);
	/* A flipped byte anywhere in the wrapped key. */
	for (size_t i = 0; i < sizeof(c.sk_wrapped); i++) {
		int rc;

		bad = c;
		bad.sk_wrapped[i] ^= 0x01;
		rc = ob_handler_cred_open(pw, strlen(pw), &bad, pk, &ad, &got);
		CHECK_INT(rc, i == 0 ? OB_EINVAL : OB_EPERM);
		CHECK(got == NULL);
	}

	/* Parameters out of bounds are refused, not run. */
	bad = c;
	bad.params.opslimit = 0;
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &bad, pk, &ad, &got),
	    OB_EINVAL);
	bad = c;
	bad.params.memlimit = 1;
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &bad, pk, &ad, &got),
	    OB_EINVAL);
	bad = c;
	bad.params.memlimit = 1ull << 40;
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &bad, pk, &ad, &got),
	    OB_EINVAL);
	p = fast;
	p.opslimit = 1000;
	CHECK_INT(
	    ob_handler_cred_set(pw, strlen(pw), h, &p, &ad, &bad), OB_EINVAL);
	longpw = ob_xcalloc(1, OB_PASSWORD_MAX + 2);
	memset(longpw, 'a', OB_PASSWORD_MAX + 1);
	CHECK_INT(ob_handler_cred_set(
		      longpw, OB_PASSWORD_MAX + 1, h, &fast, &ad, &bad),
	    OB_EINVAL);
	CHECK_INT(
	    ob_handler_cred_set(longpw, OB_PASSWORD_MAX, h, &fast, &ad, &bad),
	    0);
	free(longpw);

	/* Same password again: a new salt, so a new verifier. */
	CHECK_INT(ob_handler_cred_set(pw, strlen(pw), h, &fast, &ad, &c2), 0);
	CHECK(memcmp(c.salt, c2.salt, OB_SALT_BYTES) != 0);
	CHECK(memcmp(c.verifier, c2.verifier, OB_KEY_BYTES) != 0);

	/* A password change re-wraps the same keypair. */
	CHECK_INT(ob_handler_cred_open(pw, strlen(pw), &c, pk, &ad, &got), 0);
	CHECK_INT(
	    ob_handler_cred_set(pw2, strlen(pw2), got, &fast, &ad, &c2), 0);
	ob_keypair_free(got);
	CHECK_INT(
	    ob_handler_cred_open(pw2, strlen(pw2), &c2, pk, &ad, &got), 0);
	CHECK(has_pk(got, pk));
	ob_keypair_free(got);
	CHECK_INT(
	    ob_handler_cred_open(pw, strlen(pw), &c2, pk, &ad, &got), OB_EPERM);
	CHECK(got == NULL);

	/* Rehash when the defaults moved. */
	CHECK(ob_pwparams_outdated(&c.params, &ob_pwparams_default));
	CHECK(!ob_pwparams_outdated(&c.params, &fast));
	CHECK_INT(ob_pwparams_default.opslimit, 3);
	CHECK_INT(ob_pwparams_default.memlimit, 64 << 20);

	ob_keypair_free(h);
	ob_keypair_free(h2);
}

/* The one run at production cost: 64 MiB, opslimit 3. */
static void
test_password_default(void)
{
	static const char pw[] = "a password at the default cost";
	struct ob_keypair *h = ob_keypair_new(), *got = NULL;
	struct ob_handler_cred c;
	struct ob_ad ad;
	uint64_t t0 = ob_now_us();

	ob_ad_user(&ad, "1");
	CHECK_INT(ob_handler_cred_set(
		      pw, strlen(pw), h, &ob_pwparams_default, &ad, &c),
	    0);
	CHECK_INT(c.params.memlimit, 64u << 20);
	CHECK_INT(c.params.opslimit, 3);
	CHECK_INT(ob_handler_cred_open(
		      pw, strlen(pw), &c, ob_keypair_pk(h), &ad, &got),
	    0);
	CHECK(has_pk(got, ob_keypair_pk(h)));
	fprintf(stderr, "two Argon2id runs at 64 MiB: %llu ms\n",
	    (unsigned long long)((ob_now_us() - t0) / 1000));
	ob_keypair_free(got);
	ob_keypair_free(h);
}

static void
test_seal(void)
{
	struct ob_keypair *t = ob_keypair_new(), *h = ob_keypair_new();
	struct ob_keypair *h2 = ob_keypair_new(), *got = NULL;
	unsigned char s[OB_SEALED_BYTES], s2[OB_SEALED_BYTES];
	unsigned char bad[OB_SEALED_BYTES + 1];
	struct ob_ad ad, other_tenant, other_user, rec;
	struct ob_item_key k;
	const unsigned char *tpk = ob_keypair_pk(t);

	ob_ad_membership(&ad, "1", "7");
	ob_ad_membership(&other_tenant, "2", "7");
	ob_ad_membership(&other_user, "1", "8");
	ob_ad_recovery(&rec, "1");

	CHECK_INT(ob_sk_seal(t, ob_keypair_pk(h), &ad, s), 0);
	CHECK_INT(s[0], OB_CRYPTO_V1);
	CHECK_INT(ob_sk_open(h, s, sizeof(s), tpk, &ad, &got), 0);
	CHECK(has_pk(got, tpk));
	ob_keypair_free(got);
	/* Sealing is randomised. */
	CHECK_INT(ob_sk_seal(t, ob_keypair_pk(h), &ad, s2), 0);
	CHECK(memcmp(s, s2, sizeof(s)) != 0);

	/* Another handler's key, or the wrong public key expected. */
	got = h;
	CHECK_INT(ob_sk_open(h2, s, sizeof(s), tpk, &ad, &got), OB_EPERM);
	CHECK(got == NULL);
	CHECK_INT(ob_sk_open(h, s, sizeof(s), ob_keypair_pk(h2), &ad, &got),
	    OB_EPERM);
	CHECK(got == NULL);
	/* Moved to another tenant's or user's row, or another column. */
	CHECK_INT(
	    ob_sk_open(h, s, sizeof(s), tpk, &other_tenant, &got), OB_EPERM);
	CHECK_INT(
	    ob_sk_open(h, s, sizeof(s), tpk, &other_user, &got), OB_EPERM);
	CHECK_INT(ob_sk_open(h, s, sizeof(s), tpk, &rec, &got), OB_EPERM);
	CHECK(got == NULL);

	/* Every flipped byte, and every wrong length. */
	for (size_t i = 0; i < sizeof(s); i++) {
		memcpy(bad, s, sizeof(s));
		bad[i] ^= 0x40;
		CHECK_INT(ob_sk_open(h, bad, sizeof(s), tpk, &ad, &got),
		    i == 0 ? OB_EINVAL : OB_EPERM);
		CHECK(got == NULL);
	}
	memcpy(bad, s, sizeof(s));
	bad[sizeof(s)] = 0;
	for (size_t n = 0; n <= sizeof(bad); n++) {
		if (n == sizeof(s))
			continue;
		CHECK_INT(ob_sk_open(h, bad, n, tpk, &ad, &got), OB_EINVAL);
		CHECK(got == NULL);
	}

	/* An item key sealed to the same key is not a secret key. */
	ob_item_key_new(&k);
	CHECK_INT(ob_item_key_seal(&k, ob_keypair_pk(h), &ad, s), 0);
	CHECK_INT(ob_sk_open(h, s, sizeof(s), tpk, &ad, &got), OB_EPERM);
	CHECK(got == NULL);
	ob_item_key_wipe(&k);

	ob_keypair_free(t);
	ob_keypair_free(h);
	ob_keypair_free(h2);
}

/* The TOTP secret sealed to its handler: only that handler, that row. */
static void
test_secret_seal(void)
{
	struct ob_keypair *h = ob_keypair_new(), *h2 = ob_keypair_new();
	struct ob_keypair *got = NULL;
	unsigned char secret[OB_KEY_BYTES], out[OB_KEY_BYTES];
	unsigned char s[OB_SEALED_BYTES], bad[OB_SEALED_BYTES];
	struct ob_ad ad, other, member;

	randombytes_buf(secret, sizeof(secret));
	ob_ad_totp(&ad, "7");
	ob_ad_totp(&other, "8");
	ob_ad_membership(&member, "1", "7");
	CHECK_INT(ob_secret_seal(secret, ob_keypair_pk(h), &ad, s), 0);
	CHECK_INT(ob_secret_open(h, s, sizeof(s), &ad, out), 0);
	CHECK(memcmp(out, secret, sizeof(out)) == 0);

	memset(out, 0xaa, sizeof(out));
	CHECK_INT(ob_secret_open(h2, s, sizeof(s), &ad, out), OB_EPERM);
	CHECK(sodium_is_zero(out, sizeof(out)));
	CHECK_INT(ob_secret_open(h, s, sizeof(s), &other, out), OB_EPERM);
	CHECK_INT(ob_secret_open(h, s, sizeof(s) - 1, &ad, out), OB_EINVAL);
	memcpy(bad, s, sizeof(s));
	bad[sizeof(s) / 2] ^= 1;
	CHECK_INT(ob_secret_open(h, bad, sizeof(s), &ad, out), OB_EPERM);

	/* Not interchangeable with a sealed secret key, either way. */
	CHECK_INT(ob_secret_open(h, s, sizeof(s), &member, out), OB_EPERM);
	CHECK_INT(ob_sk_open(h, s, sizeof(s), ob_keypair_pk(h2), &ad, &got),
	    OB_EPERM);
	CHECK(got == NULL);
	CHECK_INT(ob_sk_seal(h2, ob_keypair_pk(h), &ad, s), 0);
	CHECK_INT(ob_secret_open(h, s, sizeof(s), &ad, out), OB_EPERM);

	CHECK_INT(ob_secret_seal(NULL, ob_keypair_pk(h), &ad, s), OB_EINVAL);
	sodium_memzero(secret, sizeof(secret));
	ob_keypair_free(h);
	ob_keypair_free(h2);
}

static void
test_item_key(void)
{
	struct ob_keypair *c = ob_keypair_new(), *c2 = ob_keypair_new();
	struct ob_item_key k, got;
	struct ob_ad ad, swapped[4];
	unsigned char s[OB_SEALED_BYTES], bad[OB_SEALED_BYTES];

	ob_ad_item(&ad, "1", "100", "1000", "message");
	ob_ad_item(&swapped[0], "1", "100", "1001", "message");
	ob_ad_item(&swapped[1], "1", "101", "1000", "message");
	ob_ad_item(&swapped[2], "2", "100", "1000", "message");
	ob_ad_item(&swapped[3], "1", "100", "1000", "note");

	ob_item_key_new(&k);
	CHECK(!sodium_is_zero(k.k, sizeof(k.k)));
	/* Only the case's public key is needed to write. */
	CHECK_INT(ob_item_key_seal(&k, ob_keypair_pk(c), &ad, s), 0);
	CHECK_INT(ob_item_key_open(c, s, sizeof(s), &ad, &got), 0);
	CHECK(memcmp(k.k, got.k, sizeof(k.k)) == 0);

	CHECK_INT(ob_item_key_open(c2, s, sizeof(s), &ad, &got), OB_EPERM);
	CHECK(sodium_is_zero(got.k, sizeof(got.k)));
	for (size_t i = 0; i < OB_NELEM(swapped); i++) {
		memset(got.k, 0xaa, sizeof(got.k));
		CHECK_INT(ob_item_key_open(c, s, sizeof(s), &swapped[i], &got),
		    OB_EPERM);
		CHECK(sodium_is_zero(got.k, sizeof(got.k)));
	}
	for (size_t i = 0; i < sizeof(s); i++) {
		memcpy(bad, s, sizeof(s));
		bad[i] ^= 0x01;
		memset(got.k, 0xaa, sizeof(got.k));
		CHECK(ob_item_key_open(c, bad, sizeof(s), &ad, &got) != 0);
		CHECK(sodium_is_zero(got.k, sizeof(got.k)));
	}
	CHECK_INT(ob_item_key_open(c, s, sizeof(s) - 1, &ad, &got), OB_EINVAL);
	CHECK(sodium_is_zero(got.k, sizeof(got.k)));
	ob_item_key_wipe(&k);
	CHECK(sodium_is_zero(k.k, sizeof(k.k)));
	ob_keypair_free(c);
	ob_keypair_free(c2);
}

static void
test_text(void)
{
	static const char msg[] = "the canteen fund went to the CFO's boat";
	const size_t mlen = sizeof(msg) - 1;
	struct ob_buf ct = OB_BUF_INIT(1 << 20), pt = OB_BUF_INIT(1 << 20);
	struct ob_buf ct2 = OB_BUF_INIT(1 << 20), small = OB_BUF_INIT(10);
	struct ob_item_key k, k2;
	struct ob_ad ad, swapped[4];
	unsigned char *bad;

	ob_item_key_new(&k);
	ob_item_key_new(&k2);
	ob_ad_item(&ad, "1", "100", "1000", "message");
	/* An item swapped into another item, case, tenant or kind. */
	ob_ad_item(&swapped[0], "1", "100", "1001", "message");
	ob_ad_item(&swapped[1], "1", "101", "1000", "message");
	ob_ad_item(&swapped[2], "2", "100", "1000", "message");
	ob_ad_item(&swapped[3], "1", "100", "1000", "note");

	CHECK_INT(ob_text_encrypt(&k, &ad, msg, mlen, &ct), 0);
	CHECK_INT(ct.len, mlen + OB_TEXT_OVERHEAD);
	CHECK_INT((unsigned char)ct.data[0], OB_CRYPTO_V1);
	CHECK(memmem(ct.data, ct.len, "canteen", 7) == NULL);
	CHECK_INT(ob_text_decrypt(&k, &ad, ct.data, ct.len, &pt), 0);
	CHECK_INT(pt.len, mlen);
	CHECK_STR(ob_buf_cstr(&pt), msg);
	ob_buf_release_secret(&pt);
	/* A fresh nonce each time. */
	CHECK_INT(ob_text_encrypt(&k, &ad, msg, mlen, &ct2), 0);
	CHECK(memcmp(ct.data, ct2.data, ct.len) != 0);

	/* Wrong key, swapped rows: nothing in the output. */
	CHECK_INT(ob_text_decrypt(&k2, &ad, ct.data, ct.len, &pt), OB_EPERM);
	CHECK_INT(pt.len, 0);
	for (size_t i = 0; i < OB_NELEM(swapped); i++) {
		CHECK_INT(
		    ob_text_decrypt(&k, &swapped[i], ct.data, ct.len, &pt),
		    OB_EPERM);
		CHECK_INT(pt.len, 0);
	}
	/* Every flipped byte. */
	bad = ob_xmalloc(ct.len + 1);
	for (size_t i = 0; i < ct.len; i++) {
		memcpy(bad, ct.data, ct.len);
		bad[i] ^= 0x20;
		CHECK_INT(ob_text_decrypt(&k, &ad, bad, ct.len, &pt),
		    i == 0 ? OB_EINVAL : OB_EPERM);
		CHECK_INT(pt.len, 0);
	}
	/* Every truncation, and a byte too many. */
	for (size_t n = 0; n < ct.len; n++) {
		CHECK(ob_text_decrypt(&k, &ad, ct.data, n, &pt) != 0);
		CHECK_INT(pt.len, 0);
	}
	memcpy(bad, ct.data, ct.len);
	bad[ct.len] = 0;
	CHECK_INT(ob_text_decrypt(&k, &ad, bad, ct.len + 1, &pt), OB_EPERM);
	CHECK_INT(pt.len, 0);
	free(bad);

	/* Decryption appends; a failure leaves the buffer as it was. */
	CHECK_INT(ob_buf_puts(&pt, "abc"), 0);
	CHECK_INT(
	    ob_text_decrypt(&k, &swapped[0], ct.data, ct.len, &pt), OB_EPERM);
	CHECK_STR(ob_buf_cstr(&pt), "abc");
	CHECK_INT(pt.len, 3);
	CHECK(sodium_is_zero((unsigned char *)pt.data + 3, mlen + 1));
	CHECK_INT(ob_text_decrypt(&k, &ad, ct.data, ct.len, &pt), 0);
	CHECK_INT(pt.len, 3 + mlen);
	CHECK(memcmp(pt.data + 3, msg, mlen) == 0);
	ob_buf_release_secret(&pt);

	/* Caps: nothing half-written. */
	CHECK_INT(ob_text_encrypt(&k, &ad, msg, mlen, &small), OB_ETOOBIG);
	CHECK_INT(small.len, 0);
	CHECK_INT(
	    ob_text_decrypt(&k, &ad, ct.data, ct.len, &small), OB_ETOOBIG);
	CHECK_INT(small.len, 0);

	/* Empty text. */
	ob_buf_reset(&ct);
	CHECK_INT(ob_text_encrypt(&k, &ad, NULL, 0, &ct), 0);
	CHECK_INT(ct.len, OB_TEXT_OVERHEAD);
	CHECK_INT(ob_text_decrypt(&k, &ad, ct.data, ct.len, &pt), 0);
	CHECK_INT(pt.len, 0);
	CHECK_INT(
	    ob_text_decrypt(&k, &swapped[1], ct.data, ct.len, &pt), OB_EPERM);
	CHECK_INT(ob_text_decrypt(&k2, &ad, ct.data, ct.len, &pt), OB_EPERM);

	ob_item_key_wipe(&k);
	ob_item_key_wipe(&k2);
	ob_buf_release(&ct);
	ob_buf_release(&ct2);
	ob_buf_release(&small);
	ob_buf_release_secret(&pt);
}

/* A stored file: its chunks as file_chunks rows would hold them. */
struct chunks {
	size_t n;
	unsigned char *c[64];
	size_t len[64];
};

static void
chunks_free(struct chunks *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free(ch->c[i]);
	ch->n = 0;
}

static int
push_file(const struct ob_item_key *k, const struct ob_ad *ad,
    const unsigned char *data, size_t len, size_t step, struct chunks *ch)
{
	struct ob_stream *s = NULL;
	size_t off = 0;
	int rc;

	ch->n = 0;
	if ((rc = ob_stream_push_new(k, ad, &s)) != 0)
		return rc;
	do {
		size_t n = len - off < step ? len - off : step;
		bool final = off + n == len;

		ch->c[ch->n] = ob_xmalloc(OB_STREAM_OUT_MAX);
		rc = ob_stream_push(s, data + off, n, final, ch->c[ch->n],
		    OB_STREAM_OUT_MAX, &ch->len[ch->n]);
		ch->n++;
		off += n;
		if (rc != 0 || final)
			break;
	} while (ch->n < OB_NELEM(ch->c));
	if (rc == 0)
		rc = ob_stream_end(s);
	ob_stream_free(s);
	return rc;
}

/*
 * Pulls the chunks listed in order into out; the first error, or
 * ob_stream_end's verdict.  A failed pull must leave its output zeroed.
 */
static int
pull_file(const struct ob_item_key *k, const struct ob_ad *ad,
    const struct chunks *ch, const size_t *order, size_t n, struct ob_buf *out)
{
	struct ob_stream *s = NULL;
	unsigned char *m = ob_xmalloc(OB_STREAM_CHUNK_MAX);
	size_t mlen;
	int rc;

	if ((rc = ob_stream_pull_new(k, ad, &s)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const size_t j = order != NULL ? order[i] : i;

		memset(m, 0x55, OB_STREAM_CHUNK_MAX);
		rc = ob_stream_pull(
		    s, ch->c[j], ch->len[j], m, OB_STREAM_CHUNK_MAX, &mlen);
		if (rc != 0) {
			CHECK(sodium_is_zero(m, OB_STREAM_CHUNK_MAX));
			goto out;
		}
		if ((rc = ob_buf_append(out, m, mlen)) != 0)
			goto out;
	}
	rc = ob_stream_end(s);
out:
	ob_stream_free(s);
	sodium_memzero(m, OB_STREAM_CHUNK_MAX);
	free(m);
	return rc;
}

static void
stream_roundtrip(size_t len, size_t step, size_t want_chunks)
{
	struct chunks ch = { 0 };
	struct ob_buf out = OB_BUF_INIT(1 << 20);
	unsigned char *data = ob_xmalloc(len + 1);
	struct ob_item_key k;
	struct ob_ad ad;

	randombytes_buf(data, len);
	ob_item_key_new(&k);
	ob_ad_item(&ad, "1", "100", "1000", "file");
	CHECK_INT(push_file(&k, &ad, data, len, step, &ch), 0);
	CHECK_INT(ch.n, want_chunks);
	for (size_t i = 0; i < ch.n; i++) {
		size_t plain = i + 1 < ch.n ? step : len - step * (ch.n - 1);

		CHECK_INT(ch.len[i],
		    plain + OB_STREAM_ABYTES +
			(i == 0 ? OB_STREAM_HEADER_BYTES : 0));
		CHECK(ch.len[i] <= OB_STREAM_OUT_MAX);
	}
	CHECK_INT(ch.c[0][0], OB_CRYPTO_V1);
	CHECK_INT(pull_file(&k, &ad, &ch, NULL, ch.n, &out), 0);
	CHECK_INT(out.len, len);
	CHECK(len == 0 || memcmp(out.data, data, len) == 0);
	if (out.len != len)
		fprintf(stderr, "  stream of %zu bytes in steps of %zu\n", len,
		    step);
	chunks_free(&ch);
	ob_buf_release_secret(&out);
	ob_item_key_wipe(&k);
	free(data);
}

static void
test_stream(void)
{
	static const unsigned char text[] = "0123456789abcdefghijABCDEFGHIJ";
	struct chunks ch = { 0 };
	struct ob_buf out = OB_BUF_INIT(1 << 20);
	struct ob_item_key k, k2;
	struct ob_ad ad, other;
	struct ob_stream *s = NULL;
	unsigned char buf[OB_STREAM_OUT_MAX], *big;
	size_t n = 0;
	static const size_t drop_last[] = { 0, 1 }, drop_first[] = { 1, 2 },
			    drop_mid[] = { 0, 2 }, swap[] = { 0, 2, 1 },
			    dup[] = { 0, 1, 1, 2 }, extra[] = { 0, 1, 2, 2 };

	/* Empty, one byte, exactly one chunk, several chunks. */
	stream_roundtrip(0, OB_STREAM_CHUNK_MAX, 1);
	stream_roundtrip(1, OB_STREAM_CHUNK_MAX, 1);
	stream_roundtrip(OB_STREAM_CHUNK_MAX, OB_STREAM_CHUNK_MAX, 1);
	stream_roundtrip(OB_STREAM_CHUNK_MAX + 1, OB_STREAM_CHUNK_MAX, 2);
	stream_roundtrip(
	    3 * OB_STREAM_CHUNK_MAX + 1000, OB_STREAM_CHUNK_MAX, 4);
	stream_roundtrip(5000, 1000, 5);

	/* A three-chunk file to tamper with. */
	ob_item_key_new(&k);
	ob_item_key_new(&k2);
	ob_ad_item(&ad, "1", "100", "1000", "file");
	ob_ad_item(&other, "1", "100", "1001", "file");
	CHECK_INT(push_file(&k, &ad, text, 30, 10, &ch), 0);
	CHECK_INT(ch.n, 3);
	CHECK_INT(pull_file(&k, &ad, &ch, NULL, 3, &out), 0);
	CHECK_INT(out.len, 30);
	ob_buf_reset(&out);

	/* Truncated: every chunk opens, but the end never came. */
	CHECK_INT(pull_file(&k, &ad, &ch, drop_last, 2, &out), OB_EINVAL);
	ob_buf_reset(&out);
	CHECK(pull_file(&k, &ad, &ch, drop_first, 2, &out) != 0);
	CHECK_INT(out.len, 0);
	CHECK_INT(pull_file(&k, &ad, &ch, drop_mid, 2, &out), OB_EPERM);
	ob_buf_reset(&out);
	CHECK_INT(pull_file(&k, &ad, &ch, swap, 3, &out), OB_EPERM);
	ob_buf_reset(&out);
	CHECK_INT(pull_file(&k, &ad, &ch, dup, 4, &out), OB_EPERM);
	ob_buf_reset(&out);
	CHECK_INT(pull_file(&k, &ad, &ch, extra, 4, &out), OB_EINVAL);
	ob_buf_reset(&out);
	/* Another item's AD, another key. */
	CHECK_INT(pull_file(&k, &other, &ch, NULL, 3, &out), OB_EPERM);
	CHECK_INT(out.len, 0);
	CHECK_INT(pull_file(&k2, &ad, &ch, NULL, 3, &out), OB_EPERM);
	CHECK_INT(out.len, 0);
	/* Every flipped byte of every chunk, and every truncated chunk. */
	for (size_t c = 0; c < ch.n; c++) {
		for (size_t i = 0; i < ch.len[c]; i++) {
			ch.c[c][i] ^= 0x04;
			CHECK(pull_file(&k, &ad, &ch, NULL, 3, &out) != 0);
			ch.c[c][i] ^= 0x04;
			ob_buf_reset(&out);
		}
		for (size_t len = 0; len < ch.len[c]; len++) {
			size_t keep = ch.len[c];

			ch.len[c] = len;
			CHECK(pull_file(&k, &ad, &ch, NULL, 3, &out) != 0);
			ch.len[c] = keep;
			ob_buf_reset(&out);
		}
	}
	CHECK_INT(pull_file(&k, &ad, &ch, NULL, 3, &out), 0);
	chunks_free(&ch);

	/* Misuse of a push stream. */
	CHECK_INT(ob_stream_push_new(&k, &ad, &s), 0);
	CHECK_INT(ob_stream_end(s), OB_EINVAL);
	CHECK_INT(ob_stream_push(s, text, 10, false, buf, 10 + 17 + 24, &n),
	    OB_ETOOBIG);
	/* Any error breaks the stream for good. */
	CHECK_INT(
	    ob_stream_push(s, text, 10, true, buf, sizeof(buf), &n), OB_EINVAL);
	ob_stream_free(s);
	CHECK_INT(ob_stream_push_new(&k, &ad, &s), 0);
	big = ob_xcalloc(1, OB_STREAM_CHUNK_MAX + 1);
	CHECK_INT(ob_stream_push(s, big, OB_STREAM_CHUNK_MAX + 1, true, big,
		      OB_STREAM_CHUNK_MAX + 1, &n),
	    OB_ETOOBIG);
	free(big);
	ob_stream_free(s);
	CHECK_INT(ob_stream_push_new(&k, &ad, &s), 0);
	CHECK_INT(ob_stream_push(s, text, 10, true, buf, sizeof(buf), &n), 0);
	CHECK_INT(n, 10 + OB_STREAM_HEADER_BYTES + OB_STREAM_ABYTES);
	CHECK_INT(ob_stream_end(s), 0);
	CHECK_INT(
	    ob_stream_push(s, text, 10, true, buf, sizeof(buf), &n), OB_EINVAL);
	CHECK_INT(ob_stream_end(s), OB_EINVAL);
	CHECK_INT(ob_stream_pull(s, buf, 10, buf, sizeof(buf), &n), OB_EINVAL);
	ob_stream_free(s);
	ob_stream_free(NULL);

	ob_item_key_wipe(&k);
	ob_item_key_wipe(&k2);
	ob_buf_release_secret(&out);
}

static void
test_token(void)
{
	static const char golden[] =
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
	static const unsigned char golden_lookup[32] = { 0x4f, 0xef, 0x0a, 0xcd,
		0x92, 0x89, 0x36, 0x71, 0x7e, 0xe9, 0xc3, 0x4c, 0x4f, 0xea,
		0x0d, 0x31, 0x12, 0x0b, 0x54, 0x53, 0xc9, 0x69, 0xd2, 0x8c,
		0x4e, 0xb7, 0x05, 0x32, 0x43, 0x11, 0x37, 0xe7 };
	static const char *const refused[] = {
		"",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh/",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh.",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh ",
		" AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		/* Non-zero unused bits: another spelling of a token. */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD",
	};
	struct ob_token t, t2, back;
	char s[OB_TOKEN_STRLEN + 1];
	unsigned char h[OB_KEY_BYTES], h2[OB_KEY_BYTES];
	unsigned char w[OB_WRAPPED_SK_BYTES], bad[OB_WRAPPED_SK_BYTES];
	struct ob_keypair *kp = ob_keypair_new(), *other = ob_keypair_new();
	struct ob_keypair *got = NULL;
	struct ob_ad ad, ad2, rep;
	const unsigned char *pk = ob_keypair_pk(kp);

	/* Golden values from Python (base64, hashlib.blake2b). */
	CHECK_INT(ob_token_parse(golden, &t), 0);
	for (int i = 0; i < 32; i++)
		CHECK_INT(t.b[i], i);
	ob_token_encode(&t, s);
	CHECK_STR(s, golden);
	ob_token_lookup(&t, h);
	CHECK(memcmp(h, golden_lookup, 32) == 0);

	for (size_t i = 0; i < OB_NELEM(refused); i++) {
		memset(&back, 0xaa, sizeof(back));
		CHECK_INT(ob_token_parse(refused[i], &back), OB_EINVAL);
		CHECK(sodium_is_zero(back.b, sizeof(back.b)));
	}
	CHECK_INT(ob_token_parse(NULL, &back), OB_EINVAL);
	CHECK_INT(ob_token_parse(
		      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", &back),
	    0);
	CHECK_INT(back.b[31], 1);

	/* Fresh tokens: 43 URL-safe characters, parse back, differ. */
	ob_token_new(&t);
	ob_token_new(&t2);
	CHECK(memcmp(t.b, t2.b, sizeof(t.b)) != 0);
	ob_token_encode(&t, s);
	CHECK_INT(strlen(s), OB_TOKEN_STRLEN);
	CHECK_INT(strspn(s,
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-_"),
	    OB_TOKEN_STRLEN);
	CHECK_INT(ob_token_parse(s, &back), 0);
	CHECK(memcmp(t.b, back.b, sizeof(t.b)) == 0);
	ob_token_lookup(&t, h);
	ob_token_lookup(&t2, h2);
	CHECK(memcmp(h, h2, sizeof(h)) != 0);
	CHECK(memcmp(h, t.b, sizeof(h)) != 0);

	/* The session's copy of the secret key. */
	ob_ad_handler_session(&ad, "7");
	ob_ad_handler_session(&ad2, "8");
	ob_ad_reporter_session(&rep, "1", "7");
	CHECK_INT(ob_token_wrap_sk(&t, kp, &ad, w), 0);
	CHECK_INT(w[0], OB_CRYPTO_V1);
	CHECK_INT(ob_token_unwrap_sk(&back, w, sizeof(w), pk, &ad, &got), 0);
	CHECK(has_pk(got, pk));
	ob_keypair_free(got);
	got = kp;
	CHECK_INT(
	    ob_token_unwrap_sk(&t2, w, sizeof(w), pk, &ad, &got), OB_EPERM);
	CHECK(got == NULL);
	CHECK_INT(
	    ob_token_unwrap_sk(&t, w, sizeof(w), pk, &ad2, &got), OB_EPERM);
	CHECK_INT(
	    ob_token_unwrap_sk(&t, w, sizeof(w), pk, &rep, &got), OB_EPERM);
	CHECK_INT(ob_token_unwrap_sk(
		      &t, w, sizeof(w), ob_keypair_pk(other), &ad, &got),
	    OB_EPERM);
	CHECK_INT(
	    ob_token_unwrap_sk(&t, w, sizeof(w) - 1, pk, &ad, &got), OB_EINVAL);
	CHECK(got == NULL);
	for (size_t i = 0; i < sizeof(w); i++) {
		memcpy(bad, w, sizeof(w));
		bad[i] ^= 0x10;
		CHECK_INT(ob_token_unwrap_sk(&t, bad, sizeof(w), pk, &ad, &got),
		    i == 0 ? OB_EINVAL : OB_EPERM);
		CHECK(got == NULL);
	}
	ob_token_wipe(&t);
	CHECK(sodium_is_zero(t.b, sizeof(t.b)));
	ob_token_wipe(&t2);
	ob_token_wipe(&back);
	ob_keypair_free(kp);
	ob_keypair_free(other);
}

/* sk = bytes 100..131; computed independently with Python. */
static const char golden_rk[] =
    "OMBUD-RK1-CHJP-CSV8-D5N6-PV3D-DSQQ-0WBJ-EDT7-AXKQ-F1WQ-MYVW-FNZ7-"
    "Z041-GA1N-QPDY";

static void
test_recovery(void)
{
	struct ob_keypair *kp = ob_keypair_new(), *got = NULL, *g2 = NULL;
	char s[OB_RECOVERY_STRLEN + 1], typo[OB_RECOVERY_STRLEN + 8];
	size_t symbols = 0;

	ob_recovery_export(kp, s);
	CHECK_INT(strlen(s), OB_RECOVERY_STRLEN);
	CHECK(strncmp(s, "OMBUD-RK1-", 10) == 0);
	for (size_t i = 10; i < OB_RECOVERY_STRLEN; i++) {
		if ((i - 10) % 5 == 4) {
			CHECK(s[i] == '-');
		} else {
			CHECK(s[i] != '\0' && strchr(ob_b32_alphabet, s[i]));
			symbols++;
		}
	}
	CHECK_INT(symbols, 56);
	CHECK_INT(ob_recovery_import(s, strlen(s), &got), 0);
	CHECK(has_pk(got, ob_keypair_pk(kp)));
	ob_keypair_free(got);

	/* The golden key: imports, and exports to the same string. */
	CHECK_INT(ob_recovery_import(golden_rk, strlen(golden_rk), &got), 0);
	if (got != NULL) {
		ob_recovery_export(got, s);
		CHECK_STR(s, golden_rk);
		ob_keypair_free(got);
	}

	/* Typed back by hand: lowercase, spaces, O for 0, a newline. */
	{
		static const char *const ok[] = {
			"ombud-rk1-chjp-csv8-d5n6-pv3d-dsqq-0wbj-edt7-axkq-"
			"f1wq-myvw-fnz7-z041-ga1n-qpdy",
			"OMBUD-RK1-CHJP CSV8 D5N6 PV3D DSQQ OWBJ EDT7 AXKQ "
			"FIWQ MYVW FNZ7 ZO4I GAIN QPDY\n",
			"  OMBUD-RK1-CHJPCSV8D5N6PV3DDSQQ0WBJEDT7AXKQF1WQMYVWF"
			"NZ7Z041GA1NQPDY\r\n",
		};

		for (size_t i = 0; i < OB_NELEM(ok); i++) {
			CHECK_INT(
			    ob_recovery_import(ok[i], strlen(ok[i]), &got), 0);
			if (got == NULL)
				continue;
			CHECK_INT(ob_recovery_import(
				      golden_rk, strlen(golden_rk), &g2),
			    0);
			CHECK(g2 != NULL && has_pk(got, ob_keypair_pk(g2)));
			ob_keypair_free(got);
			ob_keypair_free(g2);
			g2 = NULL;
		}
	}

	/* Every one-symbol typo is caught by the checksum. */
	for (size_t i = 10; i < OB_RECOVERY_STRLEN; i++) {
		const char *p;

		if (golden_rk[i] == '-')
			continue;
		memcpy(typo, golden_rk, sizeof(golden_rk));
		p = strchr(ob_b32_alphabet, golden_rk[i]);
		typo[i] = p[1] != '\0' ? p[1] : ob_b32_alphabet[0];
		got = kp;
		CHECK_INT(
		    ob_recovery_import(typo, strlen(typo), &got), OB_EINVAL);
		CHECK(got == NULL);
	}
	/* Swapped neighbours, a missing or extra symbol, wrong prefix. */
	memcpy(typo, golden_rk, sizeof(golden_rk));
	typo[10] = golden_rk[11];
	typo[11] = golden_rk[10];
	CHECK_INT(ob_recovery_import(typo, strlen(typo), &got), OB_EINVAL);
	CHECK_INT(ob_recovery_import(golden_rk, strlen(golden_rk) - 1, &got),
	    OB_EINVAL);
	memcpy(typo, golden_rk, sizeof(golden_rk));
	memcpy(typo + strlen(golden_rk), "0", 2);
	CHECK_INT(ob_recovery_import(typo, strlen(typo), &got), OB_EINVAL);
	memcpy(typo, golden_rk, sizeof(golden_rk));
	typo[8] = '2';
	CHECK_INT(ob_recovery_import(typo, strlen(typo), &got), OB_EINVAL);
	memcpy(typo, golden_rk, sizeof(golden_rk));
	typo[12] = 'U';
	CHECK_INT(ob_recovery_import(typo, strlen(typo), &got), OB_EINVAL);
	CHECK_INT(
	    ob_recovery_import(golden_rk + 10, strlen(golden_rk) - 10, &got),
	    OB_EINVAL);
	CHECK_INT(ob_recovery_import("", 0, &got), OB_EINVAL);
	CHECK(got == NULL);
	ob_keypair_free(kp);
}

/*
 * Rows written by this version, with the key of golden_rk: they must
 * keep opening in every later version (the formats are stored).
 */
static void
test_golden_rows(void)
{
	static const char pk_hex[] = "7d9c24316539825c1896e57f28197746793ce60c"
				     "bee3ad47da9d07b85fa55e2a";
	static const char salt_hex[] = "4442f6452fab390cddfe85bd8ed42665";
	static const char verifier_hex[] =
	    "ee5ff8070b0ab642b282d2df307972cddbdb5fb238a5d3cc56c7a7c70b9c4bcb";
	static const char wrapped_hex[] =
	    "011ae0727ef55d447403b5bdecd6cf7dc5f1ac1b5b840e9f3b9b3ffd0ce013f0"
	    "0a7c4d3eee2d9caa49d393fd9dc3da57fd204e65577cd15e6d7a7ae867341543"
	    "e33a252e8452a7d722";
	static const char key_sealed_hex[] =
	    "0183c7152e18ad82c87caf823fb91f775b5a2c54b723018e580633dc10e15e79"
	    "61f2b4f069adfa47deeb7d4d65bfc0378a6985e455cab699a1dd286f26f4556f"
	    "699c12e08dbe1fd43c0b343353bd4b63937ac39475870eba0b7c9f907b681a7c"
	    "0d";
	static const char text_hex[] =
	    "017ad5ecc2a287d36496e65717da5e2f7dfedde8a1fd7a886de8ed9498b8371a"
	    "4ed3e378adc70e9def86b471278ebaf8b21cd6f6";
	static const char chunk_hex[] =
	    "010f601f41ff2f77b5533639c67c9a5283405a11035f79ee4c126bee149fd1f3"
	    "873858a61921d33c9df027c5d8ef4722bb8ff998a8";
	static const char session_hex[] =
	    "011cf16d1bbe2554d7d189f304273937817653d32b88f19787027e7498cdeed2"
	    "a15b554c2aff079023d5f04bbae5c05ae0ea834329372b1cca1673ce4ea7f3aa"
	    "4c19c28227c7c3bff0";
	static const char rsalt_hex[] = "474ed47e09c04e9832b3d73dc646ad93";
	static const char rwrapped_hex[] =
	    "0113fad9ae634cfb5a7e0756fe5085201cc9ebe8a2d23cb94b97dafd28aece87"
	    "ebadca42f4fdf59ed4948f225830c0f60e6022327d96e02c4fcb8402f86718f2"
	    "209712c96b2268fb7e";
	unsigned char pk[32], sealed[OB_SEALED_BYTES], text[52], chunk[53];
	unsigned char session[OB_WRAPPED_SK_BYTES], m[OB_STREAM_CHUNK_MAX];
	struct ob_handler_cred hc;
	struct ob_receipt_cred rc;
	struct ob_keypair *kp = NULL, *got = NULL;
	struct ob_buf pt = OB_BUF_INIT(1024);
	struct ob_stream *s = NULL;
	struct ob_item_key k;
	struct ob_receipt r;
	struct ob_token t;
	struct ob_ad ad;
	size_t n = 0;

	hex2bin(pk_hex, pk, sizeof(pk));
	CHECK_INT(ob_recovery_import(golden_rk, strlen(golden_rk), &kp), 0);
	CHECK(has_pk(kp, pk));

	memset(&hc, 0, sizeof(hc));
	hex2bin(salt_hex, hc.salt, sizeof(hc.salt));
	hc.params = fast;
	hex2bin(verifier_hex, hc.verifier, sizeof(hc.verifier));
	hex2bin(wrapped_hex, hc.sk_wrapped, sizeof(hc.sk_wrapped));
	ob_ad_user(&ad, "42");
	CHECK_INT(
	    ob_handler_cred_open("golden password", 15, &hc, pk, &ad, &got), 0);
	CHECK(has_pk(got, pk));
	ob_keypair_free(got);

	hex2bin(key_sealed_hex, sealed, sizeof(sealed));
	hex2bin(text_hex, text, sizeof(text));
	ob_ad_item(&ad, "1", "2", "3", "report");
	CHECK_INT(ob_item_key_open(kp, sealed, sizeof(sealed), &ad, &k), 0);
	CHECK_INT(ob_text_decrypt(&k, &ad, text, sizeof(text), &pt), 0);
	CHECK_STR(ob_buf_cstr(&pt), "golden text");

	hex2bin(chunk_hex, chunk, sizeof(chunk));
	ob_ad_item(&ad, "1", "2", "3", "file");
	CHECK_INT(ob_stream_pull_new(&k, &ad, &s), 0);
	CHECK_INT(ob_stream_pull(s, chunk, sizeof(chunk), m, sizeof(m), &n), 0);
	CHECK_INT(ob_stream_end(s), 0);
	CHECK(n == 11 && memcmp(m, "golden file", 11) == 0);
	ob_stream_free(s);

	hex2bin(session_hex, session, sizeof(session));
	CHECK_INT(
	    ob_token_parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", &t),
	    0);
	ob_ad_handler_session(&ad, "42");
	CHECK_INT(
	    ob_token_unwrap_sk(&t, session, sizeof(session), pk, &ad, &got), 0);
	CHECK(has_pk(got, pk));
	ob_keypair_free(got);

	memset(&rc, 0, sizeof(rc));
	hex2bin(rsalt_hex, rc.salt, sizeof(rc.salt));
	rc.params = fast;
	hex2bin(rwrapped_hex, rc.sk_wrapped, sizeof(rc.sk_wrapped));
	CHECK_INT(ob_receipt_parse("0123-4567-89ab-cdef-ghjk", 24, &r), 0);
	ob_ad_case(&ad, "1", "2");
	CHECK_INT(ob_receipt_cred_open(&r, &rc, pk, &ad, &got), 0);
	CHECK(has_pk(got, pk));
	ob_keypair_free(got);

	ob_item_key_wipe(&k);
	ob_keypair_free(kp);
	ob_buf_release_secret(&pt);
}

static void
test_receipt_cred(void)
{
	struct ob_keypair *c = ob_keypair_new(), *c2 = ob_keypair_new();
	struct ob_keypair *got = NULL;
	struct ob_receipt r, typed, wrong;
	struct ob_receipt_cred cred, bad;
	struct ob_ad ad, other;
	char shown[OB_RECEIPT_STRLEN + 1];
	const unsigned char *pk = ob_keypair_pk(c);

	ob_receipt_new(&r);
	ob_ad_case(&ad, "1", "100");
	ob_ad_case(&other, "1", "101");
	CHECK_INT(ob_receipt_cred_set(&r, c, &fast, &ad, &cred), 0);
	CHECK_INT(cred.sk_wrapped[0], OB_CRYPTO_V1);
	CHECK_INT(cred.params.opslimit, fast.opslimit);
	CHECK_INT(ob_receipt_cred_open(&r, &cred, pk, &ad, &got), 0);
	CHECK(has_pk(got, pk));
	ob_keypair_free(got);

	/* What the reporter types, however they type it. */
	ob_receipt_format(&r, shown);
	for (char *p = shown; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	CHECK_INT(ob_receipt_parse(shown, strlen(shown), &typed), 0);
	CHECK_INT(ob_receipt_cred_open(&typed, &cred, pk, &ad, &got), 0);
	CHECK(has_pk(got, pk));
	ob_keypair_free(got);

	/* A wrong receipt, another case, a wrong pk, altered bytes. */
	wrong = r;
	wrong.sym[19] = wrong.sym[19] == '0' ? '1' : '0';
	got = c;
	CHECK_INT(ob_receipt_cred_open(&wrong, &cred, pk, &ad, &got), OB_EPERM);
	CHECK(got == NULL);
	CHECK_INT(ob_receipt_cred_open(&r, &cred, pk, &other, &got), OB_EPERM);
	CHECK_INT(ob_receipt_cred_open(&r, &cred, ob_keypair_pk(c2), &ad, &got),
	    OB_EPERM);
	bad = cred;
	bad.salt[0] ^= 1;
	CHECK_INT(ob_receipt_cred_open(&r, &bad, pk, &ad, &got), OB_EPERM);
	for (size_t i = 0; i < sizeof(cred.sk_wrapped); i++) {
		bad = cred;
		bad.sk_wrapped[i] ^= 0x02;
		CHECK(ob_receipt_cred_open(&r, &bad, pk, &ad, &got) != 0);
		CHECK(got == NULL);
	}
	bad = cred;
	bad.params.memlimit = 0;
	CHECK_INT(ob_receipt_cred_open(&r, &bad, pk, &ad, &got), OB_EINVAL);
	CHECK(got == NULL);

	ob_receipt_wipe(&r);
	ob_receipt_wipe(&typed);
	ob_receipt_wipe(&wrong);
	sodium_memzero(shown, sizeof(shown));
	ob_keypair_free(c);
	ob_keypair_free(c2);
}

/*
 * The whole hierarchy, keeping only what the database would hold
 * between steps: public keys and the stored values.
 */
static void
test_chain(void)
{
	static const char pw[] = "handler password";
	static const char report[] = "what happened, and when";
	unsigned char hpk[32], tpk[32], cpk[32], npk[32];
	unsigned char mem[OB_SEALED_BYTES], mem2[OB_SEALED_BYTES];
	unsigned char rec[OB_SEALED_BYTES], case_t[OB_SEALED_BYTES];
	unsigned char key_sealed[OB_SEALED_BYTES], key2_sealed[OB_SEALED_BYTES];
	unsigned char hsess[OB_WRAPPED_SK_BYTES], rsess[OB_WRAPPED_SK_BYTES];
	char rk[OB_RECOVERY_STRLEN + 1], shown[OB_RECEIPT_STRLEN + 1];
	char cookie[OB_TOKEN_STRLEN + 1], rcookie[OB_TOKEN_STRLEN + 1];
	struct ob_handler_cred hcred, ncred;
	struct ob_receipt_cred rcred;
	struct ob_buf text = OB_BUF_INIT(4096), text2 = OB_BUF_INIT(4096);
	struct ob_buf pt = OB_BUF_INIT(4096);
	struct ob_ad a_user, a_mem, a_mem_n, a_rec, a_case, a_item, a_item2,
	    a_hs, a_rs, a_user_n;
	struct ob_keypair *h, *t, *c, *r, *n;
	struct ob_keypair *h1 = NULL, *t1 = NULL, *c1 = NULL, *r1 = NULL;
	struct ob_keypair *n1 = NULL;
	struct ob_item_key k;
	struct ob_receipt receipt;
	struct ob_token tok, rtok;

	ob_ad_user(&a_user, "7");
	ob_ad_user(&a_user_n, "8");
	ob_ad_membership(&a_mem, "1", "7");
	ob_ad_membership(&a_mem_n, "1", "8");
	ob_ad_recovery(&a_rec, "1");
	ob_ad_case(&a_case, "1", "100");
	ob_ad_item(&a_item, "1", "100", "1000", "report");
	ob_ad_item(&a_item2, "1", "100", "1001", "message");
	ob_ad_handler_session(&a_hs, "7");
	ob_ad_reporter_session(&a_rs, "1", "100");

	/* Setup: handler, tenant with a recovery key, a case, a report. */
	h = ob_keypair_new();
	memcpy(hpk, ob_keypair_pk(h), 32);
	CHECK_INT(
	    ob_handler_cred_set(pw, strlen(pw), h, &fast, &a_user, &hcred), 0);
	t = ob_keypair_new();
	memcpy(tpk, ob_keypair_pk(t), 32);
	CHECK_INT(ob_sk_seal(t, hpk, &a_mem, mem), 0);
	r = ob_keypair_new();
	CHECK_INT(ob_sk_seal(t, ob_keypair_pk(r), &a_rec, rec), 0);
	ob_recovery_export(r, rk);
	c = ob_keypair_new();
	memcpy(cpk, ob_keypair_pk(c), 32);
	CHECK_INT(ob_sk_seal(c, tpk, &a_case, case_t), 0);
	ob_receipt_new(&receipt);
	ob_receipt_format(&receipt, shown);
	CHECK_INT(ob_receipt_cred_set(&receipt, c, &fast, &a_case, &rcred), 0);
	ob_receipt_wipe(&receipt);
	ob_keypair_free(h);
	ob_keypair_free(t);
	ob_keypair_free(r);
	ob_keypair_free(c);

	/* Intake writes with the case's public key alone. */
	ob_item_key_new(&k);
	CHECK_INT(ob_item_key_seal(&k, cpk, &a_item, key_sealed), 0);
	CHECK_INT(
	    ob_text_encrypt(&k, &a_item, report, strlen(report), &text), 0);
	ob_item_key_wipe(&k);

	/* Handler: password -> handler sk -> tenant sk -> case sk -> item. */
	CHECK_INT(
	    ob_handler_cred_open(pw, strlen(pw), &hcred, hpk, &a_user, &h1), 0);
	CHECK_INT(ob_sk_open(h1, mem, sizeof(mem), tpk, &a_mem, &t1), 0);
	CHECK_INT(ob_sk_open(t1, case_t, sizeof(case_t), cpk, &a_case, &c1), 0);
	CHECK_INT(
	    ob_item_key_open(c1, key_sealed, sizeof(key_sealed), &a_item, &k),
	    0);
	CHECK_INT(ob_text_decrypt(&k, &a_item, text.data, text.len, &pt), 0);
	CHECK_STR(ob_buf_cstr(&pt), report);
	ob_buf_release_secret(&pt);
	ob_item_key_wipe(&k);

	/* The handler answers: a new item in the same case. */
	ob_item_key_new(&k);
	CHECK_INT(ob_item_key_seal(&k, cpk, &a_item2, key2_sealed), 0);
	CHECK_INT(ob_text_encrypt(&k, &a_item2, "thank you", 9, &text2), 0);
	ob_item_key_wipe(&k);
	ob_keypair_free(t1);
	ob_keypair_free(c1);
	t1 = c1 = NULL;

	/* A handler session: the cookie alone unlocks the handler key. */
	ob_token_new(&tok);
	ob_token_encode(&tok, cookie);
	CHECK_INT(ob_token_wrap_sk(&tok, h1, &a_hs, hsess), 0);
	ob_token_wipe(&tok);
	ob_keypair_free(h1);
	h1 = NULL;
	CHECK_INT(ob_token_parse(cookie, &tok), 0);
	CHECK_INT(
	    ob_token_unwrap_sk(&tok, hsess, sizeof(hsess), hpk, &a_hs, &h1), 0);
	CHECK(has_pk(h1, hpk));
	ob_token_wipe(&tok);
	CHECK_INT(ob_sk_open(h1, mem, sizeof(mem), tpk, &a_mem, &t1), 0);
	CHECK(has_pk(t1, tpk));
	ob_keypair_free(h1);
	ob_keypair_free(t1);
	h1 = t1 = NULL;

	/* Reporter: receipt -> case sk -> both items; a reporter session. */
	{
		struct ob_receipt typed;

		CHECK_INT(ob_receipt_parse(shown, strlen(shown), &typed), 0);
		CHECK_INT(
		    ob_receipt_cred_open(&typed, &rcred, cpk, &a_case, &c1), 0);
		ob_receipt_wipe(&typed);
	}
	ob_token_new(&rtok);
	ob_token_encode(&rtok, rcookie);
	CHECK_INT(ob_token_wrap_sk(&rtok, c1, &a_rs, rsess), 0);
	ob_token_wipe(&rtok);
	ob_keypair_free(c1);
	c1 = NULL;
	CHECK_INT(ob_token_parse(rcookie, &rtok), 0);
	CHECK_INT(
	    ob_token_unwrap_sk(&rtok, rsess, sizeof(rsess), cpk, &a_rs, &c1),
	    0);
	ob_token_wipe(&rtok);
	CHECK_INT(
	    ob_item_key_open(c1, key_sealed, sizeof(key_sealed), &a_item, &k),
	    0);
	CHECK_INT(ob_text_decrypt(&k, &a_item, text.data, text.len, &pt), 0);
	CHECK_STR(ob_buf_cstr(&pt), report);
	ob_buf_release_secret(&pt);
	CHECK_INT(ob_item_key_open(
		      c1, key2_sealed, sizeof(key2_sealed), &a_item2, &k),
	    0);
	CHECK_INT(ob_text_decrypt(&k, &a_item2, text2.data, text2.len, &pt), 0);
	CHECK_STR(ob_buf_cstr(&pt), "thank you");
	ob_buf_release_secret(&pt);
	/* The reporter's case key opens no tenant key and no other item. */
	CHECK_INT(ob_sk_open(c1, mem, sizeof(mem), tpk, &a_mem, &t1), OB_EPERM);
	CHECK_INT(
	    ob_item_key_open(c1, key_sealed, sizeof(key_sealed), &a_item2, &k),
	    OB_EPERM);
	ob_keypair_free(c1);
	c1 = NULL;

	/*
	 * Every handler lost: recovery key string -> tenant sk -> sealed to
	 * a new handler, who then reads the case.
	 */
	CHECK_INT(ob_recovery_import(rk, strlen(rk), &r1), 0);
	CHECK_INT(ob_sk_open(r1, rec, sizeof(rec), tpk, &a_rec, &t1), 0);
	ob_keypair_free(r1);
	n = ob_keypair_new();
	memcpy(npk, ob_keypair_pk(n), 32);
	CHECK_INT(
	    ob_handler_cred_set("new one", 7, n, &fast, &a_user_n, &ncred), 0);
	CHECK_INT(ob_sk_seal(t1, npk, &a_mem_n, mem2), 0);
	ob_keypair_free(t1);
	ob_keypair_free(n);
	t1 = NULL;
	CHECK_INT(
	    ob_handler_cred_open("new one", 7, &ncred, npk, &a_user_n, &n1), 0);
	/* The old handler's row is not the new handler's. */
	CHECK_INT(ob_sk_open(n1, mem, sizeof(mem), tpk, &a_mem, &t1), OB_EPERM);
	CHECK_INT(
	    ob_sk_open(n1, mem2, sizeof(mem2), tpk, &a_mem, &t1), OB_EPERM);
	CHECK_INT(ob_sk_open(n1, mem2, sizeof(mem2), tpk, &a_mem_n, &t1), 0);
	CHECK_INT(ob_sk_open(t1, case_t, sizeof(case_t), cpk, &a_case, &c1), 0);
	CHECK_INT(
	    ob_item_key_open(c1, key_sealed, sizeof(key_sealed), &a_item, &k),
	    0);
	CHECK_INT(ob_text_decrypt(&k, &a_item, text.data, text.len, &pt), 0);
	CHECK_STR(ob_buf_cstr(&pt), report);

	ob_item_key_wipe(&k);
	ob_keypair_free(n1);
	ob_keypair_free(t1);
	ob_keypair_free(c1);
	sodium_memzero(rk, sizeof(rk));
	sodium_memzero(shown, sizeof(shown));
	ob_buf_release(&text);
	ob_buf_release(&text2);
	ob_buf_release_secret(&pt);
}

static void
test_secret_file(void)
{
	struct ob_buf err = OB_BUF_INIT(512);
	unsigned char out[16];
	char path[128], link[128];
	size_t len = 99;
	struct stat st;
	mode_t old;

	snprintf(path, sizeof(path), "%s/secret", dir);
	/* 0600 even when the umask would allow more. */
	old = umask(0);
	CHECK_INT(ob_secret_file_create(path, "0123456789", 10, &err), 0);
	umask(old);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0600);
	CHECK_INT(ob_secret_file_read(path, out, sizeof(out), &len, &err), 0);
	CHECK_INT(len, 10);
	CHECK(memcmp(out, "0123456789", 10) == 0);
	/* Never over an existing file. */
	CHECK_INT(ob_secret_file_create(path, "x", 1, &err), OB_EIO);
	CHECK_INT(ob_secret_file_read(path, out, sizeof(out), &len, &err), 0);
	CHECK_INT(len, 10);

	/* Too big: refused and the output wiped. */
	memset(out, 0x77, sizeof(out));
	CHECK_INT(ob_secret_file_read(path, out, 9, &len, &err), OB_ETOOBIG);
	CHECK(sodium_is_zero(out, sizeof(out) - 7));
	CHECK_INT(chmod(path, 0640), 0);
	ob_buf_reset(&err);
	CHECK_INT(
	    ob_secret_file_read(path, out, sizeof(out), &len, &err), OB_EPERM);
	CHECK(strstr(ob_buf_cstr(&err), "chmod 600") != NULL);
	CHECK_INT(chmod(path, 0604), 0);
	CHECK_INT(
	    ob_secret_file_read(path, out, sizeof(out), &len, &err), OB_EPERM);
	CHECK_INT(chmod(path, 0600), 0);
	snprintf(link, sizeof(link), "%s/link", dir);
	CHECK_INT(symlink(path, link), 0);
	CHECK_INT(
	    ob_secret_file_read(link, out, sizeof(out), &len, &err), OB_EINVAL);
	unlink(link);
	unlink(path);
	CHECK_INT(
	    ob_secret_file_read(path, out, sizeof(out), &len, &err), OB_ENOENT);
	CHECK_INT(
	    ob_secret_file_read(dir, out, sizeof(out), &len, &err), OB_EINVAL);
	/* A FIFO is refused without blocking on the open. */
	CHECK_INT(mkfifo(path, 0600), 0);
	CHECK_INT(
	    ob_secret_file_read(path, out, sizeof(out), &len, &err), OB_EINVAL);
	unlink(path);
	snprintf(path, sizeof(path), "%s/no/such/dir", dir);
	CHECK_INT(ob_secret_file_create(path, "x", 1, &err), OB_EIO);
	ob_buf_release(&err);
}

int
main(void)
{
	CHECK_INT(ob_crypto_init(), 0);
	snprintf(dir, sizeof(dir), "/tmp/ombud-test-crypto-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_ad();
	test_keypair();
	test_password();
	test_password_default();
	test_seal();
	test_secret_seal();
	test_item_key();
	test_text();
	test_stream();
	test_token();
	test_recovery();
	test_receipt_cred();
	test_chain();
	test_golden_rows();
	test_secret_file();
	if (rmdir(dir) != 0)
		perror(dir);
	return CHECK_DONE();
}
