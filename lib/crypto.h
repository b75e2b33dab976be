/*
 * crypto.h - the key hierarchy of DESIGN.md ("Encryption at rest") on
 * libsodium.  Services never call libsodium for these jobs; they call
 * this.  docs/crypto.md has the picture and the column table.
 *
 *   password --Argon2id--> master --kdf 1--> verifier
 *                                 --kdf 2--> key --wraps--> handler sk
 *   handler pk <--sealed-- tenant sk --sealed--> recovery pk
 *   tenant pk  <--sealed-- case sk <--wraps-- key <--Argon2id-- receipt
 *   case pk    <--sealed-- item key --encrypts--> text | file chunks
 *   token --kdf 1--> lookup hash
 *         --kdf 2--> key --wraps--> handler sk | case sk
 *
 * Formats.  Every stored ciphertext starts with a version byte,
 * OB_CRYPTO_V1, so parameters can change later; the version is also
 * authenticated.  "Wrapped" is XChaCha20-Poly1305-IETF under a
 * symmetric key with a random 24-byte nonce: version || nonce ||
 * ciphertext || tag.  "Sealed" is crypto_box_seal to an X25519 public
 * key: version || seal(key || tag16(AD)).
 *
 * Associated data.  Every wrap, seal and encryption takes a struct
 * ob_ad naming the row it belongs to (build it with the ob_ad_*
 * constructors below, the same on the writing and the reading side);
 * each function adds its own purpose label.  A ciphertext moved to
 * another row, case, tenant or column does not open.  Sealed secret
 * keys are also checked against the public key the row says they
 * belong to.
 *
 * Errors, common to every function that opens something:
 *   OB_EINVAL  malformed: wrong length, unknown version, bad AD or
 *              parameters, a stream that ended early;
 *   OB_EPERM   does not open: wrong key, password, receipt or AD, or
 *              altered bytes;
 *   OB_EAGAIN  Argon2id could not get its memory (try later).
 * On any error nothing is written to the outputs (or what was written
 * is wiped): no plaintext and no key leaves a failed call.
 *
 * Ownership.  A struct ob_keypair lives in sodium_malloc'd memory
 * (guard pages, mlock, no core dumps) and is freed with
 * ob_keypair_free, which wipes it.  Secret values in caller-owned
 * structs (ob_item_key, ob_token, ob_receipt) are wiped by the caller
 * with the matching _wipe function.  Plaintext handed back in a
 * struct ob_buf is released with ob_buf_release_secret.
 *
 * Call ob_crypto_init() once at start, before anything else here.
 */
#ifndef OB_CRYPTO_H
#define OB_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/ob.h"

struct ob_receipt;

#define OB_CRYPTO_V1 0x01

#define OB_KEY_BYTES 32 /* public key, secret key, symmetric key, hash */
#define OB_SALT_BYTES 16
#define OB_WRAPPED_SK_BYTES 73 /* 1 + 24 nonce + 32 + 16 tag */
#define OB_SEALED_BYTES 97 /* 1 + 48 seal overhead + 32 + 16 AD tag */
#define OB_TEXT_OVERHEAD 41 /* 1 + 24 nonce + 16 tag */
#define OB_STREAM_CHUNK_MAX 65536 /* plaintext bytes per chunk */
#define OB_STREAM_HEADER_BYTES 25 /* 1 + 24, before the first chunk */
#define OB_STREAM_ABYTES 17 /* per chunk */
#define OB_STREAM_OUT_MAX                                                      \
	(OB_STREAM_HEADER_BYTES + OB_STREAM_CHUNK_MAX + OB_STREAM_ABYTES)
#define OB_TOKEN_BYTES 32
#define OB_TOKEN_STRLEN 43 /* URL-safe base64, no padding */
#define OB_RECOVERY_STRLEN 79 /* "OMBUD-RK1-" and 14 groups of 4 */
#define OB_PASSWORD_MAX 4096
#define OB_AD_MAX 512
#define OB_AD_ID_MAX 128

/* Start-up: sodium_init().  OB_EINTERNAL if libsodium cannot start. */
int ob_crypto_init(void) OB_MUST_CHECK;

/*
 * Associated data: a purpose and labelled parts, each length-prefixed
 * (u8 purpose length, purpose; then per part u8 label length, label,
 * u32 big-endian value length, value), so no two different lists
 * encode alike.  Adding never fails on the spot: an overlong part or
 * label marks the AD bad and every function given it returns OB_EINVAL.
 */
