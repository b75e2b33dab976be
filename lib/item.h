/*
 * item.h - the items of a case (report answers, messages, notes):
 * written knowing only the case's public key, read with its keypair.
 *
 * DESIGN "Item: random key, content encrypted with it (AEAD for text),
 * item key sealed to the case key".  ob_item_add draws the item's id
 * first (items_id_seq), because the key and the text are bound to it
 * (AD: ob_ad_item of tenant, case, item and kind): an item moved to
 * another row, case or kind does not open.  So intake can write into a
 * case it cannot read, and a handler's reply is stored the same way.
 * Register ob_item_stmts; the role needs INSERT on items and USAGE on
 * items_id_seq (reading needs SELECT).
 */
#ifndef OB_ITEM_H
#define OB_ITEM_H

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/db.h"

#define OB_ITEM_TEXT_MAX (1024 * 1024) /* plaintext bytes of one item */

extern const struct ob_stmt ob_item_stmts[];
extern const size_t ob_item_nstmts;

struct ob_item_new {
	const char *tenant_id, *case_id;
	const unsigned char *case_pk; /* OB_KEY_BYTES: cases.public_key */
	const char *kind; /* report | message | note */
	const char *side; /* reporter | handler */
	const char *author_id; /* users.id of a handler; NULL for reporter */
	const void *text;
	size_t len; /* at most OB_ITEM_TEXT_MAX */
};

/*
 * Encrypts and inserts one item; its id goes to id_out (24 bytes) when
 * that is not NULL.  OB_ETOOBIG for text over OB_ITEM_TEXT_MAX; a
 * database error as ob_db_exec gives it.  Run it inside the caller's
 * transaction when the item belongs with other rows.
 */
int ob_item_add(
    struct ob_db *db, const struct ob_item_new *it, char *id_out) OB_MUST_CHECK;

/*
 * Decrypts an item row: id, kind, the sealed key and the ciphertext as
 * libpq's text results (bytea in hex), for tenant_id and case_id, with
 * the case's keypair.  On success *out is the plaintext in arena a,
 * NUL-terminated (wiped when the arena is); OB_EPERM when it does not
 * open (wrong key, moved, altered), OB_EINVAL for malformed columns.
 */
int ob_item_open(struct ob_arena *a, const struct ob_keypair *case_kp,
    const char *tenant_id, const char *case_id, const char *id,
    const char *kind, const char *key_sealed_hex, const char *ciphertext_hex,
    char **out) OB_MUST_CHECK;

#endif
