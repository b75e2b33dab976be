#include "lib/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/receipt.h"
#include "lib/util.h"

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define AD_TAG 16 /* BLAKE2b-128 of the AD inside a sealed box */

_Static_assert(OB_KEY_BYTES == crypto_box_PUBLICKEYBYTES, "pk size");
_Static_assert(OB_KEY_BYTES == crypto_box_SECRETKEYBYTES, "sk size");
_Static_assert(OB_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    "aead key size");
_Static_assert(OB_KEY_BYTES == crypto_kdf_KEYBYTES, "kdf key size");
_Static_assert(OB_KEY_BYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES,
    "stream key size");
_Static_assert(OB_SALT_BYTES == crypto_pwhash_SALTBYTES, "salt size");
_Static_assert(
    OB_WRAPPED_SK_BYTES == 1 + NONCE + OB_KEY_BYTES + TAG, "wrapped size");
_Static_assert(
    OB_SEALED_BYTES == 1 + crypto_box_SEALBYTES + OB_KEY_BYTES + AD_TAG,
    "sealed size");
_Static_assert(OB_TEXT_OVERHEAD == 1 + NONCE + TAG, "text overhead");
_Static_assert(OB_STREAM_HEADER_BYTES ==
	1 + crypto_secretstream_xchacha20poly1305_HEADERBYTES,
    "stream header size");
_Static_assert(OB_STREAM_ABYTES == crypto_secretstream_xchacha20poly1305_ABYTES,
    "stream overhead");
_Static_assert(OB_TOKEN_BYTES == crypto_kdf_KEYBYTES, "token size");

/*
 * Purpose labels each function adds to the caller's AD, so that the
 * same row AD used for two columns still gives unrelated ciphertexts.
 */
#define L_PASSWORD "sk-wrap-password"
#define L_RECEIPT "sk-wrap-receipt"
#define L_TOKEN "sk-wrap-token"
#define L_SK_SEAL "sk-seal"
#define L_SECRET_SEAL "secret-seal"
#define L_ITEM_KEY "item-key-seal"
#define L_TEXT "item-text"
#define L_STREAM "item-stream"

/* crypto_kdf contexts (8 bytes); subkey 1 verifies or looks up, 2 wraps. */
#define CTX_PASSWORD "ombudpw1"
#define CTX_RECEIPT "ombudrc1"
#define CTX_TOKEN "ombudtk1"
#define SUB_CHECK 1
#define SUB_WRAP 2

#define AD_MAGIC 0x6f626164u
#define FULL_AD_MAX (2 + 255 + OB_AD_MAX)

#define PW_OPSLIMIT_MAX 32
#define PW_MEMLIMIT_MAX (1024ull << 20)

#define RK_PREFIX "OMBUD-RK1-"
#define RK_PREFIX_LEN 10
#define RK_CHECK 3
#define RK_PAYLOAD (OB_KEY_BYTES + RK_CHECK) /* 280 bits */
#define RK_SYMBOLS 56 /* 280 / 5 */
#define RK_INPUT_MAX 256

_Static_assert(RK_PAYLOAD * 8 == RK_SYMBOLS * 5, "recovery key padding");
_Static_assert(
    OB_RECOVERY_STRLEN == RK_PREFIX_LEN + RK_SYMBOLS + RK_SYMBOLS / 4 - 1,
    "recovery key length");

struct ob_keypair {
	unsigned char pk[OB_KEY_BYTES];
	unsigned char sk[OB_KEY_BYTES];
};

/* The AD as authenticated: version, the function's label, the row AD. */
struct full_ad {
	size_t len;
	unsigned char b[FULL_AD_MAX];
};

enum { ST_FRESH, ST_OPEN, ST_DONE, ST_BROKEN };

struct ob_stream {
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char key[OB_KEY_BYTES]; /* until the header is made or read */
	struct full_ad ad;
	bool push;
	int state;
};

const struct ob_pwparams ob_pwparams_default = { 3, 64u << 20 };

/* Something to point at for empty messages. */
static const unsigned char empty[1];

int
ob_crypto_init(void)
{
	if (sodium_init() < 0)
		return OB_EINTERNAL;
	return 0;
}

/* Associated data. */

void
ob_ad_init(struct ob_ad *ad, const char *purpose)
{
	size_t n = purpose != NULL ? strlen(purpose) : 0;

	ad->magic = AD_MAGIC;
	ad->err = 0;
	ad->len = 0;
	if (n == 0 || n > 255) {
		ad->err = OB_EINVAL;
		return;
	}
	ad->b[0] = (unsigned char)n;
	memcpy(ad->b + 1, purpose, n);
	ad->len = 1 + n;
}

void
ob_ad_add(struct ob_ad *ad, const char *label, const void *v, size_t n)
{
	size_t ll;
	unsigned char *p;

	if (ad->magic != AD_MAGIC) {
		ad->err = OB_EINVAL;
		return;
	}
	if (ad->err != 0)
		return;
	ll = label != NULL ? strlen(label) : 0;
	if (ll == 0 || ll > 255 || n > OB_AD_MAX || (v == NULL && n > 0) ||
	    1 + ll + 4 + n > OB_AD_MAX - ad->len) {
		ad->err = OB_EINVAL;
		return;
	}
	p = ad->b + ad->len;
	*p++ = (unsigned char)ll;
	memcpy(p, label, ll);
	p += ll;
	*p++ = (unsigned char)(n >> 24);
	*p++ = (unsigned char)(n >> 16);
	*p++ = (unsigned char)(n >> 8);
	*p++ = (unsigned char)n;
	if (n > 0)
		memcpy(p, v, n);
	ad->len += 1 + ll + 4 + n;
}

