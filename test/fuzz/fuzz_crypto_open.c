/*
 * fuzz_crypto_open.c - every function of lib/crypto.h that opens or
 * parses bytes an attacker may control (a row of a copied and altered
 * database, a cookie, a typed recovery key), with keys fixed for the
 * run.  The first input byte picks the function; the rest is its input.
 *
 * None may crash.  The ones that authenticate must never accept the
 * input (a success would be a forgery) and must leave nothing in their
 * outputs; the parsers may accept only well-formed input, which must
 * then come out the same way again.
 */
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/crypto.h"
#include "lib/receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static const struct ob_pwparams fast = { crypto_pwhash_OPSLIMIT_MIN,
	crypto_pwhash_MEMLIMIT_MIN };

static struct {
	struct ob_keypair *handler, *tenant, *casekp;
	struct ob_item_key item;
	struct ob_token token;
	struct ob_receipt receipt;
	struct ob_ad membership, item_ad, file_ad, session, user, case_ad;
} k;

static void
setup(void)
{
	if (ob_crypto_init() != 0)
		abort();
	k.handler = ob_keypair_new();
	k.tenant = ob_keypair_new();
	k.casekp = ob_keypair_new();
	ob_item_key_new(&k.item);
	ob_token_new(&k.token);
	ob_receipt_new(&k.receipt);
	ob_ad_membership(&k.membership, "1", "7");
	ob_ad_item(&k.item_ad, "1", "100", "1000", "message");
	ob_ad_item(&k.file_ad, "1", "100", "1001", "file");
	ob_ad_handler_session(&k.session, "7");
	ob_ad_user(&k.user, "7");
	ob_ad_case(&k.case_ad, "1", "100");
}

/* Copies up to n bytes of in into out, zero-filling the rest. */
static void
fill(void *out, size_t n, const uint8_t **in, size_t *size)
{
	size_t take = *size < n ? *size : n;

	memset(out, 0, n);
	memcpy(out, *in, take);
	*in += take;
	*size -= take;
}

static void
sk_open(const uint8_t *d, size_t n)
{
	struct ob_keypair *out = NULL;

	REQUIRE(ob_sk_open(k.handler, d, n, ob_keypair_pk(k.tenant),
		    &k.membership, &out) != 0);
	REQUIRE(out == NULL);
}

static void
item_key_open(const uint8_t *d, size_t n)
{
	struct ob_item_key out;

	REQUIRE(ob_item_key_open(k.casekp, d, n, &k.item_ad, &out) != 0);
	REQUIRE(sodium_is_zero(out.k, sizeof(out.k)));
}

static void
text_decrypt(const uint8_t *d, size_t n)
{
	struct ob_buf out = OB_BUF_INIT(1 << 20);

	REQUIRE(ob_text_decrypt(&k.item, &k.item_ad, d, n, &out) != 0);
	REQUIRE(out.len == 0);
	ob_buf_release_secret(&out);
}

/* Chunks as a 2-byte big-endian length and that many bytes, repeated. */
static void
stream_pull(const uint8_t *d, size_t n)
{
	static unsigned char m[OB_STREAM_CHUNK_MAX];
	struct ob_stream *s = NULL;
	size_t mlen = 0, pulled = 0;

	REQUIRE(ob_stream_pull_new(&k.item, &k.file_ad, &s) == 0);
	while (n >= 2) {
		size_t len = (size_t)d[0] << 8 | d[1];
		int rc;

		d += 2;
		n -= 2;
		if (len > n)
			len = n;
		rc = ob_stream_pull(s, d, len, m, sizeof(m), &mlen);
		d += len;
		n -= len;
		if (rc == 0) {
			pulled++;
			continue;
		}
		REQUIRE(sodium_is_zero(m, sizeof(m)));
		/* Broken for good. */
		REQUIRE(ob_stream_pull(s, d, n, m, sizeof(m), &mlen) != 0);
		break;
	}
	REQUIRE(pulled == 0);
	REQUIRE(ob_stream_end(s) != 0);
	ob_stream_free(s);
}