struct ob_ad {
	uint32_t magic;
	int err;
	size_t len;
	unsigned char b[OB_AD_MAX];
};

void ob_ad_init(struct ob_ad *ad, const char *purpose);
void ob_ad_add(struct ob_ad *ad, const char *label, const void *v, size_t n);
void ob_ad_add_str(struct ob_ad *ad, const char *label, const char *s);

/*
 * The AD of each stored column.  Ids are passed exactly as PostgreSQL
 * prints them in text results (bigint in decimal, uuid in lowercase
 * with dashes); an empty id or one longer than OB_AD_ID_MAX marks the
 * AD bad.  kind names an item's kind ("report", "message", "note",
 * "file", ...): an item read back as another kind does not open.
 */
/* users.sk_wrapped */
void ob_ad_user(struct ob_ad *ad, const char *user_id);
/* sessions.sk_wrapped of a handler session */
void ob_ad_handler_session(struct ob_ad *ad, const char *user_id);
/* sessions.sk_wrapped of a reporter session */
void ob_ad_reporter_session(
    struct ob_ad *ad, const char *tenant_id, const char *case_id);
/* users.totp_wrapped and users.totp_pending */
void ob_ad_totp(struct ob_ad *ad, const char *user_id);
/* memberships.tenant_sk_sealed */
void ob_ad_membership(
    struct ob_ad *ad, const char *tenant_id, const char *user_id);
/* tenants.recovery_sealed */
void ob_ad_recovery(struct ob_ad *ad, const char *tenant_id);
/* cases.case_sk_sealed_tenant and cases.case_sk_wrapped_receipt */
void ob_ad_case(struct ob_ad *ad, const char *tenant_id, const char *case_id);
/* items.key_sealed, items.ciphertext and that item's file_chunks.data */
void ob_ad_item(struct ob_ad *ad, const char *tenant_id, const char *case_id,
    const char *item_id, const char *kind);

/*
 * An X25519 (crypto_box) keypair: handler, tenant, case or recovery
 * key.  ob_keypair_new never returns NULL (allocation failure aborts,
 * util.h); the caller frees the result with ob_keypair_free, which
 * wipes it (NULL is fine).  ob_keypair_pk returns the 32-byte public
 * key, valid as long as the keypair.
 */
struct ob_keypair;

struct ob_keypair *ob_keypair_new(void);
void ob_keypair_free(struct ob_keypair *kp);
const unsigned char *ob_keypair_pk(const struct ob_keypair *kp);

/*
 * Argon2id (crypto_pwhash, ALG_ARGON2ID13) cost, stored beside each
 * salt so that old rows still verify after the defaults change.
 * Accepted: opslimit 1..32, memlimit 8 KiB..1 GiB; anything else is
 * OB_EINVAL.  Tests may use crypto_pwhash's minimums (1, 8 KiB).
 */
struct ob_pwparams {
	uint64_t opslimit;
	uint64_t memlimit; /* bytes */
};

/* opslimit 3, memlimit 64 MiB. */
extern const struct ob_pwparams ob_pwparams_default;

/* True when a row hashed with stored should be rehashed with want. */
bool ob_pwparams_outdated(
    const struct ob_pwparams *stored, const struct ob_pwparams *want);

/*
 * A handler's password credential: the columns users.pw_salt,
 * users.pw_opslimit, users.pw_memlimit, users.pw_verifier and
 * users.sk_wrapped.  Nothing in it is secret on its own.
 */
struct ob_handler_cred {
	unsigned char salt[OB_SALT_BYTES];
	struct ob_pwparams params;
	unsigned char verifier[OB_KEY_BYTES];
	unsigned char sk_wrapped[OB_WRAPPED_SK_BYTES];
};

/*
 * DESIGN "Handler ... secret key is encrypted with a key derived from
 * the password": draws a new salt, runs Argon2id once with *p on the
 * password (pwlen bytes, at most OB_PASSWORD_MAX), splits the result
 * (crypto_kdf) into the verifier and the wrapping key, and wraps kp's
 * secret key (AD: ob_ad_user).  For a new handler, a password change
 * (same kp, new password) and a rehash (same kp and password, new
 * params) alike: the keypair never changes.  Fills *out on success.
 */
