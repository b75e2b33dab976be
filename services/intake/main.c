/*
 * ombud-intake - the reporters' side: the site root, tenant pages and
 * (in later issues) the report form and follow-up.  nginx also routes
 * /healthz and anything unknown here, so unknown paths get this pool's
 * 404 page.
 */
#include "lib/i18n.h"
#include "lib/service.h"

static int
h_home(struct ob_req *r)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);

	ob_tctx_set(ctx, "title", _("Ombud: report wrongdoing safely"));
	return ob_page_render(r, 200, "home", ctx);
}

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/", h_home, PUBLIC, NULL),
	OB_ROUTE(GET, "/healthz", ob_health_handler, PUBLIC, NULL),
	OB_ROUTE(POST, "/lang", ob_lang_handler, PUBLIC, ob_lang_fields),
};

static const struct ob_service intake = {
	.name = "intake",
	.routes = routes,
	.nroutes = OB_NELEM(routes),
	.default_max_body = 1024 * 1024,
};

int
main(int argc, char **argv)
{
	return ob_service_main(&intake, argc, argv);
}
