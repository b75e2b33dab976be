#include "lib/session.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/cookie.h"
#include "lib/util.h"

#define HEX(n) (2 * (n) + 3)

const struct ob_stmt ob_session_stmts[] = {
	{ "sess_create",
	    "INSERT INTO sessions (user_id, token_hash, sk_wrapped, mfa_done, "
	    "expires_at) VALUES ($1, $2, $3, $4, least(now() + interval "
	    "'12 hours', now() + interval '30 minutes')) RETURNING id",
	    4 },
	/* Looks up and records the use in one statement. */
	{ "sess_touch",
	    "UPDATE sessions SET last_seen_at = now(), expires_at = "
	    "least(created_at + interval '12 hours', now() + interval "
	    "'30 minutes') WHERE token_hash = $1 AND expires_at > now() "
	    "RETURNING id, user_id, mfa_done, sk_wrapped",
	    1 },
	{ "sess_delete", "DELETE FROM sessions WHERE id = $1", 1 },
	{ "sess_delete_others",
	    "DELETE FROM sessions WHERE user_id = $1 AND id <> $2", 2 },
};
const size_t ob_session_nstmts = OB_NELEM(ob_session_stmts);

void
ob_session_wipe(struct ob_session *s)
{
	sodium_memzero(s, sizeof(*s));
}

static int
create(struct ob_db *db, const char *user_id, const struct ob_keypair *kp,
    bool mfa_done, struct ob_session *out)
{
	unsigned char hash[OB_KEY_BYTES];
	char h_hash[HEX(OB_KEY_BYTES)], h_sk[HEX(OB_WRAPPED_SK_BYTES)];
	const char *params[4];
	struct ob_session s;
	struct ob_ad ad;
	PGresult *res = NULL;
	int rc;

	memset(&s, 0, sizeof(s));
	if (ob_strlcpy(s.user_id, user_id, sizeof(s.user_id)) != 0)
		return OB_EINVAL;
	ob_token_new(&s.token);
	ob_token_lookup(&s.token, hash);
	ob_ad_handler_session(&ad, user_id);
	if ((rc = ob_token_wrap_sk(&s.token, kp, &ad, s.sk_wrapped)) != 0 ||
	    (rc = ob_db_hex(hash, sizeof(hash), h_hash, sizeof(h_hash))) != 0 ||
	    (rc = ob_db_hex(
		 s.sk_wrapped, sizeof(s.sk_wrapped), h_sk, sizeof(h_sk))) != 0)
		goto out;
	params[0] = user_id;
	params[1] = h_hash;
	params[2] = h_sk;
	params[3] = mfa_done ? "true" : "false";
	if ((rc = ob_db_exec(db, "sess_create", 4, params, &res)) != 0)
		goto out;
	if (ob_strlcpy(s.id, PQgetvalue(res, 0, 0), sizeof(s.id)) != 0) {
		rc = OB_EINTERNAL;
		goto out;
	}
	s.mfa_done = mfa_done;
	*out = s;
out:
	PQclear(res);
	ob_session_wipe(&s);
	return rc;
}

int
ob_session_create(struct ob_db *db, const char *user_id,
    const struct ob_keypair *kp, bool mfa_done, struct ob_session *out)
{
	return create(db, user_id, kp, mfa_done, out);
}

int
ob_session_lookup(struct ob_db *db, const char *cookie, struct ob_session *out)
{
	unsigned char hash[OB_KEY_BYTES];
	char h_hash[HEX(OB_KEY_BYTES)];
	const char *params[1] = { h_hash };
	PGresult *res = NULL;
	struct ob_session s;
	int rc;

	memset(&s, 0, sizeof(s));
	ob_session_wipe(out);
	if (cookie == NULL || ob_token_parse(cookie, &s.token) != 0)
		return OB_ENOENT;
	ob_token_lookup(&s.token, hash);
	if ((rc = ob_db_hex(hash, sizeof(hash), h_hash, sizeof(h_hash))) != 0 ||
	    (rc = ob_db_exec(db, "sess_touch", 1, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1) {
		rc = OB_ENOENT;
		goto out;
	}
	if (ob_strlcpy(s.id, PQgetvalue(res, 0, 0), sizeof(s.id)) != 0 ||
	    ob_strlcpy(s.user_id, PQgetvalue(res, 0, 1), sizeof(s.user_id)) !=
		0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 3), s.sk_wrapped,
		sizeof(s.sk_wrapped)) != 0) {
		rc = OB_EINTERNAL;
		goto out;
	}
	s.mfa_done = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	*out = s;
out:
	PQclear(res);
	ob_session_wipe(&s);
	return rc;
}

int
ob_session_keypair(const struct ob_session *s,
    const unsigned char user_pk[OB_KEY_BYTES], struct ob_keypair **out)
{
	struct ob_ad ad;

	ob_ad_handler_session(&ad, s->user_id);
	return ob_token_unwrap_sk(
	    &s->token, s->sk_wrapped, sizeof(s->sk_wrapped), user_pk, &ad, out);
}

int
ob_session_destroy(struct ob_db *db, const struct ob_session *s)
{
	const char *params[1] = { s->id };
	PGresult *res = NULL;
	int rc = ob_db_exec(db, "sess_delete", 1, params, &res);

	PQclear(res);
	return rc;
}

int
ob_session_promote(
    struct ob_db *db, struct ob_session *s, const struct ob_keypair *kp)
{
	struct ob_session fresh;
	int rc;

	if ((rc = create(db, s->user_id, kp, true, &fresh)) != 0)
		return rc;
	if ((rc = ob_session_destroy(db, s)) != 0) {
		/* Keep one session, not two: drop the new one. */
		if (ob_session_destroy(db, &fresh) != 0)
			rc = OB_EDB;
		ob_session_wipe(&fresh);
		return rc;
	}
	ob_session_wipe(s);
	*s = fresh;
	ob_session_wipe(&fresh);
	return 0;
}

int
ob_session_destroy_others(struct ob_db *db, const struct ob_session *s)
{
	const char *params[2] = { s->user_id, s->id };
	PGresult *res = NULL;
	int rc = ob_db_exec(db, "sess_delete_others", 2, params, &res);

	PQclear(res);
	return rc;
}

int
ob_session_cookie(const struct ob_session *s, struct ob_buf *out)
{
	char value[OB_TOKEN_STRLEN + 1];
	int rc;

	ob_token_encode(&s->token, value);
	rc = ob_cookie_format(out, OB_SESSION_COOKIE, value, "/", -1,
	    OB_COOKIE_SECURE | OB_COOKIE_HTTPONLY | OB_COOKIE_SAMESITE_STRICT);
	sodium_memzero(value, sizeof(value));
	return rc;
}

int
ob_session_cookie_clear(struct ob_buf *out)
{
	return ob_cookie_format(out, OB_SESSION_COOKIE, "", "/", 0,
	    OB_COOKIE_SECURE | OB_COOKIE_HTTPONLY | OB_COOKIE_SAMESITE_STRICT);
}