void
ob_ad_add_str(struct ob_ad *ad, const char *label, const char *s)
{
	if (s == NULL) {
		ad->err = OB_EINVAL;
		return;
	}
	ob_ad_add(ad, label, s, strlen(s));
}

/* A row id: not empty, not longer than OB_AD_ID_MAX. */
static void
ad_id(struct ob_ad *ad, const char *label, const char *id)
{
	if (id == NULL || id[0] == '\0' ||
	    strnlen(id, OB_AD_ID_MAX + 1) > OB_AD_ID_MAX) {
		ad->err = OB_EINVAL;
		return;
	}
	ob_ad_add_str(ad, label, id);
}

void
ob_ad_user(struct ob_ad *ad, const char *user_id)
{
	ob_ad_init(ad, "users.sk_wrapped");
	ad_id(ad, "user", user_id);
}

void
ob_ad_totp(struct ob_ad *ad, const char *user_id)
{
	ob_ad_init(ad, "users.totp");
	ad_id(ad, "user", user_id);
}

void
ob_ad_handler_session(struct ob_ad *ad, const char *user_id)
{
	ob_ad_init(ad, "sessions.handler");
	ad_id(ad, "user", user_id);
}

void
ob_ad_reporter_session(
    struct ob_ad *ad, const char *tenant_id, const char *case_id)
{
	ob_ad_init(ad, "sessions.reporter");
	ad_id(ad, "tenant", tenant_id);
	ad_id(ad, "case", case_id);
}

void
ob_ad_membership(struct ob_ad *ad, const char *tenant_id, const char *user_id)
{
	ob_ad_init(ad, "memberships");
	ad_id(ad, "tenant", tenant_id);
	ad_id(ad, "user", user_id);
}

void
ob_ad_recovery(struct ob_ad *ad, const char *tenant_id)
{
	ob_ad_init(ad, "tenants.recovery");
	ad_id(ad, "tenant", tenant_id);
}

void
ob_ad_case(struct ob_ad *ad, const char *tenant_id, const char *case_id)
{
	ob_ad_init(ad, "cases");
	ad_id(ad, "tenant", tenant_id);
	ad_id(ad, "case", case_id);
}

void
ob_ad_item(struct ob_ad *ad, const char *tenant_id, const char *case_id,
    const char *item_id, const char *kind)
{
	ob_ad_init(ad, "items");
	ad_id(ad, "tenant", tenant_id);
	ad_id(ad, "case", case_id);
	ad_id(ad, "item", item_id);
	ad_id(ad, "kind", kind);
}

static int
full_ad(struct full_ad *f, const char *label, const struct ob_ad *ad)
{
	size_t ll = strlen(label);

	if (ad == NULL || ad->magic != AD_MAGIC || ad->err != 0 ||
	    ad->len == 0 || ad->len > OB_AD_MAX)
		return OB_EINVAL;
	f->b[0] = OB_CRYPTO_V1;
	f->b[1] = (unsigned char)ll;
	memcpy(f->b + 2, label, ll);
	memcpy(f->b + 2 + ll, ad->b, ad->len);
	f->len = 2 + ll + ad->len;
	return 0;
}

/* Primitives.  Failures that cannot happen with our sizes are bugs. */

static void
kdf(unsigned char out[OB_KEY_BYTES], uint64_t id, const char *ctx,
    const unsigned char key[OB_KEY_BYTES])
{
	if (crypto_kdf_derive_from_key(out, OB_KEY_BYTES, id, ctx, key) != 0)
		ob_die("crypto_kdf_derive_from_key failed");
}

/* Writes version || nonce || ciphertext || tag: n + OB_TEXT_OVERHEAD. */
static int
wrap(const unsigned char key[OB_KEY_BYTES], const char *label,
    const struct ob_ad *ad, const unsigned char *m, size_t n,
    unsigned char *out)
{
	struct full_ad f;
	int rc;

	if ((rc = full_ad(&f, label, ad)) != 0)
		return rc;
	out[0] = OB_CRYPTO_V1;
	randombytes_buf(out + 1, NONCE);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out + 1 + NONCE,
		out + 1 + NONCE + n, NULL, n > 0 ? m : empty, n, f.b, f.len,
		NULL, out + 1, key) != 0)
		return OB_EINTERNAL;
	return 0;
}

/* Opens what wrap wrote; m gets len - OB_TEXT_OVERHEAD bytes or zeros. */
static int
unwrap(const unsigned char key[OB_KEY_BYTES], const char *label,
    const struct ob_ad *ad, const unsigned char *in, size_t len,
    unsigned char *m)
{
	struct full_ad f;
	size_t n;
	int rc;

	if ((rc = full_ad(&f, label, ad)) != 0)
		return rc;
	if (in == NULL || len < OB_TEXT_OVERHEAD || in[0] != OB_CRYPTO_V1)
		return OB_EINVAL;
	n = len - OB_TEXT_OVERHEAD;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, NULL,
		in + 1 + NONCE, n, in + 1 + NONCE + n, f.b, f.len, in + 1,
		key) != 0) {
		sodium_memzero(m, n);
		return OB_EPERM;
	}
	return 0;
}