static void
token_unwrap(const uint8_t *d, size_t n)
{
	struct ob_keypair *out = NULL;

	REQUIRE(ob_token_unwrap_sk(&k.token, d, n, ob_keypair_pk(k.handler),
		    &k.session, &out) != 0);
	REQUIRE(out == NULL);
}

static void
handler_cred(const uint8_t *d, size_t n)
{
	struct ob_handler_cred c;
	struct ob_keypair *out = NULL;

	fill(c.salt, sizeof(c.salt), &d, &n);
	fill(c.verifier, sizeof(c.verifier), &d, &n);
	fill(c.sk_wrapped, sizeof(c.sk_wrapped), &d, &n);
	c.params = fast;
	REQUIRE(ob_handler_cred_open((const char *)d, n, &c,
		    ob_keypair_pk(k.handler), &k.user, &out) != 0);
	REQUIRE(out == NULL);
}

static void
receipt_cred(const uint8_t *d, size_t n)
{
	struct ob_receipt_cred c;
	struct ob_keypair *out = NULL;

	fill(c.salt, sizeof(c.salt), &d, &n);
	fill(c.sk_wrapped, sizeof(c.sk_wrapped), &d, &n);
	c.params = fast;
	REQUIRE(ob_receipt_cred_open(&k.receipt, &c, ob_keypair_pk(k.casekp),
		    &k.case_ad, &out) != 0);
	REQUIRE(out == NULL);
}

static void
recovery(const uint8_t *d, size_t n)
{
	struct ob_keypair *kp = NULL, *again = NULL;
	char s[OB_RECOVERY_STRLEN + 1];

	if (ob_recovery_import((const char *)d, n, &kp) != 0) {
		REQUIRE(kp == NULL);
		return;
	}
	/* Accepted: the canonical spelling names the same key. */
	ob_recovery_export(kp, s);
	REQUIRE(ob_recovery_import(s, strlen(s), &again) == 0);
	REQUIRE(
	    memcmp(ob_keypair_pk(kp), ob_keypair_pk(again), OB_KEY_BYTES) == 0);
	ob_keypair_free(kp);
	ob_keypair_free(again);
}

static void
token_parse(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1), back[OB_TOKEN_STRLEN + 1];
	struct ob_token t;

	if (s == NULL)
		abort();
	memcpy(s, d, n);
	s[n] = '\0';
	if (ob_token_parse(s, &t) == 0) {
		/* Strict: one spelling per token. */
		ob_token_encode(&t, back);
		REQUIRE(strcmp(s, back) == 0);
	} else {
		REQUIRE(sodium_is_zero(t.b, sizeof(t.b)));
	}
	free(s);
}

static void
receipt_parse(const uint8_t *d, size_t n)
{
	struct ob_receipt r, again;
	char shown[OB_RECEIPT_STRLEN + 1];

	if (ob_receipt_parse((const char *)d, n, &r) != 0)
		return;
	REQUIRE(strlen(r.sym) == OB_RECEIPT_SYMBOLS);
	ob_receipt_format(&r, shown);
	REQUIRE(ob_receipt_parse(shown, strlen(shown), &again) == 0);
	REQUIRE(strcmp(r.sym, again.sym) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const ops[])(const uint8_t *, size_t) = {
		sk_open,
		item_key_open,
		text_decrypt,
		stream_pull,
		token_unwrap,
		handler_cred,
		receipt_cred,
		recovery,
		token_parse,
		receipt_parse,
	};
	static bool ready;

	if (size < 1 || size > 200000)
		return 0;
	if (!ready) {
		setup();
		ready = true;
	}
	ops[data[0] % (sizeof(ops) / sizeof(ops[0]))](data + 1, size - 1);
	return 0;
}
