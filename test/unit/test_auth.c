/*
 * Who may see which tenant, against a real database: the authorize
 * hook's levels, and ob_auth_tx / ob_auth_tenants / ob_auth_tenant_key
 * for a lawyer of two tenants, a tenant-user of one, and an admin of
 * none, connected as the cases pool's role so that row-level security
 * takes part.  Needs OMBUD_TEST_PG* naming a migrated database
 * (testdb.h); the rows are made as that (owner) user.
 */
#include "lib/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/router.h"
#include "lib/service.h"
#include "lib/util.h"
#include "test/unit/check.h"
#include "test/unit/fakereq.h"
#include "test/unit/testdb.h"

#define HEX(n) (2 * (n) + 3)

static const struct ob_stmt setup_stmts[] = {
	{ "t_tenant",
	    "INSERT INTO tenants (slug, name, public_key, recovery_public_key, "
	    "recovery_sealed) VALUES ($1, $1, $2, $2, "
	    "decode(repeat('00', 97), 'hex')) RETURNING id",
	    2 },
	{ "t_user",
	    "INSERT INTO users (email, role, pw_salt, pw_opslimit, "
	    "pw_memlimit, pw_verifier, public_key, sk_wrapped) VALUES ($1, "
	    "$2::ombud_role, decode(repeat('00', 16), 'hex'), 1, 8192, $3, $3, "
	    "decode(repeat('00', 73), 'hex')) RETURNING id",
	    3 },
	{ "t_member",
	    "INSERT INTO memberships (tenant_id, user_id, tenant_sk_sealed) "
	    "VALUES ($1, $2, $3)",
	    3 },
	{ "t_clean",
	    "TRUNCATE memberships, sessions, otp_challenges, users, tenants "
	    "CASCADE",
	    0 },
};

static struct ob_app app;
static struct ob_arena arena;

struct who {
	const char *email, *role;
	struct ob_keypair *kp;
	char id[24];
	struct ob_session s;
	char cookie[OB_TOKEN_STRLEN + 64];
};

static void
one(struct ob_db *db, const char *stmt, int n, const char *const *p,
    char out[24])
{
	PGresult *res = NULL;

	CHECK_INT(ob_db_exec(db, stmt, n, p, &res), 0);
	if (out != NULL)
		CHECK_INT(ob_strlcpy(out, PQgetvalue(res, 0, 0), 24), 0);
	PQclear(res);
}

static char *
hex(const unsigned char *b, size_t n, char *out, size_t outsz)
{
	CHECK_INT(ob_db_hex(b, n, out, outsz), 0);
	return out;
}

static void
member(struct ob_db *db, const char *tid, const struct ob_keypair *tk,
    const struct who *w)
{
	unsigned char sealed[OB_SEALED_BYTES];
	char h[HEX(OB_SEALED_BYTES)];
	const char *p[3] = { tid, w->id, h };
	struct ob_ad ad;

	ob_ad_membership(&ad, tid, w->id);
	CHECK_INT(ob_sk_seal(tk, ob_keypair_pk(w->kp), &ad, sealed), 0);
	hex(sealed, sizeof(sealed), h, sizeof(h));
	one(db, "t_member", 3, p, NULL);
}

/* A request by w's browser to a route of level need; authorize's rc. */
static int
request(struct fake *f, struct ob_req *r, const struct ob_route *route,
    const struct who *w)
{
	const char *params[] = { "REQUEST_METHOD", route->method, "REQUEST_URI",
		route->pattern, "HTTP_COOKIE", w ? w->cookie : "", NULL };
	int rc;

	fake_init(f, params, NULL, 0);
	ob_arena_reset(&arena);
	CHECK_INT(ob_req_begin(r, &arena, &f->io, 1024), 0);
	r->app = &app;
	r->route = route;
	rc = ob_auth_authorize(r);
	return rc;
}

static void
done(struct fake *f, struct ob_req *r)
{
	ob_req_discard(r);
	ob_req_end(r);
	ob_buf_release(&f->out);
}

struct probe {
	struct ob_req *r;
	const char *tenant_id;
	int ntenants;
	int key_rc;
	bool key_matches;
	const unsigned char *want_pk;
};

static int
probe_tx(struct ob_db *db, void *arg)
{
	struct probe *p = arg;
	struct ob_keypair *tk = NULL;
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_auth_tenants(p->r, db, &res)) != 0)
		return rc;
	p->ntenants = PQntuples(res);
	PQclear(res);
	p->key_rc = ob_auth_tenant_key(p->r, db, p->tenant_id, &tk);
	p->key_matches = tk != NULL &&
	    memcmp(ob_keypair_pk(tk), p->want_pk, OB_KEY_BYTES) == 0;
	ob_keypair_free(tk);
	return 0;
}

/* What w may see of tenant tid (whose public key is pk). */
static void
expect(const struct who *w, const char *tid, const unsigned char *pk,
    int ntenants, bool may_read)
{
	static const struct ob_route route =
	    OB_ROUTE(GET, "/cases/", NULL, HANDLER, NULL);
	struct probe p = { NULL, tid, -1, -1, false, pk };
	struct ob_req r;
	struct fake f;

	CHECK_INT(request(&f, &r, &route, w), 0);
	p.r = &r;
	CHECK_INT(ob_auth_tx(&r, probe_tx, &p), 0);
	CHECK_INT(p.ntenants, ntenants);
	CHECK_INT(p.key_rc, may_read ? 0 : OB_EPERM);
	CHECK(p.key_matches == may_read);
	done(&f, &r);
}