int ob_handler_cred_set(const char *pw, size_t pwlen,
    const struct ob_keypair *kp, const struct ob_pwparams *p,
    const struct ob_ad *ad, struct ob_handler_cred *out) OB_MUST_CHECK;

/*
 * Login: one Argon2id run with c's salt and params; the verifier is
 * compared in constant time (OB_EPERM: wrong password), then the
 * secret key is unwrapped and checked against pk (users.pk).  On
 * success the caller owns *out; on error *out is NULL.
 */
int ob_handler_cred_open(const char *pw, size_t pwlen,
    const struct ob_handler_cred *c, const unsigned char pk[OB_KEY_BYTES],
    const struct ob_ad *ad, struct ob_keypair **out) OB_MUST_CHECK;

/*
 * DESIGN "Tenant: ... sealed to each member handler ... and to an
 * offline recovery key" and "Case: ... sealed to the tenant key":
 * seals kp's secret key to to_pk (crypto_box_seal) into out.
 *   tenant sk -> handler pk:  memberships.tenant_sk_sealed, ob_ad_membership
 *   tenant sk -> recovery pk: tenants.recovery_sealed, ob_ad_recovery
 *   case sk -> tenant pk:     cases.case_sk_sealed_tenant, ob_ad_case
 */
int ob_sk_seal(const struct ob_keypair *kp,
    const unsigned char to_pk[OB_KEY_BYTES], const struct ob_ad *ad,
    unsigned char out[OB_SEALED_BYTES]) OB_MUST_CHECK;

/*
 * Opens len bytes sealed to by_kp, checks the AD and that the secret
 * key belongs to expected_pk (tenants.pk or cases.pk of the row).  On
 * success the caller owns *out; on error *out is NULL.
 */
int ob_sk_open(const struct ob_keypair *by_kp, const unsigned char *sealed,
    size_t len, const unsigned char expected_pk[OB_KEY_BYTES],
    const struct ob_ad *ad, struct ob_keypair **out) OB_MUST_CHECK;

/*
 * A small secret of the handler's own (the TOTP secret, zero-padded to
 * 32 bytes) sealed to their public key (users.totp_wrapped, AD:
 * ob_ad_totp): a copy of the database cannot read it, and the auth pool
 * opens it with the keypair of the half-signed-in session.  Another
 * label than ob_sk_seal's, so neither opens as the other.
 * ob_secret_open zeroes out on error.
 */
int ob_secret_seal(const unsigned char secret[OB_KEY_BYTES],
    const unsigned char to_pk[OB_KEY_BYTES], const struct ob_ad *ad,
    unsigned char out[OB_SEALED_BYTES]) OB_MUST_CHECK;
int ob_secret_open(const struct ob_keypair *by_kp, const unsigned char *sealed,
    size_t len, const struct ob_ad *ad,
    unsigned char out[OB_KEY_BYTES]) OB_MUST_CHECK;

/*
 * The recovery key (DESIGN "an offline recovery key printed once"):
 * make it with ob_keypair_new, seal the tenant key to it, and show or
 * write (ob_secret_file_create) ob_recovery_export's string:
 * "OMBUD-RK1-" and 14 groups of four Crockford base32 symbols holding
 * the secret key and a 24-bit checksum.  The caller wipes out.
 */
void ob_recovery_export(
    const struct ob_keypair *kp, char out[OB_RECOVERY_STRLEN + 1]);

/*
 * Parses a recovery key typed or read back: the prefix in any case,
 * leading and trailing white space, and the symbols as
 * ob_b32_normalise reads them.  OB_EINVAL for anything else, including
 * a failed checksum (a typo).  On success the caller owns *out.
 */
int ob_recovery_import(
    const char *s, size_t len, struct ob_keypair **out) OB_MUST_CHECK;

/*
 * A case's credential for its reporter: cases.receipt_salt,
 * cases.receipt_opslimit, cases.receipt_memlimit and
 * cases.case_sk_wrapped_receipt.
 */
struct ob_receipt_cred {
	unsigned char salt[OB_SALT_BYTES];
	struct ob_pwparams params;
	unsigned char sk_wrapped[OB_WRAPPED_SK_BYTES];
};

/*
 * DESIGN "Case: ... also encrypted under a key derived from the
 * reporter's receipt (Argon2id, per-case salt)": new salt, Argon2id
 * with *p on the receipt's 20 symbols, crypto_kdf, then wraps case_kp's
 * secret key (AD: ob_ad_case).  Fills *out on success.
 */
