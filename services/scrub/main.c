/*
 * ombud-scrub - every file upload: multipart parsing, metadata scrubbing (issue 7).
 * Until those land it serves /healthz, and its 404 and 405 pages for
 * the paths nginx routes to it.
 */
#include "lib/service.h"

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/healthz", ob_health_handler, PUBLIC, NULL),
};

static const struct ob_service scrub = {
	.name = "scrub",
	.routes = routes,
	.nroutes = OB_NELEM(routes),
	.default_max_body = 64 * 1024 * 1024,
};

int
main(int argc, char **argv)
{
	return ob_service_main(&scrub, argc, argv);
}