int
main(void)
{
	static const struct ob_route signin =
	    OB_ROUTE(GET, "/auth/otp", NULL, SIGNIN, NULL);
	static const struct ob_route handler =
	    OB_ROUTE(GET, "/cases/", NULL, HANDLER, NULL);
	static const struct ob_route admin =
	    OB_ROUTE(GET, "/admin/", NULL, ADMIN, NULL);
	static const struct ob_route post =
	    OB_ROUTE(POST, "/cases/x", NULL, HANDLER, NULL);
	struct ob_db_config cfg = { 0 }, cases_cfg;
	struct who people[] = {
		{ .email = "lawyer@auth.example", .role = "lawyer" },
		{ .email = "contact@auth.example", .role = "tenant-user" },
		{ .email = "admin@auth.example", .role = "admin" },
		{ .email = "half@auth.example", .role = "lawyer" },
	};
	struct who *lawyer = &people[0], *contact = &people[1];
	struct who *adm = &people[2], *half = &people[3];
	struct ob_keypair *ta, *tb;
	char ta_id[24], tb_id[24], h[HEX(OB_KEY_BYTES)];
	char value[OB_TOKEN_STRLEN + 1];
	const char *p[3];
	struct ob_db *owner;
	struct ob_req r;
	struct fake f;

	if (!testdb_config(&cfg, "test_auth"))
		return TESTDB_SKIP;
	CHECK_INT(ob_crypto_init(), 0);
	ta = ob_keypair_new();
	tb = ob_keypair_new();
	ob_arena_init(&arena, 1 << 20);
	owner = ob_db_new(&cfg, setup_stmts, OB_NELEM(setup_stmts));
	ob_db_add_stmts(owner, ob_session_stmts, ob_session_nstmts);
	CHECK_INT(ob_db_connect(owner), 0);
	one(owner, "t_clean", 0, NULL, NULL);

	p[0] = "auth-a";
	p[1] = hex(ob_keypair_pk(ta), OB_KEY_BYTES, h, sizeof(h));
	one(owner, "t_tenant", 2, p, ta_id);
	p[0] = "auth-b";
	p[1] = hex(ob_keypair_pk(tb), OB_KEY_BYTES, h, sizeof(h));
	one(owner, "t_tenant", 2, p, tb_id);
	for (size_t i = 0; i < OB_NELEM(people); i++) {
		struct who *w = &people[i];

		w->kp = ob_keypair_new();
		p[0] = w->email;
		p[1] = w->role;
		p[2] = hex(ob_keypair_pk(w->kp), OB_KEY_BYTES, h, sizeof(h));
		one(owner, "t_user", 3, p, w->id);
		CHECK_INT(
		    ob_session_create(owner, w->id, w->kp, w != half, &w->s),
		    0);
		ob_token_encode(&w->s.token, value);
		snprintf(w->cookie, sizeof(w->cookie), "%s=%s",
		    OB_SESSION_COOKIE, value);
	}
	member(owner, ta_id, ta, lawyer);
	member(owner, tb_id, tb, lawyer);
	member(owner, ta_id, ta, contact);

	/* The pool's own role: row-level security applies to it. */
	cases_cfg = cfg;
	cases_cfg.user = "ombud_cases";
	app.db = ob_db_new(&cases_cfg, ob_auth_stmts, ob_auth_nstmts);
	ob_db_add_stmts(app.db, ob_session_stmts, ob_session_nstmts);
	CHECK_INT(ob_db_connect(app.db), 0);

	/* Levels: no cookie, half signed in, handler, admin. */
	CHECK_INT(request(&f, &r, &handler, NULL), OB_EDONE);
	CHECK_INT(r.status, 303);
	done(&f, &r);
	CHECK_INT(request(&f, &r, &post, NULL), OB_EPERM);
	done(&f, &r);
	CHECK_INT(request(&f, &r, &signin, half), 0);
	CHECK(!ob_auth_is_admin(&r));
	done(&f, &r);
	CHECK_INT(request(&f, &r, &handler, half), OB_EDONE);
	done(&f, &r);
	CHECK_INT(request(&f, &r, &post, half), OB_EPERM);
	done(&f, &r);
	CHECK_INT(request(&f, &r, &handler, lawyer), 0);
	CHECK_STR(ob_auth_current(&r)->email, lawyer->email);
	CHECK(r.csrf_session != NULL);
	done(&f, &r);
	CHECK_INT(request(&f, &r, &admin, lawyer), OB_EPERM);
	done(&f, &r);
	CHECK_INT(request(&f, &r, &admin, adm), 0);
	CHECK(ob_auth_is_admin(&r));
	done(&f, &r);

	/* A lawyer reads both tenants; a contact person their own; an
	 * admin none: administration is not case content. */
	expect(lawyer, ta_id, ob_keypair_pk(ta), 2, true);
	expect(lawyer, tb_id, ob_keypair_pk(tb), 2, true);
	expect(contact, ta_id, ob_keypair_pk(ta), 1, true);
	expect(contact, tb_id, ob_keypair_pk(tb), 1, false);
	expect(adm, ta_id, ob_keypair_pk(ta), 0, false);
	expect(adm, "999999", ob_keypair_pk(ta), 0, false);

	/* Half signed in: no transaction with tenant data at all. */
	CHECK_INT(request(&f, &r, &signin, half), 0);
	CHECK_INT(ob_auth_tx(&r, NULL, NULL), OB_EPERM);
	done(&f, &r);

	one(owner, "t_clean", 0, NULL, NULL);
	for (size_t i = 0; i < OB_NELEM(people); i++) {
		ob_keypair_free(people[i].kp);
		ob_session_wipe(&people[i].s);
	}
	ob_keypair_free(ta);
	ob_keypair_free(tb);
	ob_db_free(app.db);
	ob_db_free(owner);
	ob_arena_release(&arena);
	return CHECK_DONE();
}