int ob_receipt_cred_set(const struct ob_receipt *r,
    const struct ob_keypair *case_kp, const struct ob_pwparams *p,
    const struct ob_ad *ad, struct ob_receipt_cred *out) OB_MUST_CHECK;

/*
 * Reporter login: unwraps the case secret key with the receipt and
 * checks it against case_pk (cases.pk).  OB_EPERM for a wrong receipt.
 * On success the caller owns *out; on error *out is NULL.
 */
int ob_receipt_cred_open(const struct ob_receipt *r,
    const struct ob_receipt_cred *c, const unsigned char case_pk[OB_KEY_BYTES],
    const struct ob_ad *ad, struct ob_keypair **out) OB_MUST_CHECK;

/*
 * DESIGN "Item: random key, ... item key sealed to the case key": a
 * random 32-byte key per item (report answers, message, file, note),
 * caller-owned, wiped with ob_item_key_wipe.
 */
struct ob_item_key {
	unsigned char k[OB_KEY_BYTES];
};

void ob_item_key_new(struct ob_item_key *k);
void ob_item_key_wipe(struct ob_item_key *k);

/*
 * Seals k to the case public key into out (items.key_sealed; AD:
 * ob_ad_item).  Needs only the public key, so intake and scrub can
 * write into a case they cannot read.
 */
int ob_item_key_seal(const struct ob_item_key *k,
    const unsigned char case_pk[OB_KEY_BYTES], const struct ob_ad *ad,
    unsigned char out[OB_SEALED_BYTES]) OB_MUST_CHECK;

/* Opens an item key sealed to case_kp; *out is zeroed on error. */
int ob_item_key_open(const struct ob_keypair *case_kp,
    const unsigned char *sealed, size_t len, const struct ob_ad *ad,
    struct ob_item_key *out) OB_MUST_CHECK;

/*
 * DESIGN "content encrypted with it (... AEAD for text)": appends
 * len + OB_TEXT_OVERHEAD bytes of XChaCha20-Poly1305 ciphertext of
 * text to out (items.ciphertext; AD: ob_ad_item).  OB_ETOOBIG, with
 * out unchanged, if it would pass out's cap.
 */
int ob_text_encrypt(const struct ob_item_key *k, const struct ob_ad *ad,
    const void *text, size_t len, struct ob_buf *out) OB_MUST_CHECK;

/*
 * Appends the len - OB_TEXT_OVERHEAD bytes of plaintext to out (pass
 * an empty buffer; release it with ob_buf_release_secret).  On error
 * out is as it was.
 */
int ob_text_decrypt(const struct ob_item_key *k, const struct ob_ad *ad,
    const void *ct, size_t len, struct ob_buf *out) OB_MUST_CHECK;

/*
 * DESIGN "crypto_secretstream for files, in chunks": a file is pushed
 * as chunks of at most OB_STREAM_CHUNK_MAX plaintext bytes, each stored
 * as one file_chunks row; the first output chunk also carries the
 * 25-byte header.  The last chunk is pushed with final = true (an
 * empty file is one empty final chunk).  Pulling refuses a chunk that
 * is altered, missing, repeated, out of order or after the final one;
 * ob_stream_end tells whether the final chunk went through.  The AD
 * (ob_ad_item) binds every chunk to its item.  A stream holds one
 * chunk at a time, never a whole file.  Any error breaks the stream:
 * later calls fail too.
 */
struct ob_stream;

/* On success the caller owns *out (ob_stream_free). */
int ob_stream_push_new(const struct ob_item_key *k, const struct ob_ad *ad,
    struct ob_stream **out) OB_MUST_CHECK;
int ob_stream_pull_new(const struct ob_item_key *k, const struct ob_ad *ad,
    struct ob_stream **out) OB_MUST_CHECK;

/*
 * Encrypts n bytes (n <= OB_STREAM_CHUNK_MAX, else OB_ETOOBIG) into
 * out, which has room for outcap bytes (OB_STREAM_OUT_MAX is always
 * enough; less is OB_ETOOBIG); *outlen gets the chunk's length: n + 17,
 * plus 25 for the first chunk.  OB_EINVAL after the final chunk.
 */
int ob_stream_push(struct ob_stream *s, const void *in, size_t n, bool final,
    unsigned char *out, size_t outcap, size_t *outlen) OB_MUST_CHECK;

