#include "lib/reporter.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/cookie.h"
#include "lib/page.h"
#include "lib/router.h"
#include "lib/service.h"
#include "lib/util.h"

#define HEX(n) (2 * (n) + 3)

const struct ob_stmt ob_reporter_stmts[] = {
	{ "rep_tenant",
	    "SELECT id, slug, name, public_key, external_channels, "
	    "unknown_files = 'keep', flatten_pdf, reporter_keeps_metadata "
	    "FROM tenants WHERE slug = $1",
	    1 },
	{ "rep_expire",
	    "DELETE FROM reporter_sessions WHERE tenant_id = $1 "
	    "AND expires_at <= now()",
	    1 },
	{ "rep_create",
	    "INSERT INTO reporter_sessions (tenant_id, case_id, token_hash, "
	    "case_sk_wrapped, expires_at) VALUES ($1, $2, $3, $4, now() + "
	    "interval '30 minutes')",
	    4 },
	/* Looks up and records the use in one statement. */
	{ "rep_touch",
	    "UPDATE reporter_sessions SET expires_at = now() + interval "
	    "'30 minutes' WHERE tenant_id = $1 AND token_hash = $2 "
	    "AND expires_at > now() RETURNING case_id, case_sk_wrapped",
	    2 },
	/* For the scrub pool, which writes into the case and never reads
	 * it: the session, not the key it holds. */
	{ "rep_touch_nokey",
	    "UPDATE reporter_sessions SET expires_at = now() + interval "
	    "'30 minutes' WHERE tenant_id = $1 AND token_hash = $2 "
	    "AND expires_at > now() RETURNING case_id",
	    2 },
	{ "rep_delete",
	    "DELETE FROM reporter_sessions WHERE tenant_id = $1 "
	    "AND token_hash = $2",
	    2 },
	{ "rep_rls", "SELECT set_config('ombud.reporter', $1, true)", 1 },
};
const size_t ob_reporter_nstmts = OB_NELEM(ob_reporter_stmts);

int
ob_tenant_of_request(struct ob_req *r, const struct ob_tenant **out)
{
	struct ob_app *app = r->app;
	const char *slug = ob_req_path_param(r, "slug");
	const char *params[1] = { slug };
	struct ob_tenant *t;
	PGresult *res = NULL;
	int rc;

	*out = r->tenant;
	if (*out != NULL)
		return 0;
	if (slug == NULL || strlen(slug) > 63)
		return OB_ENOENT;
	if ((rc = ob_db_exec(app->db, "rep_tenant", 1, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1) {
		rc = OB_ENOENT;
		goto out;
	}
	t = ob_arena_alloc(r->arena, sizeof(*t));
	if (ob_strlcpy(t->id, PQgetvalue(res, 0, 0), sizeof(t->id)) != 0 ||
	    ob_strlcpy(t->slug, PQgetvalue(res, 0, 1), sizeof(t->slug)) != 0 ||
	    ob_strlcpy(t->name, PQgetvalue(res, 0, 2), sizeof(t->name)) != 0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 3), t->public_key,
		sizeof(t->public_key)) != 0) {
		rc = OB_EINTERNAL;
		goto out;
	}
	t->external_channels = ob_arena_strdup(r->arena, PQgetvalue(res, 0, 4));
	t->keep_unknown = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	t->flatten_pdf = strcmp(PQgetvalue(res, 0, 6), "t") == 0;
	t->reporter_keeps_metadata = strcmp(PQgetvalue(res, 0, 7), "t") == 0;
	r->tenant = t;
	*out = t;
out:
	PQclear(res);
	return rc;
}

void
ob_reporter_wipe(struct ob_reporter *s)
{
	sodium_memzero(s, sizeof(*s));
}

static int
token_hash_hex(const struct ob_token *t, char out[HEX(OB_KEY_BYTES)])
{
	unsigned char hash[OB_KEY_BYTES];

	ob_token_lookup(t, hash);
	return ob_db_hex(hash, sizeof(hash), out, HEX(OB_KEY_BYTES));
}

int
ob_reporter_start(struct ob_db *db, const struct ob_tenant *t,
    const char *case_id, const struct ob_keypair *case_kp,
    struct ob_reporter *out)
{
	char h_hash[HEX(OB_KEY_BYTES)], h_sk[HEX(OB_WRAPPED_SK_BYTES)];
	const char *params[4] = { t->id, case_id, h_hash, h_sk };
	struct ob_reporter s;
	PGresult *res = NULL;
	struct ob_ad ad;
	int rc;

	memset(&s, 0, sizeof(s));
	s.tenant = *t;
	if (ob_strlcpy(s.case_id, case_id, sizeof(s.case_id)) != 0)
		return OB_EINVAL;
	ob_token_new(&s.token);
	ob_ad_reporter_session(&ad, t->id, case_id);
	if ((rc = ob_token_wrap_sk(&s.token, case_kp, &ad, s.sk_wrapped)) !=
		0 ||
	    (rc = token_hash_hex(&s.token, h_hash)) != 0 ||
	    (rc = ob_db_hex(
		 s.sk_wrapped, sizeof(s.sk_wrapped), h_sk, sizeof(h_sk))) != 0)
		goto out;
	if ((rc = ob_db_exec(db, "rep_expire", 1, params, &res)) != 0)
		goto out;
	PQclear(res);
	res = NULL;
	if ((rc = ob_db_exec(db, "rep_create", 4, params, &res)) != 0)
		goto out;
	*out = s;
out:
	PQclear(res);
	ob_reporter_wipe(&s);
	return rc;
}

