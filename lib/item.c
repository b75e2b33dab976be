#include "lib/item.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define HEX(n) (2 * (n) + 3)

const struct ob_stmt ob_item_stmts[] = {
	{ "item_id", "SELECT nextval('items_id_seq')", 0 },
	{ "item_insert",
	    "INSERT INTO items (tenant_id, case_id, id, kind, side, author_id, "
	    "key_sealed, ciphertext) VALUES ($1, $2, $3, $4::item_kind, "
	    "$5::author_side, $6, $7, $8)",
	    8 },
};
const size_t ob_item_nstmts = OB_NELEM(ob_item_stmts);

int
ob_item_add(struct ob_db *db, const struct ob_item_new *it, char *id_out)
{
	struct ob_buf ct = OB_BUF_INIT(OB_ITEM_TEXT_MAX + OB_TEXT_OVERHEAD);
	unsigned char sealed[OB_SEALED_BYTES];
	char id[24], key_hex[HEX(OB_SEALED_BYTES)], *ct_hex = NULL;
	const char *params[8];
	struct ob_item_key k;
	PGresult *res = NULL;
	struct ob_ad ad;
	int rc;

	if (it->len > OB_ITEM_TEXT_MAX)
		return OB_ETOOBIG;
	ob_item_key_new(&k);
	if ((rc = ob_db_exec(db, "item_id", 0, NULL, &res)) != 0)
		goto out;
	if ((rc = ob_strlcpy(id, PQgetvalue(res, 0, 0), sizeof(id))) != 0)
		goto out;
	ob_ad_item(&ad, it->tenant_id, it->case_id, id, it->kind);
	if ((rc = ob_item_key_seal(&k, it->case_pk, &ad, sealed)) != 0 ||
	    (rc = ob_text_encrypt(&k, &ad, it->text, it->len, &ct)) != 0 ||
	    (rc = ob_db_hex(
		 sealed, sizeof(sealed), key_hex, sizeof(key_hex))) != 0)
		goto out;
	ct_hex = ob_xmalloc(HEX(ct.len));
	if ((rc = ob_db_hex((const unsigned char *)ct.data, ct.len, ct_hex,
		 HEX(ct.len))) != 0)
		goto out;
	params[0] = it->tenant_id;
	params[1] = it->case_id;
	params[2] = id;
	params[3] = it->kind;
	params[4] = it->side;
	params[5] = it->author_id;
	params[6] = key_hex;
	params[7] = ct_hex;
	PQclear(res);
	res = NULL;
	if ((rc = ob_db_exec(db, "item_insert", 8, params, &res)) != 0)
		goto out;
	if (id_out != NULL)
		memcpy(id_out, id, sizeof(id));
out:
	ob_item_key_wipe(&k);
	ob_buf_release(&ct);
	free(ct_hex);
	PQclear(res);
	return rc;
}

int
ob_item_open(struct ob_arena *a, const struct ob_keypair *case_kp,
    const char *tenant_id, const char *case_id, const char *id,
    const char *kind, const char *key_sealed_hex, const char *ciphertext_hex,
    char **out)
{
	struct ob_buf plain = OB_BUF_INIT(OB_ITEM_TEXT_MAX);
	unsigned char sealed[OB_SEALED_BYTES], *ct = NULL;
	size_t hexlen = strlen(ciphertext_hex);
	size_t ct_len = hexlen > 2 ? (hexlen - 2) / 2 : 0;
	struct ob_item_key k;
	struct ob_ad ad;
	int rc;

	*out = NULL;
	memset(&k, 0, sizeof(k));
	if (ct_len > OB_ITEM_TEXT_MAX + OB_TEXT_OVERHEAD)
		return OB_EINVAL;
	ob_ad_item(&ad, tenant_id, case_id, id, kind);
	ct = ob_xmalloc(ct_len + 1);
	if (ob_db_unhex(key_sealed_hex, sealed, sizeof(sealed)) != 0 ||
	    ob_db_unhex(ciphertext_hex, ct, ct_len) != 0) {
		rc = OB_EINVAL;
		goto out;
	}
	if (ob_item_key_open(case_kp, sealed, sizeof(sealed), &ad, &k) != 0 ||
	    ob_text_decrypt(&k, &ad, ct, ct_len, &plain) != 0) {
		rc = OB_EPERM;
		goto out;
	}
	*out = ob_arena_alloc(a, plain.len + 1);
	memcpy(*out, plain.data, plain.len);
	(*out)[plain.len] = '\0';
	rc = 0;
out:
	ob_item_key_wipe(&k);
	ob_buf_release_secret(&plain);
	free(ct);
	return rc;
}
