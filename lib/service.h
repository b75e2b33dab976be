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

#include "lib/config.h"
#include "lib/db.h"
#include "lib/req.h"
#include "lib/router.h"
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
	uint64_t default_max_body;
};

/* Settings every service reads from the configuration. */
struct ob_settings {
	const char *templates_dir;
	const char *locale_dir;
	const char *data_dir;
	uint64_t disk_free_min_mb;
	uint64_t mem_available_min_mb;
	struct ob_db_config db;
	char db_port[8];
	const char *socket;
	uint64_t processes;
	unsigned socket_mode;
	uint64_t max_body_bytes;
};

/* What a handler reaches through r->app. */
struct ob_app {
	const struct ob_service *svc;
	struct ob_config *cfg;
	struct ob_settings settings;
	struct ob_db *db;
	struct ob_tmpl_set *tmpl;
};

int ob_service_main(const struct ob_service *svc, int argc, char **argv);

/*
 * Reads [database] and the database role from [role_group] user into
 * s->db (used by ombudctl too).  Errors name file, group and key.
 */
int ob_settings_load_db(const struct ob_config *cfg, const char *role_group,
    struct ob_settings *s, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Reads everything a pool needs from cfg for service name.
 */
int ob_settings_load(const struct ob_config *cfg, const char *name,
    uint64_t default_max_body, struct ob_settings *s,
    struct ob_buf *err) OB_MUST_CHECK;

/* The HTTP status an OB_E* code from a handler or parser becomes. */
int ob_http_status_for(int err);

/*
 * Renders template name with ctx as an HTML page with the given status.
 * Adds the variables every page has: lang, return_path.  Returns 0 or
 * the render error (logged; the caller's error page takes over).
 */
int ob_page_render(struct ob_req *r, int status, const char *name,
    struct ob_tctx *ctx) OB_MUST_CHECK;

/* Replaces the response with the error page for status. */
void ob_page_error(struct ob_req *r, int status);

/* Answers 303 See Other to a local path. */
int ob_page_redirect(struct ob_req *r, const char *path) OB_MUST_CHECK;

/* GET /healthz for every service. */
int ob_health_handler(struct ob_req *r);

/* POST /lang (fields lang, return): sets the language cookie. */
int ob_lang_handler(struct ob_req *r);
extern const struct ob_field_spec ob_lang_fields[];

/* True for a path that is safe to redirect to: one leading '/', no
 * "//", no backslash, printable ASCII. */
bool ob_local_path(const char *p);

#endif