static int
cookie(const struct ob_reporter *s, struct ob_buf *out)
{
	char value[OB_TOKEN_STRLEN + 1] = "";
	int rc;

	if (s != NULL)
		ob_token_encode(&s->token, value);
	rc = ob_cookie_format(out, OB_REPORTER_COOKIE, value, "/",
	    s != NULL ? -1 : 0,
	    OB_COOKIE_SECURE | OB_COOKIE_HTTPONLY | OB_COOKIE_SAMESITE_STRICT);
	sodium_memzero(value, sizeof(value));
	return rc;
}

int
ob_reporter_cookie(const struct ob_reporter *s, struct ob_buf *out)
{
	return cookie(s, out);
}

int
ob_reporter_cookie_clear(struct ob_buf *out)
{
	return cookie(NULL, out);
}

int
ob_reporter_end(struct ob_db *db, const struct ob_reporter *s)
{
	char h_hash[HEX(OB_KEY_BYTES)];
	const char *params[2] = { s->tenant.id, h_hash };
	PGresult *res = NULL;
	int rc;

	if ((rc = token_hash_hex(&s->token, h_hash)) != 0)
		return rc;
	rc = ob_db_exec(db, "rep_delete", 2, params, &res);
	PQclear(res);
	return rc;
}

/* The session of the cookie under tenant t; OB_ENOENT if none lives. */
static int
lookup(struct ob_db *db, const struct ob_tenant *t, const char *value,
    bool with_key, struct ob_reporter *out)
{
	char h_hash[HEX(OB_KEY_BYTES)];
	const char *params[2] = { t->id, h_hash };
	PGresult *res = NULL;
	int rc;

	ob_reporter_wipe(out);
	if (value == NULL || ob_token_parse(value, &out->token) != 0)
		return OB_ENOENT;
	if ((rc = token_hash_hex(&out->token, h_hash)) != 0 ||
	    (rc = ob_db_exec(db, with_key ? "rep_touch" : "rep_touch_nokey", 2,
		 params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1) {
		rc = OB_ENOENT;
		goto out;
	}
	out->tenant = *t;
	if (ob_strlcpy(out->case_id, PQgetvalue(res, 0, 0),
		sizeof(out->case_id)) != 0 ||
	    (with_key &&
		ob_db_unhex(PQgetvalue(res, 0, 1), out->sk_wrapped,
		    sizeof(out->sk_wrapped)) != 0))
		rc = OB_EINTERNAL;
out:
	if (rc != 0)
		ob_reporter_wipe(out);
	PQclear(res);
	return rc;
}

static int
refuse(struct ob_req *r, const struct ob_tenant *t)
{
	char path[128];

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return OB_EPERM;
	snprintf(path, sizeof(path), "/t/%s/followup", t->slug);
	return ob_page_redirect(r, path) == 0 ? OB_EDONE : OB_EINTERNAL;
}

static int
authorize(struct ob_req *r, bool with_key)
{
	struct ob_app *app = r->app;
	const struct ob_tenant *t = NULL;
	struct ob_reporter *s;
	int rc;

	if (r->route->auth == OB_AUTH_PUBLIC)
		return 0;
	if (r->route->auth != OB_AUTH_REPORTER)
		return OB_EPERM;
	if ((rc = ob_tenant_of_request(r, &t)) != 0)
		return rc;
	/* In the arena: wiped when the request ends. */
	s = ob_arena_alloc(r->arena, sizeof(*s));
	rc = lookup(
	    app->db, t, ob_req_cookie(r, OB_REPORTER_COOKIE), with_key, s);
	if (rc == OB_ENOENT)
		return refuse(r, t);
	if (rc != 0)
		return rc;
	r->user = s;
	r->csrf_session = &s->token;
	return 0;
}

int
ob_reporter_authorize(struct ob_req *r)
{
	return authorize(r, true);
}

int
ob_reporter_authorize_nokey(struct ob_req *r)
{
	return authorize(r, false);
}

struct ob_reporter *
ob_reporter_current(const struct ob_req *r)
{
	return r->user;
}

int
ob_reporter_keypair(const struct ob_reporter *s,
    const unsigned char case_pk[OB_KEY_BYTES], struct ob_keypair **out)
{
	struct ob_ad ad;

	ob_ad_reporter_session(&ad, s->tenant.id, s->case_id);
	return ob_token_unwrap_sk(
	    &s->token, s->sk_wrapped, sizeof(s->sk_wrapped), case_pk, &ad, out);
}

struct rep_tx {
	const struct ob_reporter *s;
	int (*fn)(struct ob_db *db, void *arg);
	void *arg;
};

static int
rep_tx(struct ob_db *db, void *arg)
{
	struct rep_tx *t = arg;
	unsigned char hash[OB_KEY_BYTES];
	char hex[2 * OB_KEY_BYTES + 1]; /* plain hex: SQL decode()s it */
	const char *params[1] = { hex };
	PGresult *res = NULL;
	int rc;

	ob_token_lookup(&t->s->token, hash);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	rc = ob_db_exec(db, "rep_rls", 1, params, &res);
	PQclear(res);
	return rc != 0 ? rc : t->fn(db, t->arg);
}

int
ob_reporter_tx(
    struct ob_req *r, int (*fn)(struct ob_db *db, void *arg), void *arg)
{
	struct ob_app *app = r->app;
	struct rep_tx t = { r->user, fn, arg };

	if (t.s == NULL)
		return OB_EPERM;
	return ob_db_tx(app->db, rep_tx, &t);
}
