#include "lib/service.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/csrf.h"
#include "lib/health.h"
#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/util.h"

#define ARENA_CAP (64u * 1024 * 1024)

/* ---- /healthz ---- */

/*
 * A child probes at most once a second and answers from that result in
 * between: an uptime monitor polls once a minute, and a flood of public
 * /healthz requests must not become a flood of database round trips.
 */
#define HEALTH_CACHE_US 1000000

int
ob_health_handler(struct ob_req *r)
{
	static struct ob_health h;
	static uint64_t probed_at;
	struct ob_app *app = r->app;
	struct ob_buf out = OB_BUF_INIT(512);
	struct ob_health prev = h;
	uint64_t now = ob_now_us();
	int rc;

	if (probed_at == 0 || now - probed_at >= HEALTH_CACHE_US) {
		ob_health_probe(app->db, app->settings.data_dir,
		    "/proc/meminfo", &app->settings.health, &h);
		ob_health_log_changes(
		    probed_at == 0 ? NULL : &prev, &h, &app->settings.health);
		probed_at = now;
	}
	if ((rc = ob_health_json(&h, &out)) == 0) {
		ob_req_status(r, ob_health_ok(&h) ? 200 : 503);
		ob_req_header_must(r, "Content-Type", "application/json");
		rc = ob_req_write(r, out.data, out.len);
	}
	ob_buf_release(&out);
	return rc;
}

/* ---- the request path ---- */

static struct ob_app the_app;
static struct ob_arena the_arena;

static int
authorize(struct ob_req *r)
{
	const struct ob_service *svc = the_app.svc;

	if (r->route->auth == OB_AUTH_PUBLIC)
		return 0;
	if (svc->authorize == NULL)
		return OB_EPERM;
	return svc->authorize(r);
}

/*
 * Every POST must carry the anti-forgery token of its form (lib/csrf.h)
 * before its handler runs: the session's when the request has one, else
 * the browser's.  Raw-body routes (multipart) check it themselves.
 */
static int
check_csrf(struct ob_req *r)
{
	const char *field;

	if (strcmp(r->method, "POST") != 0 ||
	    (r->route->flags & OB_ROUTE_RAW_BODY))
		return 0;
	field = ob_form_get(&r->form, OB_CSRF_FIELD);
	if (r->csrf_session != NULL)
		return ob_csrf_check_session(r->csrf_session, field) == 0
		    ? 0
		    : OB_ECSRF;
	return ob_csrf_anon_check(r, field) == 0 ? 0 : OB_ECSRF;
}

static int
route_and_run(struct ob_req *r, struct ob_buf *allow)
{
	const struct ob_service *svc = the_app.svc;
	int rc;

	if ((rc = ob_router_match(svc->routes, svc->nroutes, r, allow)) != 0)
		return rc;
	if ((rc = authorize(r)) != 0)
		return rc;
	if ((rc = ob_router_fields(r)) != 0)
		return rc;
	if ((rc = check_csrf(r)) != 0)
		return rc;
	return r->route->handler(r);
}

static void
serve(const struct ob_req_io *io, void *arg)
{
	struct ob_req r;
	struct ob_buf allow = OB_BUF_INIT(128);
	uint64_t t0 = ob_now_us();
	int rc;

	(void)arg;
	ob_arena_reset(&the_arena);
	rc = ob_req_begin(&r, &the_arena, io, the_app.settings.max_body_bytes);
	r.app = &the_app;
	ob_page_pick_language(&r);
	if (rc == 0)
		rc = route_and_run(&r, &allow);
	if (rc == OB_EDONE)
		rc = 0;
	if (rc != 0) {
		int status = ob_http_status_for(rc);

		if (status >= 500)
			ob_log_error(
			    r.rid, "request failed: %s", ob_strerror(rc));
		if (r.headers_sent) {
			/* Too late for an error page; the log says why. */
		} else {
			ob_page_error(&r, status, rc);
			if (status == 405)
				ob_req_header_must(
				    &r, "Allow", ob_buf_cstr(&allow));
			if (status == 429) {
				char secs[16];

				snprintf(secs, sizeof(secs), "%u",
				    r.retry_after_s ? r.retry_after_s : 1);
				ob_req_header_must(&r, "Retry-After", secs);
			}
		}
	}
	if (!r.headers_sent)
		ob_req_header_must(&r, "Cache-Control", "no-store");
	if (ob_req_finish(&r) != 0)
		ob_log_warn(r.rid, "response not delivered");
	ob_log_request(r.rid, r.method, r.route ? r.route->pattern : "-",
	    r.status, ob_now_us() - t0);
	ob_buf_release(&allow);
	ob_req_end(&r);
}

static int
child_init(void *arg)
{
	(void)arg;
	ob_arena_init(&the_arena, ARENA_CAP);
	the_app.db = ob_db_new(
	    &the_app.settings.db, the_app.svc->stmts, the_app.svc->nstmts);
	for (size_t i = 0;
	     the_app.svc->more_stmts && the_app.svc->more_stmts[i]; i++)
		ob_db_add_stmts(the_app.db, the_app.svc->more_stmts[i],
		    the_app.svc->more_nstmts[i]);
	ob_db_add_stmts(the_app.db, ob_health_stmts, ob_health_nstmts);
	/* A database that is down now is retried on the first request. */
	if (ob_db_connect(the_app.db) != 0)
		ob_log_warn(NULL, "db: not reachable at start, will retry");
	return 0;
}