static void
ad_tag(unsigned char out[AD_TAG], const struct full_ad *f)
{
	if (crypto_generichash(out, AD_TAG, f->b, f->len, NULL, 0) != 0)
		ob_die("crypto_generichash failed");
}

/* Seals a 32-byte payload and a tag of the AD to pk. */
static int
seal(const unsigned char payload[OB_KEY_BYTES], const char *label,
    const struct ob_ad *ad, const unsigned char pk[OB_KEY_BYTES],
    unsigned char out[OB_SEALED_BYTES])
{
	unsigned char m[OB_KEY_BYTES + AD_TAG];
	struct full_ad f;
	int rc;

	if (pk == NULL || out == NULL)
		return OB_EINVAL;
	if ((rc = full_ad(&f, label, ad)) != 0)
		goto out;
	memcpy(m, payload, OB_KEY_BYTES);
	ad_tag(m + OB_KEY_BYTES, &f);
	out[0] = OB_CRYPTO_V1;
	if (crypto_box_seal(out + 1, m, sizeof(m), pk) != 0)
		rc = OB_EINTERNAL;
out:
	sodium_memzero(m, sizeof(m));
	return rc;
}

static int
unseal(const struct ob_keypair *by, const char *label, const struct ob_ad *ad,
    const unsigned char *in, size_t len, unsigned char payload[OB_KEY_BYTES])
{
	unsigned char m[OB_KEY_BYTES + AD_TAG], tag[AD_TAG];
	struct full_ad f;
	int rc;

	if (by == NULL || in == NULL)
		return OB_EINVAL;
	if ((rc = full_ad(&f, label, ad)) != 0)
		return rc;
	if (len != OB_SEALED_BYTES || in[0] != OB_CRYPTO_V1)
		return OB_EINVAL;
	if (crypto_box_seal_open(m, in + 1, len - 1, by->pk, by->sk) != 0) {
		rc = OB_EPERM;
		goto out;
	}
	ad_tag(tag, &f);
	if (crypto_verify_16(m + OB_KEY_BYTES, tag) != 0) {
		rc = OB_EPERM;
		goto out;
	}
	memcpy(payload, m, OB_KEY_BYTES);
out:
	sodium_memzero(m, sizeof(m));
	sodium_memzero(tag, sizeof(tag));
	return rc;
}

/* Keypairs. */

static struct ob_keypair *
kp_alloc(void)
{
	struct ob_keypair *kp = sodium_malloc(sizeof(*kp));

	if (kp == NULL)
		ob_die("out of memory (sodium_malloc)");
	return kp;
}

struct ob_keypair *
ob_keypair_new(void)
{
	struct ob_keypair *kp = kp_alloc();

	if (crypto_box_keypair(kp->pk, kp->sk) != 0)
		ob_die("crypto_box_keypair failed");
	return kp;
}

void
ob_keypair_free(struct ob_keypair *kp)
{
	if (kp == NULL)
		return;
	sodium_memzero(kp, sizeof(*kp));
	sodium_free(kp);
}

const unsigned char *
ob_keypair_pk(const struct ob_keypair *kp)
{
	return kp->pk;
}

/*
 * A keypair from a secret key, refused (OB_EPERM) unless its public
 * key is expected_pk (when not NULL).
 */
static int
kp_from_sk(const unsigned char sk[OB_KEY_BYTES],
    const unsigned char *expected_pk, struct ob_keypair **out)
{
	struct ob_keypair *kp = kp_alloc();

	memcpy(kp->sk, sk, OB_KEY_BYTES);
	if (crypto_scalarmult_base(kp->pk, kp->sk) != 0 ||
	    (expected_pk != NULL &&
		crypto_verify_32(kp->pk, expected_pk) != 0)) {
		ob_keypair_free(kp);
		return OB_EPERM;
	}
	*out = kp;
	return 0;
}

