/*
 * Items read back: ob_item_open on rows made as ob_item_add makes them
 * (the insert itself runs through the stack's tests): the right key and
 * row open, a moved or altered row or another case's key do not.
 */
#include "lib/item.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lib/db.h"
#include "test/unit/check.h"

#define HEX(n) (2 * (n) + 3)

struct row {
	char key[HEX(OB_SEALED_BYTES)];
	char ct[HEX(256)];
};

/* An item row of tenant 1, case 2, item 3 of kind, holding text. */
static void
make(const struct ob_keypair *case_kp, const char *kind, const char *text,
    struct row *out)
{
	struct ob_buf ct = OB_BUF_INIT(256);
	unsigned char sealed[OB_SEALED_BYTES];
	struct ob_item_key k;
	struct ob_ad ad;

	ob_item_key_new(&k);
	ob_ad_item(&ad, "1", "2", "3", kind);
	CHECK_INT(ob_item_key_seal(&k, ob_keypair_pk(case_kp), &ad, sealed), 0);
	CHECK_INT(ob_text_encrypt(&k, &ad, text, strlen(text), &ct), 0);
	CHECK_INT(
	    ob_db_hex(sealed, sizeof(sealed), out->key, sizeof(out->key)), 0);
	CHECK_INT(ob_db_hex((const unsigned char *)ct.data, ct.len, out->ct,
		      sizeof(out->ct)),
	    0);
	ob_item_key_wipe(&k);
	ob_buf_release(&ct);
}

int
main(void)
{
	struct ob_keypair *kp, *other;
	struct ob_arena a;
	struct row row;
	char *text = NULL;

	CHECK_INT(ob_crypto_init(), 0);
	ob_arena_init(&a, 1 << 20);
	kp = ob_keypair_new();
	other = ob_keypair_new();
	make(kp, "message", "h\xc3\xa6j with a canary", &row);

	CHECK_INT(ob_item_open(
		      &a, kp, "1", "2", "3", "message", row.key, row.ct, &text),
	    0);
	CHECK_STR(text, "h\xc3\xa6j with a canary");

	/* Another case's key; the row moved to another item, case,
	 * tenant or kind. */
	CHECK_INT(ob_item_open(&a, other, "1", "2", "3", "message", row.key,
		      row.ct, &text),
	    OB_EPERM);
	CHECK(text == NULL);
	CHECK_INT(ob_item_open(
		      &a, kp, "1", "2", "4", "message", row.key, row.ct, &text),
	    OB_EPERM);
	CHECK_INT(ob_item_open(
		      &a, kp, "1", "9", "3", "message", row.key, row.ct, &text),
	    OB_EPERM);
	CHECK_INT(ob_item_open(
		      &a, kp, "5", "2", "3", "message", row.key, row.ct, &text),
	    OB_EPERM);
	CHECK_INT(
	    ob_item_open(&a, kp, "1", "2", "3", "note", row.key, row.ct, &text),
	    OB_EPERM);

	/* An altered byte of the text; columns that are not hex bytea. */
	row.ct[10] = row.ct[10] == '0' ? '1' : '0';
	CHECK_INT(ob_item_open(
		      &a, kp, "1", "2", "3", "message", row.key, row.ct, &text),
	    OB_EPERM);
	CHECK_INT(ob_item_open(
		      &a, kp, "1", "2", "3", "message", "\\xzz", row.ct, &text),
	    OB_EINVAL);
	CHECK_INT(
	    ob_item_open(&a, kp, "1", "2", "3", "message", row.key, "", &text),
	    OB_EINVAL);
	CHECK(text == NULL);

	ob_keypair_free(kp);
	ob_keypair_free(other);
	ob_arena_release(&a);
	return CHECK_DONE();
}