/*
 * Decrypts one stored chunk of n bytes into out (outcap of
 * OB_STREAM_CHUNK_MAX is always enough); *outlen gets the plaintext's
 * length.  On error out's first outcap bytes are zeroed.
 */
int ob_stream_pull(struct ob_stream *s, const unsigned char *in, size_t n,
    unsigned char *out, size_t outcap, size_t *outlen) OB_MUST_CHECK;

/*
 * 0 once the final chunk has been pushed or pulled without error;
 * OB_EINVAL otherwise (a truncated file when pulling).
 */
int ob_stream_end(const struct ob_stream *s) OB_MUST_CHECK;

/* Wipes and frees s; NULL is fine. */
void ob_stream_free(struct ob_stream *s);

/*
 * DESIGN "A handler session: the cookie holds a random token; the
 * table holds its hash and the handler's secret key encrypted under a
 * key derived from the token".  The token is 32 random bytes, sent as
 * 43 characters of URL-safe base64 without padding.  crypto_kdf splits
 * it into the lookup hash (sessions.token_hash) and a wrapping key
 * that never leaves this module.  Caller-owned; ob_token_wipe.
 */
struct ob_token {
	unsigned char b[OB_TOKEN_BYTES];
};

void ob_token_new(struct ob_token *t);
void ob_token_wipe(struct ob_token *t);

/* The cookie value: 43 characters and a NUL; the caller wipes out. */
void ob_token_encode(const struct ob_token *t, char out[OB_TOKEN_STRLEN + 1]);

/*
 * Parses a cookie value: exactly 43 characters of A-Z a-z 0-9 - _ in
 * canonical form (unused trailing bits zero).  OB_EINVAL otherwise,
 * with *t wiped.
 */
int ob_token_parse(const char *s, struct ob_token *t) OB_MUST_CHECK;

/* sessions.token_hash: the row to look up. */
void ob_token_lookup(const struct ob_token *t, unsigned char out[OB_KEY_BYTES]);

/*
 * sessions.sk_wrapped: wraps kp's secret key (the handler's, or for a
 * reporter session the case's) under the token's key.  AD:
 * ob_ad_handler_session or ob_ad_reporter_session.
 */
int ob_token_wrap_sk(const struct ob_token *t, const struct ob_keypair *kp,
    const struct ob_ad *ad,
    unsigned char out[OB_WRAPPED_SK_BYTES]) OB_MUST_CHECK;

/*
 * Unwraps sessions.sk_wrapped and checks it against pk (users.pk or
 * cases.pk).  On success the caller owns *out; on error *out is NULL.
 */
int ob_token_unwrap_sk(const struct ob_token *t, const unsigned char *wrapped,
    size_t len, const unsigned char pk[OB_KEY_BYTES], const struct ob_ad *ad,
    struct ob_keypair **out) OB_MUST_CHECK;

/*
 * Secret files (the receipt pepper, a recovery key written by
 * ombudctl).  ob_secret_file_read reads at most cap bytes of path into
 * out and their number into *len: OB_EPERM if group or others have any
 * access to it, OB_EINVAL if it is not a regular file (symlinks are not
 * followed), OB_ETOOBIG if it holds more than cap bytes, OB_ENOENT /
 * OB_EIO otherwise; err names path and why.  out is wiped on error.
 * ob_secret_file_create creates path (O_EXCL, mode 0600, fsync'd) with
 * len bytes of data; OB_EIO if it exists or cannot be written (a
 * partial file is removed).
 */
int ob_secret_file_read(const char *path, void *out, size_t cap, size_t *len,
    struct ob_buf *err) OB_MUST_CHECK;
int ob_secret_file_create(const char *path, const void *data, size_t len,
    struct ob_buf *err) OB_MUST_CHECK;

/*
 * A 32-byte key kept in a secret file (the receipt pepper, the CSRF
 * key): the file holds 32 random bytes, or 64 hex digits and an
 * optional newline; an all-zero key is refused.  what names the key in
 * err ("pepper").  ob_key_file_create writes a new random key as hex.
 */
int ob_key_file_read(const char *path, const char *what,
    unsigned char key[OB_KEY_BYTES], struct ob_buf *err) OB_MUST_CHECK;
int ob_key_file_create(const char *path, struct ob_buf *err) OB_MUST_CHECK;

#endif