/* Unwraps a wrapped secret key and checks it against expected_pk. */
static int
unwrap_sk(const unsigned char key[OB_KEY_BYTES], const char *label,
    const struct ob_ad *ad, const unsigned char *in, size_t len,
    const unsigned char *expected_pk, struct ob_keypair **out)
{
	unsigned char sk[OB_KEY_BYTES];
	int rc;

	if (expected_pk == NULL)
		return OB_EINVAL;
	if (in == NULL || len != OB_WRAPPED_SK_BYTES)
		return OB_EINVAL;
	if ((rc = unwrap(key, label, ad, in, len, sk)) != 0)
		goto out;
	rc = kp_from_sk(sk, expected_pk, out);
out:
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

int
ob_sk_seal(const struct ob_keypair *kp, const unsigned char to_pk[OB_KEY_BYTES],
    const struct ob_ad *ad, unsigned char out[OB_SEALED_BYTES])
{
	if (kp == NULL)
		return OB_EINVAL;
	return seal(kp->sk, L_SK_SEAL, ad, to_pk, out);
}

int
ob_sk_open(const struct ob_keypair *by_kp, const unsigned char *sealed,
    size_t len, const unsigned char expected_pk[OB_KEY_BYTES],
    const struct ob_ad *ad, struct ob_keypair **out)
{
	unsigned char sk[OB_KEY_BYTES];
	int rc;

	*out = NULL;
	if (expected_pk == NULL)
		return OB_EINVAL;
	if ((rc = unseal(by_kp, L_SK_SEAL, ad, sealed, len, sk)) != 0)
		goto out;
	rc = kp_from_sk(sk, expected_pk, out);
out:
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

int
ob_secret_seal(const unsigned char secret[OB_KEY_BYTES],
    const unsigned char to_pk[OB_KEY_BYTES], const struct ob_ad *ad,
    unsigned char out[OB_SEALED_BYTES])
{
	if (secret == NULL)
		return OB_EINVAL;
	return seal(secret, L_SECRET_SEAL, ad, to_pk, out);
}

int
ob_secret_open(const struct ob_keypair *by_kp, const unsigned char *sealed,
    size_t len, const struct ob_ad *ad, unsigned char out[OB_KEY_BYTES])
{
	int rc = unseal(by_kp, L_SECRET_SEAL, ad, sealed, len, out);

	if (rc != 0)
		sodium_memzero(out, OB_KEY_BYTES);
	return rc;
}

/* Passwords and receipts: one Argon2id run, split by crypto_kdf. */

static bool
pwparams_ok(const struct ob_pwparams *p)
{
	return p != NULL && p->opslimit >= crypto_pwhash_OPSLIMIT_MIN &&
	    p->opslimit <= PW_OPSLIMIT_MAX &&
	    p->memlimit >= crypto_pwhash_MEMLIMIT_MIN &&
	    p->memlimit <= PW_MEMLIMIT_MAX;
}

bool
ob_pwparams_outdated(
    const struct ob_pwparams *stored, const struct ob_pwparams *want)
{
	return stored->opslimit != want->opslimit ||
	    stored->memlimit != want->memlimit;
}

/*
 * Argon2id of in with salt and *p, then the check value (subkey 1,
 * when check is not NULL) and the wrapping key (subkey 2).
 */
static int
derive(const char *ctx, const char *in, size_t inlen,
    const unsigned char salt[OB_SALT_BYTES], const struct ob_pwparams *p,
    unsigned char *check, unsigned char key[OB_KEY_BYTES])
{
	unsigned char master[OB_KEY_BYTES];
	int rc = 0;

	if (crypto_pwhash(master, sizeof(master), inlen > 0 ? in : "", inlen,
		salt, p->opslimit, (size_t)p->memlimit,
		crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = OB_EAGAIN;
		goto out;
	}
	if (check != NULL)
		kdf(check, SUB_CHECK, ctx, master);
	kdf(key, SUB_WRAP, ctx, master);
out:
	sodium_memzero(master, sizeof(master));
	return rc;
}

int
ob_handler_cred_set(const char *pw, size_t pwlen, const struct ob_keypair *kp,
    const struct ob_pwparams *p, const struct ob_ad *ad,
    struct ob_handler_cred *out)
{
	struct ob_handler_cred c;
	unsigned char key[OB_KEY_BYTES];
	int rc;

	memset(&c, 0, sizeof(c));
	memset(key, 0, sizeof(key));
	if ((pw == NULL && pwlen > 0) || pwlen > OB_PASSWORD_MAX ||
	    kp == NULL || !pwparams_ok(p)) {
		rc = OB_EINVAL;
		goto out;
	}
	randombytes_buf(c.salt, sizeof(c.salt));
	c.params = *p;
	if ((rc = derive(
		 CTX_PASSWORD, pw, pwlen, c.salt, p, c.verifier, key)) != 0 ||
	    (rc = wrap(
		 key, L_PASSWORD, ad, kp->sk, OB_KEY_BYTES, c.sk_wrapped)) != 0)
		goto out;
	*out = c;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&c, sizeof(c));
	return rc;
}

int
ob_handler_cred_open(const char *pw, size_t pwlen,
    const struct ob_handler_cred *c, const unsigned char pk[OB_KEY_BYTES],
    const struct ob_ad *ad, struct ob_keypair **out)
{
	unsigned char verifier[OB_KEY_BYTES], key[OB_KEY_BYTES];
	int rc;

	*out = NULL;
	memset(verifier, 0, sizeof(verifier));
	memset(key, 0, sizeof(key));
	if ((pw == NULL && pwlen > 0) || pwlen > OB_PASSWORD_MAX || c == NULL ||
	    !pwparams_ok(&c->params)) {
		rc = OB_EINVAL;
		goto out;
	}
	if ((rc = derive(CTX_PASSWORD, pw, pwlen, c->salt, &c->params, verifier,
		 key)) != 0)
		goto out;
	if (crypto_verify_32(verifier, c->verifier) != 0) {
		rc = OB_EPERM;
		goto out;
	}
	rc = unwrap_sk(
	    key, L_PASSWORD, ad, c->sk_wrapped, sizeof(c->sk_wrapped), pk, out);
out:
	sodium_memzero(verifier, sizeof(verifier));
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
ob_receipt_cred_set(const struct ob_receipt *r,
    const struct ob_keypair *case_kp, const struct ob_pwparams *p,
    const struct ob_ad *ad, struct ob_receipt_cred *out)
{
	struct ob_receipt_cred c;
	unsigned char key[OB_KEY_BYTES];
	int rc;

	memset(&c, 0, sizeof(c));
	memset(key, 0, sizeof(key));
	if (r == NULL || case_kp == NULL || !pwparams_ok(p)) {
		rc = OB_EINVAL;
		goto out;
	}
	randombytes_buf(c.salt, sizeof(c.salt));
	c.params = *p;
	if ((rc = derive(CTX_RECEIPT, r->sym, OB_RECEIPT_SYMBOLS, c.salt, p,
		 NULL, key)) != 0 ||
	    (rc = wrap(key, L_RECEIPT, ad, case_kp->sk, OB_KEY_BYTES,
		 c.sk_wrapped)) != 0)
		goto out;
	*out = c;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&c, sizeof(c));
	return rc;
}

int
ob_receipt_cred_open(const struct ob_receipt *r,
    const struct ob_receipt_cred *c, const unsigned char case_pk[OB_KEY_BYTES],
    const struct ob_ad *ad, struct ob_keypair **out)
{
	unsigned char key[OB_KEY_BYTES];
	int rc;

	*out = NULL;
	memset(key, 0, sizeof(key));
	if (r == NULL || c == NULL || !pwparams_ok(&c->params)) {
		rc = OB_EINVAL;
		goto out;
	}
	if ((rc = derive(CTX_RECEIPT, r->sym, OB_RECEIPT_SYMBOLS, c->salt,
		 &c->params, NULL, key)) != 0)
		goto out;
	rc = unwrap_sk(key, L_RECEIPT, ad, c->sk_wrapped, sizeof(c->sk_wrapped),
	    case_pk, out);
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* Recovery keys. */

static void
rk_check(const unsigned char sk[OB_KEY_BYTES], unsigned char out[RK_CHECK])
{
	static const char domain[] = "ombud recovery key v1";
	crypto_generichash_state st;
	unsigned char h[16];

	if (crypto_generichash_init(&st, NULL, 0, sizeof(h)) != 0 ||
	    crypto_generichash_update(
		&st, (const unsigned char *)domain, sizeof(domain) - 1) != 0 ||
	    crypto_generichash_update(&st, sk, OB_KEY_BYTES) != 0 ||
	    crypto_generichash_final(&st, h, sizeof(h)) != 0)
		ob_die("crypto_generichash failed");
	memcpy(out, h, RK_CHECK);
	sodium_memzero(h, sizeof(h));
	sodium_memzero(&st, sizeof(st));
}

/* Crockford base32 of n bytes (n * 8 a multiple of 5). */
static void
b32_encode(const unsigned char *in, size_t n, char *out)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xfffu;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = ob_b32_alphabet[(acc >> bits) & 31u];
		}
	}
	sodium_memzero(&acc, sizeof(acc));
}

