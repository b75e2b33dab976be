/*
 * ombud-cases - the handlers' workplace: case list, case view, admin (issue 6).
 * Until those land it serves /healthz, and its 404 and 405 pages for
 * the paths nginx routes to it.
 */
#include "lib/service.h"

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/healthz", ob_health_handler, PUBLIC, NULL),
};

static const struct ob_service cases = {
	.name = "cases",
	.routes = routes,
	.nroutes = OB_NELEM(routes),
	.default_max_body = 1024 * 1024,
};

int
main(int argc, char **argv)
{
	return ob_service_main(&cases, argc, argv);
}