static void
child_fini(void *arg)
{
	(void)arg;
	ob_db_free(the_app.db);
	the_app.db = NULL;
	ob_arena_release(&the_arena);
}

/* ---- main ---- */

/*
 * The statement tables fit in a connection (OB_DB_MAX_TABLES): checked
 * in the master, because a child that finds out aborts at start, and
 * the master would only keep starting new ones.
 */
static int
check_stmt_tables(const struct ob_service *svc, struct ob_buf *err)
{
	size_t n = 2; /* the service's and /healthz's */

	for (size_t i = 0; svc->more_stmts && svc->more_stmts[i]; i++)
		n++;
	if (n > OB_DB_MAX_TABLES) {
		ob_buf_seterr(err, "%zu statement tables, at most %d", n,
		    OB_DB_MAX_TABLES);
		return OB_ECONFIG;
	}
	return 0;
}

static void
usage(FILE *f, const char *name)
{
	fprintf(f,
	    "usage: ombud-%s [--config FILE] [--socket PATH|HOST:PORT] "
	    "[--processes N]\n"
	    "  --config FILE     configuration (default: $OMBUD_CONFIG)\n"
	    "  --socket S        listen on a unix socket path or host:port\n"
	    "                    (default: [%s] socket, else fd 0)\n"
	    "  --processes N     children to fork (default: [%s] processes)\n"
	    "  --check           load and check everything, then exit\n",
	    name, name, name);
}

int
ob_service_main(const struct ob_service *svc, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "processes", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_opt = NULL, *socket_opt = NULL, *procs_opt = NULL;
	const char *path = NULL, *csrf_key = NULL;
	struct ob_buf err = OB_BUF_INIT(1024);
	struct ob_pool_opts po;
	struct ob_pool_app pa = { child_init, serve, child_fini, NULL };
	bool check_only = false;
	char appname[64];
	int c, rc = 1;

	ob_log_init(svc->name);
	while ((c = getopt_long(argc, argv, "c:s:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_opt = optarg;
			break;
		case 's':
			socket_opt = optarg;
			break;
		case 'p':
			procs_opt = optarg;
			break;
		case 'C':
			check_only = true;
			break;
		case 'h':
			usage(stdout, svc->name);
			return 0;
		default:
			usage(stderr, svc->name);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr, svc->name);
		return 2;
	}

	the_app.svc = svc;
	if (ob_crypto_init() != 0) {
		ob_buf_errf(&err, "libsodium failed to initialise");
		goto fail;
	}
	if (ob_config_path(config_opt, &path, &err) != 0 ||
	    ob_config_load(path, &the_app.cfg, &err) != 0 ||
	    ob_settings_load(the_app.cfg, svc->name, svc->default_max_body,
		svc->config_keys, &the_app.settings, &err) != 0 ||
	    ob_config_str(the_app.cfg, "csrf", "key_file", &csrf_key, &err) !=
		0 ||
	    ob_csrf_anon_load(csrf_key, &err) != 0)
		goto fail;
	if (procs_opt != NULL &&
	    ob_parse_u64(procs_opt, 1, 256, &the_app.settings.processes) != 0) {
		ob_buf_errf(&err, "--processes: a number from 1 to 256");
		goto fail;
	}
	if (socket_opt != NULL)
		the_app.settings.socket = socket_opt;
	snprintf(appname, sizeof(appname), "ombud-%s", svc->name);
	the_app.settings.db.application_name = appname;

	if (ob_router_check(svc->routes, svc->nroutes, &err) != 0 ||
	    check_stmt_tables(svc, &err) != 0 ||
	    ob_tmpl_load(the_app.settings.templates_dir, &the_app.tmpl, &err) !=
		0 ||
	    ob_i18n_load(
		the_app.settings.locale_dir, ob_page_languages, &err) != 0 ||
	    (svc->setup != NULL && svc->setup(&the_app, &err) != 0))
		goto fail;
	if (check_only) {
		printf(
		    "ombud-%s: configuration %s is valid\n", svc->name, path);
		rc = 0;
		goto out;
	}

	memset(&po, 0, sizeof(po));
	po.socket = the_app.settings.socket[0] ? the_app.settings.socket : NULL;
	po.processes = (unsigned)the_app.settings.processes;
	po.socket_mode = the_app.settings.socket_mode;
	po.drain_timeout_s = 30;
	po.request_timeout_s = 60;
	rc = ob_pool_run(&po, &pa) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "ombud-%s: %s\n", svc->name, ob_buf_cstr(&err));
	rc = 1;
out:
	ob_tmpl_free(the_app.tmpl);
	ob_i18n_free();
	ob_config_free(the_app.cfg);
	ob_buf_release(&err);
	return rc;
}