/* The inverse, for normalised symbols (n * 5 a multiple of 8). */
static int
b32_decode(const char *sym, size_t n, unsigned char *out)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;
	const char *p;

	for (size_t i = 0; i < n; i++) {
		if (sym[i] == '\0' ||
		    (p = strchr(ob_b32_alphabet, sym[i])) == NULL)
			return OB_EINVAL;
		acc = (acc << 5 | (unsigned)(p - ob_b32_alphabet)) & 0xfffu;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	sodium_memzero(&acc, sizeof(acc));
	return 0;
}

void
ob_recovery_export(
    const struct ob_keypair *kp, char out[OB_RECOVERY_STRLEN + 1])
{
	unsigned char payload[RK_PAYLOAD];
	char sym[RK_SYMBOLS];
	size_t o = RK_PREFIX_LEN;

	memcpy(payload, kp->sk, OB_KEY_BYTES);
	rk_check(kp->sk, payload + OB_KEY_BYTES);
	b32_encode(payload, sizeof(payload), sym);
	memcpy(out, RK_PREFIX, RK_PREFIX_LEN);
	for (size_t i = 0; i < RK_SYMBOLS; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = sym[i];
	}
	out[o] = '\0';
	sodium_memzero(payload, sizeof(payload));
	sodium_memzero(sym, sizeof(sym));
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
ob_recovery_import(const char *s, size_t len, struct ob_keypair **out)
{
	unsigned char payload[RK_PAYLOAD], check[RK_CHECK];
	char sym[RK_SYMBOLS];
	size_t n = 0;
	int rc;

	*out = NULL;
	memset(payload, 0, sizeof(payload));
	memset(check, 0, sizeof(check));
	memset(sym, 0, sizeof(sym));
	if (s == NULL || len > RK_INPUT_MAX) {
		rc = OB_EINVAL;
		goto out;
	}
	while (len > 0 && is_space(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (len < RK_PREFIX_LEN ||
	    strncasecmp(s, RK_PREFIX, RK_PREFIX_LEN) != 0 ||
	    memchr(s, '\0', RK_PREFIX_LEN) != NULL) {
		rc = OB_EINVAL;
		goto out;
	}
	if (ob_b32_normalise(s + RK_PREFIX_LEN, len - RK_PREFIX_LEN, sym,
		RK_SYMBOLS, &n) != 0 ||
	    n != RK_SYMBOLS || b32_decode(sym, n, payload) != 0) {
		rc = OB_EINVAL;
		goto out;
	}
	rk_check(payload, check);
	if (sodium_memcmp(check, payload + OB_KEY_BYTES, RK_CHECK) != 0) {
		rc = OB_EINVAL;
		goto out;
	}
	rc = kp_from_sk(payload, NULL, out);
out:
	sodium_memzero(payload, sizeof(payload));
	sodium_memzero(check, sizeof(check));
	sodium_memzero(sym, sizeof(sym));
	return rc;
}

/* Items. */

void
ob_item_key_new(struct ob_item_key *k)
{
	crypto_aead_xchacha20poly1305_ietf_keygen(k->k);
}

void
ob_item_key_wipe(struct ob_item_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

int
ob_item_key_seal(const struct ob_item_key *k,
    const unsigned char case_pk[OB_KEY_BYTES], const struct ob_ad *ad,
    unsigned char out[OB_SEALED_BYTES])
{
	if (k == NULL)
		return OB_EINVAL;
	return seal(k->k, L_ITEM_KEY, ad, case_pk, out);
}

int
ob_item_key_open(const struct ob_keypair *case_kp, const unsigned char *sealed,
    size_t len, const struct ob_ad *ad, struct ob_item_key *out)
{
	int rc = unseal(case_kp, L_ITEM_KEY, ad, sealed, len, out->k);

	if (rc != 0)
		ob_item_key_wipe(out);
	return rc;
}

int
ob_text_encrypt(const struct ob_item_key *k, const struct ob_ad *ad,
    const void *text, size_t len, struct ob_buf *out)
{
	unsigned char *ct;
	int rc;

	if (k == NULL || out == NULL || (text == NULL && len > 0))
		return OB_EINVAL;
	if (len > SIZE_MAX - OB_TEXT_OVERHEAD ||
	    len + OB_TEXT_OVERHEAD > out->max - out->len)
		return OB_ETOOBIG;
	/* Ciphertext only in the temporary: nothing secret to wipe. */
	ct = ob_xmalloc(len + OB_TEXT_OVERHEAD);
	if ((rc = wrap(k->k, L_TEXT, ad, text, len, ct)) == 0)
		rc = ob_buf_append(out, ct, len + OB_TEXT_OVERHEAD);
	free(ct);
	return rc;
}

int
ob_text_decrypt(const struct ob_item_key *k, const struct ob_ad *ad,
    const void *ct, size_t len, struct ob_buf *out)
{
	const unsigned char *c = ct;
	struct full_ad f;
	unsigned char *m;
	size_t n, old;
	int rc;

	if (k == NULL || out == NULL || c == NULL)
		return OB_EINVAL;
	if ((rc = full_ad(&f, L_TEXT, ad)) != 0)
		return rc;
	if (len < OB_TEXT_OVERHEAD || c[0] != OB_CRYPTO_V1)
		return OB_EINVAL;
	n = len - OB_TEXT_OVERHEAD;
	if (n > out->max - out->len)
		return OB_ETOOBIG;
	/*
	 * Copy the ciphertext in and decrypt it in place, so the buffer
	 * grows (and may move) before it holds any plaintext.
	 */
	old = out->len;
	if ((rc = ob_buf_append(out, c + 1 + NONCE, n)) != 0)
		return rc;
	m = (unsigned char *)out->data + old;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, NULL, m, n,
		c + 1 + NONCE + n, f.b, f.len, c + 1, k->k) != 0) {
		sodium_memzero(m, n);
		ob_buf_truncate(out, old);
		return OB_EPERM;
	}
	return 0;
}

/* File streams. */

static int
stream_new(const struct ob_item_key *k, const struct ob_ad *ad, bool push,
    struct ob_stream **out)
{
	struct ob_stream *s;
	int rc;

	*out = NULL;
	if (k == NULL)
		return OB_EINVAL;
	s = sodium_malloc(sizeof(*s));
	if (s == NULL)
		ob_die("out of memory (sodium_malloc)");
	memset(s, 0, sizeof(*s));
	if ((rc = full_ad(&s->ad, L_STREAM, ad)) != 0) {
		ob_stream_free(s);
		return rc;
	}
	memcpy(s->key, k->k, OB_KEY_BYTES);
	s->push = push;
	s->state = ST_FRESH;
	*out = s;
	return 0;
}

int
ob_stream_push_new(
    const struct ob_item_key *k, const struct ob_ad *ad, struct ob_stream **out)
{
	return stream_new(k, ad, true, out);
}

int
ob_stream_pull_new(
    const struct ob_item_key *k, const struct ob_ad *ad, struct ob_stream **out)
{
	return stream_new(k, ad, false, out);
}

/* After an error the stream is broken for good; the key is wiped. */
static void
stream_break(struct ob_stream *s)
{
	s->state = ST_BROKEN;
	sodium_memzero(s->key, sizeof(s->key));
	sodium_memzero(&s->st, sizeof(s->st));
}

int
ob_stream_push(struct ob_stream *s, const void *in, size_t n, bool final,
    unsigned char *out, size_t outcap, size_t *outlen)
{
	unsigned long long clen = 0;
	size_t off = 0;
	int rc = 0;

	if (s == NULL || !s->push)
		return OB_EINVAL;
	if ((s->state != ST_FRESH && s->state != ST_OPEN) || out == NULL ||
	    outlen == NULL || (in == NULL && n > 0)) {
		rc = OB_EINVAL;
		goto out;
	}
	if (s->state == ST_FRESH)
		off = OB_STREAM_HEADER_BYTES;
	if (n > OB_STREAM_CHUNK_MAX || outcap < off + n + OB_STREAM_ABYTES) {
		rc = OB_ETOOBIG;
		goto out;
	}
	if (s->state == ST_FRESH) {
		out[0] = OB_CRYPTO_V1;
		if (crypto_secretstream_xchacha20poly1305_init_push(
			&s->st, out + 1, s->key) != 0) {
			rc = OB_EINTERNAL;
			goto out;
		}
		sodium_memzero(s->key, sizeof(s->key));
		s->state = ST_OPEN;
	}
	if (crypto_secretstream_xchacha20poly1305_push(&s->st, out + off, &clen,
		n > 0 ? in : empty, n, s->ad.b, s->ad.len,
		final
		    ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
		    : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) != 0) {
		rc = OB_EINTERNAL;
		goto out;
	}
	*outlen = off + (size_t)clen;
	if (final)
		s->state = ST_DONE;
out:
	if (rc != 0)
		stream_break(s);
	return rc;
}

int
ob_stream_pull(struct ob_stream *s, const unsigned char *in, size_t n,
    unsigned char *out, size_t outcap, size_t *outlen)
{
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	size_t off = 0;
	int rc = 0;

	if (out != NULL)
		sodium_memzero(out, outcap);
	if (s == NULL || s->push)
		return OB_EINVAL;
	if ((s->state != ST_FRESH && s->state != ST_OPEN) || in == NULL ||
	    out == NULL || outlen == NULL) {
		rc = OB_EINVAL;
		goto out;
	}
	if (s->state == ST_FRESH) {
		if (n < OB_STREAM_HEADER_BYTES || in[0] != OB_CRYPTO_V1 ||
		    crypto_secretstream_xchacha20poly1305_init_pull(
			&s->st, in + 1, s->key) != 0) {
			rc = OB_EINVAL;
			goto out;
		}
		sodium_memzero(s->key, sizeof(s->key));
		s->state = ST_OPEN;
		off = OB_STREAM_HEADER_BYTES;
	}
	if (n - off < OB_STREAM_ABYTES ||
	    n - off - OB_STREAM_ABYTES > OB_STREAM_CHUNK_MAX) {
		rc = OB_EINVAL;
		goto out;
	}
	if (outcap < n - off - OB_STREAM_ABYTES) {
		rc = OB_ETOOBIG;
		goto out;
	}
	if (crypto_secretstream_xchacha20poly1305_pull(&s->st, out, &mlen, &tag,
		in + off, n - off, s->ad.b, s->ad.len) != 0) {
		rc = OB_EPERM;
		goto out;
	}
	if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		s->state = ST_DONE;
	} else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
		/* We never write PUSH or REKEY. */
		rc = OB_EINVAL;
		goto out;
	}
	*outlen = (size_t)mlen;
out:
	if (rc != 0) {
		if (out != NULL)
			sodium_memzero(out, outcap);
		stream_break(s);
	}
	return rc;
}

