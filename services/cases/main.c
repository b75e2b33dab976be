/*
 * ombud-cases - the handlers' workplace.  Today the start page of a
 * signed-in handler: who they are and which organisations they handle
 * cases for; the case list, case view and actions follow (issue 6).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/auth.h"
#include "lib/i18n.h"
#include "lib/service.h"
#include "lib/session.h"

struct home {
	struct ob_req *r;
	struct ob_tctx *ctx;
};

static int
home_tx(struct ob_db *db, void *arg)
{
	struct home *h = arg;
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_auth_tenants(h->r, db, &res)) != 0)
		goto out;
	ob_tctx_set_list(h->ctx, "tenants");
	ob_tctx_set_bool(h->ctx, "has_tenants", PQntuples(res) > 0);
	for (int i = 0; i < PQntuples(res); i++) {
		struct ob_tctx *t = ob_tctx_add_item(h->ctx, "tenants");

		ob_tctx_set(t, "slug", PQgetvalue(res, i, 1));
		ob_tctx_set(t, "name", PQgetvalue(res, i, 2));
	}
out:
	PQclear(res);
	return rc;
}

static int
h_home(struct ob_req *r)
{
	struct home h = { r, ob_tctx_new(r->arena) };
	int rc;

	if ((rc = ob_auth_tx(r, home_tx, &h)) != 0)
		return rc;
	ob_tctx_set(h.ctx, "title", _("Signed in"));
	ob_tctx_set(h.ctx, "email", ob_auth_current(r)->email);
	return ob_page_render(r, 200, "cases_home", h.ctx);
}

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/healthz", ob_health_handler, PUBLIC, NULL),
	OB_ROUTE(GET, "/cases/", h_home, HANDLER, NULL),
};

static const struct ob_stmt *const more[] = { ob_auth_stmts, ob_session_stmts,
	NULL };
static size_t nmore[2];

static struct ob_service cases = {
	.name = "cases",
	.routes = routes,
	.nroutes = OB_NELEM(routes),
	.authorize = ob_auth_authorize,
	.more_stmts = more,
	.more_nstmts = nmore,
	.default_max_body = 1024 * 1024,
};

int
main(int argc, char **argv)
{
	nmore[0] = ob_auth_nstmts;
	nmore[1] = ob_session_nstmts;
	return ob_service_main(&cases, argc, argv);
}
