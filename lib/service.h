/*
 * service.h - what turns a route table into a running pool.
 *
 * A service's main.c is one call:
 *
 *	int main(int argc, char **argv)
 *	{
 *		return ob_service_main(&intake, argc, argv);
 *	}
 *
 * ob_service_main parses the command line (--config, --socket,
 * --processes), reads and checks every configuration key the service
 * needs, loads templates and catalogs, checks the route table, and runs
 * the pool.  In each child, every request goes through one path: parse
 * and validate, pick the language, route (404/405), authorise, parse
 * declared fields (400/413/415), run the handler, render an error page
 * for whatever it returns, send, log one line.
 */
#ifndef OB_SERVICE_H
#define OB_SERVICE_H

#include <stdint.h>

struct ob_app;

#include "lib/config.h"
#include "lib/db.h"
#include "lib/page.h"
#include "lib/req.h"
#include "lib/router.h"
#include "lib/settings.h"
#include "lib/tmpl.h"

struct ob_service {
	const char *name; /* "intake": config group */
	const struct ob_route *routes;
	size_t nroutes;
	const struct ob_stmt *stmts; /* prepared at connect */
	size_t nstmts;
	/*
	 * Decides whether r may use a non-public route (r->route->auth).
	 * 0 allows; otherwise the code becomes the response (OB_EPERM:
	 * 403).  NULL: every non-public route is refused.
	 */
	int (*authorize)(struct ob_req *r);
	/*
	 * In the master, after the configuration and before the children
	 * are forked: what the children share (throttles in shared memory,
	 * dictionaries).  May set app->state.  NULL: nothing.
	 */
	int (*setup)(struct ob_app *app, struct ob_buf *err);
	/* Library statement tables the service also uses (NULL-ended). */
	const struct ob_stmt *const *more_stmts;
	const size_t *more_nstmts;
	/* Keys of its own the service reads from its group (NULL-ended). */
	const char *const *config_keys;
	uint64_t default_max_body;
};

/* What a handler reaches through r->app. */
struct ob_app {
	const struct ob_service *svc;
	struct ob_config *cfg;
	struct ob_settings settings;
	struct ob_db *db;
	struct ob_tmpl_set *tmpl;
	void *state; /* the service's own, from setup */
};

int ob_service_main(const struct ob_service *svc, int argc, char **argv);

/* GET /healthz for every service. */
int ob_health_handler(struct ob_req *r);

#endif