int
ob_stream_end(const struct ob_stream *s)
{
	return s != NULL && s->state == ST_DONE ? 0 : OB_EINVAL;
}

void
ob_stream_free(struct ob_stream *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof(*s));
	sodium_free(s);
}

/* Session tokens. */

void
ob_token_new(struct ob_token *t)
{
	randombytes_buf(t->b, sizeof(t->b));
}

void
ob_token_wipe(struct ob_token *t)
{
	sodium_memzero(t, sizeof(*t));
}

void
ob_token_encode(const struct ob_token *t, char out[OB_TOKEN_STRLEN + 1])
{
	sodium_bin2base64(out, OB_TOKEN_STRLEN + 1, t->b, sizeof(t->b),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static bool
is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
ob_token_parse(const char *s, struct ob_token *t)
{
	const char *end = NULL;
	size_t binlen = 0;
	int rc = OB_EINVAL;

	if (s == NULL || strnlen(s, OB_TOKEN_STRLEN + 1) != OB_TOKEN_STRLEN)
		goto out;
	for (size_t i = 0; i < OB_TOKEN_STRLEN; i++)
		if (!is_b64url(s[i]))
			goto out;
	/* libsodium refuses non-zero unused bits: one string per token. */
	if (sodium_base642bin(t->b, sizeof(t->b), s, OB_TOKEN_STRLEN, NULL,
		&binlen, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    binlen != sizeof(t->b) || end != s + OB_TOKEN_STRLEN)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		ob_token_wipe(t);
	return rc;
}

void
ob_token_lookup(const struct ob_token *t, unsigned char out[OB_KEY_BYTES])
{
	kdf(out, SUB_CHECK, CTX_TOKEN, t->b);
}

int
ob_token_wrap_sk(const struct ob_token *t, const struct ob_keypair *kp,
    const struct ob_ad *ad, unsigned char out[OB_WRAPPED_SK_BYTES])
{
	unsigned char key[OB_KEY_BYTES];
	int rc;

	if (t == NULL || kp == NULL || out == NULL)
		return OB_EINVAL;
	kdf(key, SUB_WRAP, CTX_TOKEN, t->b);
	rc = wrap(key, L_TOKEN, ad, kp->sk, OB_KEY_BYTES, out);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
ob_token_unwrap_sk(const struct ob_token *t, const unsigned char *wrapped,
    size_t len, const unsigned char pk[OB_KEY_BYTES], const struct ob_ad *ad,
    struct ob_keypair **out)
{
	unsigned char key[OB_KEY_BYTES];
	int rc;

	*out = NULL;
	if (t == NULL)
		return OB_EINVAL;
	kdf(key, SUB_WRAP, CTX_TOKEN, t->b);
	rc = unwrap_sk(key, L_TOKEN, ad, wrapped, len, pk, out);
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* Secret files. */

int
ob_secret_file_read(
    const char *path, void *out, size_t cap, size_t *len, struct ob_buf *err)
{
	unsigned char *p = out, extra = 0;
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd = -1, rc = 0;

	/* O_NONBLOCK: a FIFO planted at path must not hang the open. */
	fd = open(
	    path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ENOENT ? OB_ENOENT
		    : errno == ELOOP ? OB_EINVAL
				     : OB_EIO;
		ob_buf_errf(err, "%s: %s", path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = OB_EIO;
		ob_buf_errf(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = OB_EINVAL;
		ob_buf_errf(err, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = OB_EPERM;
		ob_buf_errf(err,
		    "%s: group or others may access it (mode %04o); "
		    "chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if ((uintmax_t)st.st_size > cap) {
		rc = OB_ETOOBIG;
		ob_buf_errf(err, "%s: longer than %zu bytes", path, cap);
		goto out;
	}
	while (got < cap) {
		r = read(fd, p + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = OB_EIO;
			ob_buf_errf(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	do
		r = read(fd, &extra, 1);
	while (r < 0 && errno == EINTR);
	if (r != 0) {
		rc = r > 0 ? OB_ETOOBIG : OB_EIO;
		ob_buf_errf(err, "%s: %s", path,
		    r > 0 ? "grew while being read" : strerror(errno));
		goto out;
	}
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	sodium_memzero(&extra, sizeof(extra));
	if (rc != 0)
		sodium_memzero(out, cap);
	return rc;
}

int
ob_secret_file_create(
    const char *path, const void *data, size_t len, struct ob_buf *err)
{
	const unsigned char *p = data;
	size_t done = 0;
	ssize_t w;
	int fd, rc = 0;

	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ob_buf_errf(err, "%s: %s", path, strerror(errno));
		return OB_EIO;
	}
	if (fchmod(fd, 0600) != 0) {
		rc = OB_EIO;
		goto out;
	}
	while (done < len) {
		w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = OB_EIO;
			goto out;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0)
		rc = OB_EIO;
out:
	if (rc != 0)
		ob_buf_errf(err, "%s: %s", path, strerror(errno));
	if (close(fd) != 0 && rc == 0) {
		rc = OB_EIO;
		ob_buf_errf(err, "%s: %s", path, strerror(errno));
	}
	if (rc != 0)
		unlink(path);
	return rc;
}

#define KEY_HEX (2 * OB_KEY_BYTES)

/*
 * True when every byte is a hex digit or a newline: 32 such bytes are
 * a mistake (16 bytes written as hex), not 32 random bytes.
 */
static bool
looks_hex(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] == '\0' ||
		    (b[i] != '\n' &&
			strchr("0123456789abcdefABCDEF", b[i]) == NULL))
			return false;
	return true;
}

int
ob_key_file_read(const char *path, const char *what,
    unsigned char key[OB_KEY_BYTES], struct ob_buf *err)
{
	unsigned char raw[KEY_HEX + 2]; /* one more than allowed */
	const char *end = NULL;
	size_t len = 0, binlen = 0;
	int rc;

	if ((rc = ob_secret_file_read(path, raw, sizeof(raw), &len, err)) !=
	    0) {
		if (rc == OB_ETOOBIG)
			rc = OB_EINVAL;
		goto out;
	}
	if (len == OB_KEY_BYTES && !looks_hex(raw, len)) {
		memcpy(key, raw, OB_KEY_BYTES);
	} else if ((len == KEY_HEX ||
		       (len == KEY_HEX + 1 && raw[KEY_HEX] == '\n')) &&
	    sodium_hex2bin(key, OB_KEY_BYTES, (const char *)raw, KEY_HEX, NULL,
		&binlen, &end) == 0 &&
	    binlen == OB_KEY_BYTES && end == (const char *)raw + KEY_HEX) {
		/* 64 hex digits. */
	} else {
		rc = OB_EINVAL;
		ob_buf_errf(err,
		    "%s: a %s file holds 32 random bytes, or 64 hex digits "
		    "and a newline",
		    path, what);
		goto out;
	}
	if (sodium_is_zero(key, OB_KEY_BYTES)) {
		rc = OB_EINVAL;
		ob_buf_errf(err, "%s: the %s is all zeros", path, what);
	}
out:
	if (rc != 0)
		sodium_memzero(key, OB_KEY_BYTES);
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

int
ob_key_file_create(const char *path, struct ob_buf *err)
{
	unsigned char k[OB_KEY_BYTES];
	char hex[KEY_HEX + 2];
	int rc;

	randombytes_buf(k, sizeof(k));
	sodium_bin2hex(hex, KEY_HEX + 1, k, sizeof(k));
	hex[KEY_HEX] = '\n';
	hex[KEY_HEX + 1] = '\0';
	rc = ob_secret_file_create(path, hex, KEY_HEX + 1, err);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(hex, sizeof(hex));
	return rc;
}
