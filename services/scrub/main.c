/*
 * ombud-scrub - every file upload (issue 7): the multipart body of a
 * reporter's or a handler's form, each file cleaned of what could
 * identify a person in a sandboxed child, encrypted into its case
 * (upload.c).  nginx routes POST /t/<slug>/case/files and POST
 * /cases/<id>/files here.
 */
#include <stdio.h>
#include <string.h>

#include "lib/auth.h"
#include "lib/filestore.h"
#include "lib/reporter.h"
#include "lib/service.h"
#include "lib/session.h"
#include "services/scrub/scrub.h"

/*
 * [scrub] cpu_seconds and wall_seconds: what one file may take in its
 * sandbox.  What a tenant accepts is the tenant's setting
 * (sql/0013_scrub_settings.sql), not the platform's.
 */
static const char *const config_keys[] = { "cpu_seconds", "wall_seconds",
	NULL };

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/healthz", ob_health_handler, PUBLIC, NULL),
	OB_ROUTE_RAW(POST, "/t/{slug}/case/files", h_reporter_upload, REPORTER),
	OB_ROUTE_RAW(POST, "/cases/{id}/files", h_handler_upload, HANDLER),
};

/* A reporter's page posts with the reporter session, a handler's with
 * the handler session: each is authorized as the pool it came from. */
static int
authorize(struct ob_req *r)
{
	if (r->route->auth == OB_AUTH_REPORTER ||
	    r->route->auth == OB_AUTH_PUBLIC)
		return ob_reporter_authorize_nokey(r);
	return ob_auth_authorize(r);
}

static struct scrub_state state;

static int
setup(struct ob_app *app, struct ob_buf *err)
{
	const char *site = NULL;
	uint64_t cpu, wall;
	int rc;

	state.sandbox = ob_sandbox_default_limits;
	if ((rc = ob_config_uint_opt(app->cfg, "scrub", "cpu_seconds", 1, 3600,
		 state.sandbox.cpu_seconds, &cpu, err)) != 0 ||
	    (rc = ob_config_uint_opt(app->cfg, "scrub", "wall_seconds", 1, 7200,
		 state.sandbox.wall_seconds, &wall, err)) != 0 ||
	    (rc = ob_config_str_opt(app->cfg, "site", "url",
		 "https://localhost:8443", &site, err)) != 0)
		return rc;
	state.sandbox.cpu_seconds = (unsigned)cpu;
	state.sandbox.wall_seconds = (unsigned)wall;
	state.sandbox.file_size = app->settings.max_body_bytes;
	if (snprintf(state.handler_link, sizeof(state.handler_link),
		"%s/cases/", site) >= (int)sizeof(state.handler_link)) {
		ob_buf_seterr(err, "config %s: [site] url is too long",
		    ob_config_file(app->cfg));
		return OB_ECONFIG;
	}
	/* Loaded before the children fork: they and their sandboxed
	 * children share it and never open a file to read it. */
	state.magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	if (state.magic == NULL || magic_load(state.magic, NULL) != 0) {
		ob_buf_seterr(err, "libmagic cannot load its database");
		return OB_EINTERNAL;
	}
	app->state = &state;
	return 0;
}

static const struct ob_stmt *const more[] = { ob_reporter_stmts, ob_auth_stmts,
	ob_session_stmts, ob_filestore_stmts, NULL };
static size_t nmore[4];

static struct ob_service scrub = {
	.name = "scrub",
	.routes = routes,
	.nroutes = OB_NELEM(routes),
	.stmts = upload_stmts,
	.authorize = authorize,
	.setup = setup,
	.config_keys = config_keys,
	.more_stmts = more,
	.more_nstmts = nmore,
	.default_max_body = 64 * 1024 * 1024,
};

int
main(int argc, char **argv)
{
	scrub.nstmts = upload_nstmts;
	nmore[0] = ob_reporter_nstmts;
	nmore[1] = ob_auth_nstmts;
	nmore[2] = ob_session_nstmts;
	nmore[3] = ob_filestore_nstmts;
	return ob_service_main(&scrub, argc, argv);
}
