/*
 * Handler sessions against a real database: create, look up, promote
 * (a new token), idle and absolute expiry, logout, other sessions
 * ended, and a stolen sessions row that opens nothing.  Needs
 * OMBUD_TEST_PG* naming a migrated database (testdb.h).
 */
#include "lib/session.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "test/unit/check.h"
#include "test/unit/testdb.h"

static const struct ob_stmt stmts[] = {
	{ "t_user",
	    "INSERT INTO users (email, role, pw_salt, pw_opslimit, "
	    "pw_memlimit, "
	    "pw_verifier, public_key, sk_wrapped) VALUES ($1, 'lawyer', "
	    "'\\x00000000000000000000000000000000', 1, 8192, $2, $2, $3) "
	    "RETURNING id",
	    3 },
	{ "t_idle",
	    "UPDATE sessions SET expires_at = now() - interval '1 second' "
	    "WHERE id = $1",
	    1 },
	{ "t_old",
	    "UPDATE sessions SET created_at = now() - interval '13 hours' "
	    "WHERE id = $1",
	    1 },
	{ "t_count", "SELECT count(*) FROM sessions WHERE user_id = $1", 1 },
	{ "t_row", "SELECT token_hash, sk_wrapped FROM sessions WHERE id = $1",
	    1 },
};

static int
count(struct ob_db *db, const char *user)
{
	const char *p[] = { user };
	PGresult *res = NULL;
	uint64_t n = 0;

	if (ob_db_exec(db, "t_count", 1, p, &res) == 0 &&
	    ob_parse_u64(PQgetvalue(res, 0, 0), 0, 1000, &n) != 0)
		n = 1000;
	PQclear(res);
	return (int)n;
}

static void
run1(struct ob_db *db, const char *stmt, const char *id)
{
	const char *p[] = { id };
	PGresult *res = NULL;

	CHECK_INT(ob_db_exec(db, stmt, 1, p, &res), 0);
	PQclear(res);
}

