/*
 * receipt.h - the reporter's receipt: generation, normalisation of what
 * people type, the peppered lookup hash, and the pepper file
 * (DESIGN.md, "Encryption at rest": "Receipt: ... Lookup by a keyed hash
 * with a server pepper kept outside the database").
 *
 * A receipt is 20 symbols of Crockford base32 (100 bits from
 * randombytes_buf, at least the 80 DESIGN.md asks for), shown once as
 * five groups of four: XXXX-XXXX-XXXX-XXXX-XXXX.  The Argon2id step that
 * turns a receipt into the key wrapping the case secret key lives in
 * crypto.h (ob_receipt_cred_*).
 *
 * A receipt is a secret: never log it, and wipe every struct ob_receipt
 * with ob_receipt_wipe() when done.
 */
#ifndef OB_RECEIPT_H
#define OB_RECEIPT_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/ob.h"

#define OB_RECEIPT_SYMBOLS 20
#define OB_RECEIPT_BITS 100 /* 20 symbols * log2(32) */
#define OB_RECEIPT_STRLEN 24 /* XXXX-XXXX-XXXX-XXXX-XXXX */
#define OB_RECEIPT_INPUT_MAX 128 /* longest input ob_receipt_parse reads */
#define OB_RECEIPT_HASH_BYTES 32
#define OB_PEPPER_BYTES 32

/* The Crockford base32 alphabet: digits and letters without I L O U. */
extern const char ob_b32_alphabet[33];

/*
 * A receipt in normal form: sym holds exactly OB_RECEIPT_SYMBOLS
 * symbols of ob_b32_alphabet and a NUL.  Only ob_receipt_new and
 * ob_receipt_parse make one.
 */
struct ob_receipt {
	char sym[OB_RECEIPT_SYMBOLS + 1];
};

/* The server pepper, in sodium_malloc'd memory; see ob_pepper_load. */
struct ob_pepper;

/*
 * Maps what a person typed to base32 symbols: ASCII letters are
 * uppercased; ' ', '-', '.' and '_' are dropped; O becomes 0, I and L
 * become 1.  Writes at most max symbols to out (no NUL) and their
 * number to *n.  OB_EINVAL for U or any other byte outside the
 * alphabet; OB_ETOOBIG when there are more than max symbols.  out may
 * hold a partial result on error: wipe it if the input was secret.
 */
int ob_b32_normalise(
    const char *in, size_t len, char *out, size_t max, size_t *n) OB_MUST_CHECK;

/* A fresh receipt from randombytes_buf. */
void ob_receipt_new(struct ob_receipt *r);

/*
 * Normalises len bytes of in (ob_b32_normalise) into *r.  OB_EINVAL
 * unless that gives exactly OB_RECEIPT_SYMBOLS symbols, or when len
 * exceeds OB_RECEIPT_INPUT_MAX; *r is wiped then.
 */
int ob_receipt_parse(
    const char *in, size_t len, struct ob_receipt *r) OB_MUST_CHECK;

/*
 * Writes the receipt as five dash-separated groups of four and a NUL
 * to out, the form shown to the reporter.  The caller wipes out.
 */
void ob_receipt_format(
    const struct ob_receipt *r, char out[OB_RECEIPT_STRLEN + 1]);

/* Wipes *r. */
void ob_receipt_wipe(struct ob_receipt *r);

/*
 * cases.receipt_lookup: keyed BLAKE2b-256 (crypto_generichash, the
 * pepper as key) of the 20 normalised symbols.  Stable for a given
 * pepper; without the pepper it cannot be recomputed, so a database
 * dump alone does not let anyone test guessed receipts.
 */
void ob_receipt_lookup(const struct ob_receipt *r, const struct ob_pepper *p,
    unsigned char out[OB_RECEIPT_HASH_BYTES]);

/*
 * Loads the pepper from path: exactly 32 bytes, or 64 hex digits and
 * an optional "\n".  Refuses (with a message naming path in err) a
 * file that is not regular, that group or others may access (OB_EPERM),
 * of any other size or content (OB_EINVAL), or all zeros.  On success
 * the caller owns *out and frees it with ob_pepper_free.  Buffers are
 * wiped on every path.
 */
int ob_pepper_load(
    const char *path, struct ob_pepper **out, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Loads the pepper from the file named by [receipt] pepper_file
 * (docs/config.md); the group may hold no other key.
 */
int ob_pepper_load_config(const struct ob_config *cfg, struct ob_pepper **out,
    struct ob_buf *err) OB_MUST_CHECK;

/*
 * Creates path (O_EXCL, mode 0600) holding a new random pepper as 64
 * hex digits and "\n".  OB_EIO (message in err) if it exists or cannot
 * be written; a partly written file is removed.
 */
int ob_pepper_create(const char *path, struct ob_buf *err) OB_MUST_CHECK;

/* Wipes and frees p; NULL is fine. */
void ob_pepper_free(struct ob_pepper *p);

#endif
