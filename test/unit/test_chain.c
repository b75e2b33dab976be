/*
 * The whole key hierarchy against a real database: a tenant and a
 * handler made by lib/accounts, a case with a receipt and items
 * holding a canary text, then read back down both chains -- handler
 * password -> handler key -> tenant key -> case key -> item, and
 * receipt -> case key -> item.  The integration test then searches a
 * pg_dump of the database for the canary.  Needs OMBUD_TEST_PG* and
 * OMBUD_TEST_CANARY (testdb.h); skipped otherwise.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/accounts.h"
#include "lib/audit.h"
#include "lib/crypto.h"
#include "lib/receipt.h"
#include "lib/util.h"
#include "test/unit/check.h"
#include "test/unit/testdb.h"

#define HEX(n) (2 * (n) + 3)

static const struct ob_stmt stmts[] = {
	{ "c_tenant", "SELECT id, public_key FROM tenants WHERE slug = $1", 1 },
	{ "c_next_case", "SELECT nextval('cases_id_seq')", 0 },
	{ "c_next_item", "SELECT nextval('items_id_seq')", 0 },
	{ "c_case",
	    "INSERT INTO cases (tenant_id, id, number, category, public_key, "
	    "sk_sealed_tenant, receipt_lookup, receipt_salt, receipt_opslimit, "
	    "receipt_memlimit, sk_wrapped_receipt) "
	    "VALUES ($1, $2::bigint, 'C-' || $2::text, 'fraud', $3, $4, $5, "
	    "$6, "
	    "$7, $8, $9)",
	    9 },
	{ "c_item",
	    "INSERT INTO items (tenant_id, case_id, id, kind, side, "
	    "key_sealed, "
	    "ciphertext) VALUES ($1, $2, $3, $4, 'reporter', $5, $6)",
	    6 },
	{ "c_user",
	    "SELECT id, pw_salt, pw_opslimit, pw_memlimit, pw_verifier, "
	    "public_key, sk_wrapped FROM users WHERE email = $1",
	    1 },
	{ "c_membership",
	    "SELECT tenant_sk_sealed FROM memberships "
	    "WHERE tenant_id = $1 AND user_id = $2",
	    2 },
	{ "c_case_by_receipt",
	    "SELECT id, public_key, sk_sealed_tenant, receipt_salt, "
	    "receipt_opslimit, receipt_memlimit, sk_wrapped_receipt "
	    "FROM cases WHERE tenant_id = $1 AND receipt_lookup = $2",
	    2 },
	{ "c_items",
	    "SELECT id, kind, key_sealed, ciphertext FROM items "
	    "WHERE tenant_id = $1 AND case_id = $2 ORDER BY id",
	    2 },
};

static const struct ob_pwparams fast = { 1, 8192 };
static const char password[] = "Ledger-Quartz-58!river";
static char recovery[OB_RECOVERY_STRLEN + 1];

static int
keep(const char *r, void *arg, struct ob_buf *err)
{
	(void)arg;
	(void)err;
	return ob_strlcpy(recovery, r, sizeof(recovery));
}

static PGresult *
q(struct ob_db *db, const char *stmt, int n, const char *const *p)
{
	PGresult *res = NULL;

	CHECK_INT(ob_db_exec(db, stmt, n, p, &res), 0);
	return res;
}

static void
hex(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	CHECK_INT(ob_db_hex(p, n, out, outsz), 0);
}

/* Writes one item of kind holding text into the case; returns its id. */
static void
add_item(struct ob_db *db, const char *tid, const char *cid,
    const unsigned char case_pk[OB_KEY_BYTES], const char *kind,
    const char *text, char iid[24])
{
	struct ob_item_key k;
	struct ob_ad ad;
	unsigned char sealed[OB_SEALED_BYTES];
	struct ob_buf ct = OB_BUF_INIT(1 << 16);
	char sh[HEX(OB_SEALED_BYTES)], *cth;
	PGresult *res = q(db, "c_next_item", 0, NULL);

	snprintf(iid, 24, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	ob_item_key_new(&k);
	ob_ad_item(&ad, tid, cid, iid, kind);
	CHECK_INT(ob_item_key_seal(&k, case_pk, &ad, sealed), 0);
	CHECK_INT(ob_text_encrypt(&k, &ad, text, strlen(text), &ct), 0);
	ob_item_key_wipe(&k);
	hex(sealed, sizeof(sealed), sh, sizeof(sh));
	cth = malloc(HEX(ct.len));
	hex((unsigned char *)ct.data, ct.len, cth, HEX(ct.len));
	{
		const char *p[] = { tid, cid, iid, kind, sh, cth };

		PQclear(q(db, "c_item", 6, p));
	}
	free(cth);
	ob_buf_release(&ct);
}

/* Decrypts every item of the case with case_kp; counts canaries. */
static int
read_items(struct ob_db *db, const char *tid, const char *cid,
    const struct ob_keypair *case_kp, const char *canary, bool swap)
{
	const char *p[] = { tid, cid };
	PGresult *res = q(db, "c_items", 2, p);
	int found = 0, n = PQntuples(res);

	for (int i = 0; i < n; i++) {
		/* swap: try item i's ciphertext under item (i+1)'s row. */
		int row = swap ? (i + 1) % n : i;
		unsigned char sealed[OB_SEALED_BYTES];
		const char *ctv = PQgetvalue(res, i, 3);
		size_t ctlen = (strlen(ctv) - 2) / 2;
		unsigned char *ct = malloc(ctlen);
		struct ob_buf text = OB_BUF_INIT(1 << 16);
		struct ob_item_key k;
		struct ob_ad ad;

		CHECK_INT(ob_db_unhex(ctv, ct, ctlen), 0);
		CHECK_INT(ob_db_unhex(
			      PQgetvalue(res, row, 2), sealed, sizeof(sealed)),
		    0);
		ob_ad_item(&ad, tid, cid, PQgetvalue(res, row, 0),
		    PQgetvalue(res, row, 1));
		if (ob_item_key_open(
			case_kp, sealed, sizeof(sealed), &ad, &k) == 0 &&
		    ob_text_decrypt(&k, &ad, ct, ctlen, &text) == 0 &&
		    strstr(ob_buf_cstr(&text), canary) != NULL)
			found++;
		ob_item_key_wipe(&k);
		ob_buf_release_secret(&text);
		free(ct);
	}
	PQclear(res);
	return found;
}

int
main(void)
{
	struct ob_db_config cfg = { 0 };
	struct ob_buf err = OB_BUF_INIT(1024);
	const char *canary = getenv("OMBUD_TEST_CANARY");
	char pepper_path[] = "/tmp/ombud-test-pepper-XXXXXX";
	struct ob_keypair *rk = NULL, *case_kp, *user_kp = NULL;
	struct ob_keypair *tenant_kp = NULL, *opened = NULL;
	struct ob_pepper *pepper = NULL;
	struct ob_user_new u = { "chain@example.org", "+4511223344", "lawyer",
		password, sizeof(password) - 1, &fast };
	unsigned char tpk[OB_KEY_BYTES], lookup[OB_RECEIPT_HASH_BYTES];
	unsigned char sealed[OB_SEALED_BYTES];
	struct ob_receipt receipt, typed;
	struct ob_receipt_cred rc_cred;
	struct ob_ad ad;
	char tid[24], cid[24], iid[24], shown[OB_RECEIPT_STRLEN + 1];
	char h_pk[HEX(32)], h_sealed[HEX(OB_SEALED_BYTES)], h_look[HEX(32)];
	char h_salt[HEX(16)], h_wrapped[HEX(OB_WRAPPED_SK_BYTES)];
	char ops[24], mem[24];
	struct ob_db *db;
	PGresult *res;
	long long uid = 0;
	int fd;

	if (!testdb_config(&cfg, "test_chain") || canary == NULL)
		return TESTDB_SKIP;
	cfg.statement_timeout_ms = 10000;
	CHECK_INT(ob_crypto_init(), 0);
	db = ob_db_new(&cfg, stmts, OB_NELEM(stmts));
	ob_db_add_stmts(db, ob_accounts_stmts, ob_accounts_nstmts);
	ob_db_add_stmts(db, ob_audit_stmts, ob_audit_nstmts);

	/* The operator's side: tenant, handler, grant. */
	CHECK_INT(
	    ob_tenant_add(db, "chain", "Chain Ltd", 60, keep, NULL, &err), 0);
	CHECK_INT(ob_recovery_import(recovery, strlen(recovery), &rk), 0);
	CHECK_INT(ob_user_add(db, &u, NULL, &uid, &err), 0);
	CHECK_INT(ob_user_grant(db, u.email, "chain", rk, &err), 0);
	fprintf(stderr, "%s", ob_buf_cstr(&err));

	/* The reporter's side: a case with a receipt, and two items. */
	fd = mkstemp(pepper_path);
	close(fd);
	unlink(pepper_path);
	CHECK_INT(ob_pepper_create(pepper_path, &err), 0);
	CHECK_INT(ob_pepper_load(pepper_path, &pepper, &err), 0);
	{
		const char *p[] = { "chain" };

		res = q(db, "c_tenant", 1, p);
		snprintf(tid, sizeof(tid), "%s", PQgetvalue(res, 0, 0));
		CHECK_INT(ob_db_unhex(PQgetvalue(res, 0, 1), tpk, 32), 0);
		PQclear(res);
	}
	res = q(db, "c_next_case", 0, NULL);
	snprintf(cid, sizeof(cid), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	case_kp = ob_keypair_new();
	ob_ad_case(&ad, tid, cid);
	CHECK_INT(ob_sk_seal(case_kp, tpk, &ad, sealed), 0);
	ob_receipt_new(&receipt);
	ob_receipt_lookup(&receipt, pepper, lookup);
	CHECK_INT(
	    ob_receipt_cred_set(&receipt, case_kp, &fast, &ad, &rc_cred), 0);
	hex(ob_keypair_pk(case_kp), 32, h_pk, sizeof(h_pk));
	hex(sealed, sizeof(sealed), h_sealed, sizeof(h_sealed));
	hex(lookup, sizeof(lookup), h_look, sizeof(h_look));
	hex(rc_cred.salt, 16, h_salt, sizeof(h_salt));
	hex(rc_cred.sk_wrapped, sizeof(rc_cred.sk_wrapped), h_wrapped,
	    sizeof(h_wrapped));
	snprintf(ops, sizeof(ops), "%llu",
	    (unsigned long long)rc_cred.params.opslimit);
	snprintf(mem, sizeof(mem), "%llu",
	    (unsigned long long)rc_cred.params.memlimit);
	{
		const char *p[] = { tid, cid, h_pk, h_sealed, h_look, h_salt,
			ops, mem, h_wrapped };

		PQclear(q(db, "c_case", 9, p));
	}
	add_item(db, tid, cid, ob_keypair_pk(case_kp), "report", canary, iid);
	add_item(db, tid, cid, ob_keypair_pk(case_kp), "message", canary, iid);
	ob_keypair_free(case_kp);

	/* A handler reads: password -> handler -> tenant -> case -> items. */
	{
		const char *p[] = { u.email };
		struct ob_handler_cred hc;
		unsigned char upk[32];
		uint64_t v;

		res = q(db, "c_user", 1, p);
		CHECK_INT(ob_db_unhex(PQgetvalue(res, 0, 1), hc.salt, 16), 0);
		CHECK_INT(ob_parse_u64(PQgetvalue(res, 0, 2), 1, 99, &v), 0);
		hc.params.opslimit = v;
		CHECK_INT(
		    ob_parse_u64(PQgetvalue(res, 0, 3), 1, 1ull << 32, &v), 0);
		hc.params.memlimit = v;
		CHECK_INT(
		    ob_db_unhex(PQgetvalue(res, 0, 4), hc.verifier, 32), 0);
		CHECK_INT(ob_db_unhex(PQgetvalue(res, 0, 5), upk, 32), 0);
		CHECK_INT(ob_db_unhex(PQgetvalue(res, 0, 6), hc.sk_wrapped,
			      sizeof(hc.sk_wrapped)),
		    0);
		ob_ad_user(&ad, PQgetvalue(res, 0, 0));
		CHECK_INT(
		    ob_handler_cred_open("wrong", 5, &hc, upk, &ad, &user_kp),
		    OB_EPERM);
		CHECK_INT(ob_handler_cred_open(password, sizeof(password) - 1,
			      &hc, upk, &ad, &user_kp),
		    0);
		PQclear(res);
	}
	{
		char uids[24];
		const char *p[] = { tid, uids };

		snprintf(uids, sizeof(uids), "%lld", uid);
		res = q(db, "c_membership", 2, p);
		CHECK_INT(
		    ob_db_unhex(PQgetvalue(res, 0, 0), sealed, sizeof(sealed)),
		    0);
		ob_ad_membership(&ad, tid, uids);
		CHECK_INT(ob_sk_open(user_kp, sealed, sizeof(sealed), tpk, &ad,
			      &tenant_kp),
		    0);
		PQclear(res);
	}

	/* The reporter types the receipt back, sloppily. */
	ob_receipt_format(&receipt, shown);
	for (char *s = shown; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z' && *s != 'L' && *s != 'I' &&
		    *s != 'O')
			*s = (char)(*s - 'A' + 'a');
	CHECK_INT(ob_receipt_parse(shown, strlen(shown), &typed), 0);
	ob_receipt_lookup(&typed, pepper, lookup);
	hex(lookup, sizeof(lookup), h_look, sizeof(h_look));
	{
		const char *p[] = { tid, h_look };
		unsigned char cpk[32];

		res = q(db, "c_case_by_receipt", 2, p);
		CHECK_INT(PQntuples(res), 1);
		CHECK_INT(ob_db_unhex(PQgetvalue(res, 0, 1), cpk, 32), 0);
		CHECK_INT(
		    ob_db_unhex(PQgetvalue(res, 0, 2), sealed, sizeof(sealed)),
		    0);
		ob_ad_case(&ad, tid, cid);
		CHECK_INT(ob_sk_open(tenant_kp, sealed, sizeof(sealed), cpk,
			      &ad, &opened),
		    0);
		CHECK_INT(read_items(db, tid, cid, opened, canary, false), 2);
		/* Items swapped between rows do not open. */
		CHECK_INT(read_items(db, tid, cid, opened, canary, true), 0);
		ob_keypair_free(opened);
		opened = NULL;

		CHECK_INT(
		    ob_receipt_cred_open(&typed, &rc_cred, cpk, &ad, &opened),
		    0);
		CHECK_INT(read_items(db, tid, cid, opened, canary, false), 2);
		ob_keypair_free(opened);
		opened = NULL;
		ob_receipt_new(&receipt); /* another, wrong receipt */
		CHECK_INT(
		    ob_receipt_cred_open(&receipt, &rc_cred, cpk, &ad, &opened),
		    OB_EPERM);
		PQclear(res);
	}

	ob_receipt_wipe(&receipt);
	ob_receipt_wipe(&typed);
	ob_keypair_free(user_kp);
	ob_keypair_free(tenant_kp);
	ob_keypair_free(rk);
	ob_pepper_free(pepper);
	unlink(pepper_path);
	ob_db_free(db);
	ob_buf_release(&err);
	sodium_memzero(recovery, sizeof(recovery));
	return CHECK_DONE();
}