int
main(void)
{
	struct ob_db_config cfg = { 0 };
	struct ob_keypair *kp, *got = NULL, *other;
	struct ob_session s, s2, found;
	struct ob_buf cookie = OB_BUF_INIT(256);
	char h_pk[2 * 32 + 3], h_w[2 * OB_WRAPPED_SK_BYTES + 3];
	char value[OB_TOKEN_STRLEN + 1], old_value[OB_TOKEN_STRLEN + 1];
	unsigned char zeros[OB_WRAPPED_SK_BYTES] = { 0 };
	const char *p[3];
	char user[24];
	struct ob_db *db;
	PGresult *res = NULL;

	if (!testdb_config(&cfg, "test_session"))
		return TESTDB_SKIP;
	CHECK_INT(ob_crypto_init(), 0);
	db = ob_db_new(&cfg, stmts, OB_NELEM(stmts));
	ob_db_add_stmts(db, ob_session_stmts, ob_session_nstmts);
	kp = ob_keypair_new();
	other = ob_keypair_new();
	CHECK_INT(ob_db_hex(ob_keypair_pk(kp), 32, h_pk, sizeof(h_pk)), 0);
	CHECK_INT(ob_db_hex(zeros, sizeof(zeros), h_w, sizeof(h_w)), 0);
	p[0] = "session@example.org";
	p[1] = h_pk;
	p[2] = h_w;
	CHECK_INT(ob_db_exec(db, "t_user", 3, p, &res), 0);
	snprintf(user, sizeof(user), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	/* Half signed in: the session exists, the second factor not. */
	CHECK_INT(ob_session_create(db, user, kp, false, &s), 0);
	CHECK(!s.mfa_done);
	CHECK_INT(ob_session_cookie(&s, &cookie), 0);
	CHECK(strncmp(ob_buf_cstr(&cookie), "__Host-ombud=", 13) == 0);
	CHECK(strstr(ob_buf_cstr(&cookie), "; Secure") != NULL);
	CHECK(strstr(ob_buf_cstr(&cookie), "; HttpOnly") != NULL);
	CHECK(strstr(ob_buf_cstr(&cookie), "SameSite=Strict") != NULL);
	CHECK(strstr(ob_buf_cstr(&cookie), "Max-Age") == NULL);
	ob_token_encode(&s.token, value);
	CHECK(strstr(ob_buf_cstr(&cookie), value) != NULL);
	CHECK_INT(ob_session_lookup(db, value, &found), 0);
	CHECK_STR(found.user_id, user);
	CHECK(!found.mfa_done);
	CHECK_INT(ob_session_keypair(&found, ob_keypair_pk(kp), &got), 0);
	CHECK(got != NULL &&
	    memcmp(ob_keypair_pk(got), ob_keypair_pk(kp), 32) == 0);
	ob_keypair_free(got);
	got = NULL;
	/* The key is checked against the user's public key. */
	CHECK_INT(
	    ob_session_keypair(&found, ob_keypair_pk(other), &got), OB_EPERM);

	/* The second factor: a new token; the old one is dead. */
	memcpy(old_value, value, sizeof(value));
	CHECK_INT(ob_session_promote(db, &s, kp), 0);
	CHECK(s.mfa_done);
	ob_token_encode(&s.token, value);
	CHECK(strcmp(value, old_value) != 0);
	CHECK_INT(ob_session_lookup(db, old_value, &found), OB_ENOENT);
	CHECK_INT(ob_session_lookup(db, value, &found), 0);
	CHECK(found.mfa_done);
	CHECK_INT(count(db, user), 1);

	/* Malformed cookies are simply no session. */
	CHECK_INT(ob_session_lookup(db, "", &found), OB_ENOENT);
	CHECK_INT(ob_session_lookup(db, "x", &found), OB_ENOENT);
	CHECK_INT(ob_session_lookup(db, NULL, &found), OB_ENOENT);
	value[5] ^= 1;
	CHECK_INT(ob_session_lookup(db, value, &found), OB_ENOENT);
	value[5] ^= 1;

	/* A stolen row: its hash and wrapped key open nothing without the
	 * token from the browser. */
	{
		struct ob_session thief;

		memset(&thief, 0, sizeof(thief));
		memcpy(thief.user_id, user, sizeof(user));
		memcpy(
		    thief.sk_wrapped, s.sk_wrapped, sizeof(thief.sk_wrapped));
		ob_token_new(&thief.token);
		CHECK_INT(ob_session_keypair(&thief, ob_keypair_pk(kp), &got),
		    OB_EPERM);
		CHECK(got == NULL);
	}

	/* Idle expiry. */
	run1(db, "t_idle", s.id);
	CHECK_INT(ob_session_lookup(db, value, &found), OB_ENOENT);

	/* Absolute expiry: however recently used. */
	CHECK_INT(ob_session_create(db, user, kp, true, &s2), 0);
	ob_token_encode(&s2.token, value);
	CHECK_INT(ob_session_lookup(db, value, &found), 0);
	run1(db, "t_old", s2.id);
	CHECK_INT(ob_session_lookup(db, value, &found), 0); /* moves expiry */
	CHECK_INT(ob_session_lookup(db, value, &found), OB_ENOENT);

	/* Logout, and "end my other sessions". */
	CHECK_INT(ob_session_create(db, user, kp, true, &s), 0);
	CHECK_INT(ob_session_create(db, user, kp, true, &s2), 0);
	CHECK_INT(ob_session_destroy_others(db, &s), 0);
	ob_token_encode(&s2.token, value);
	CHECK_INT(ob_session_lookup(db, value, &found), OB_ENOENT);
	ob_token_encode(&s.token, value);
	CHECK_INT(ob_session_lookup(db, value, &found), 0);
	CHECK_INT(ob_session_destroy(db, &s), 0);
	CHECK_INT(ob_session_lookup(db, value, &found), OB_ENOENT);

	ob_buf_reset(&cookie);
	CHECK_INT(ob_session_cookie_clear(&cookie), 0);
	CHECK(strstr(ob_buf_cstr(&cookie), "Max-Age=0") != NULL);

	ob_session_wipe(&s);
	ob_session_wipe(&s2);
	ob_session_wipe(&found);
	ob_keypair_free(kp);
	ob_keypair_free(other);
	ob_buf_release(&cookie);
	ob_db_free(db);
	return CHECK_DONE();
}
