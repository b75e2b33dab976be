#include "lib/service.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cookie.h"
#include "lib/health.h"
#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/pool.h"
#include "lib/util.h"

#define LANG_COOKIE "__Host-ombud-lang"
#define ARENA_CAP (64u * 1024 * 1024)
#define PAGE_MAX (2u * 1024 * 1024)

static const char *const languages[] = { "en", "da", NULL };

/* ---- settings ---- */

int
ob_settings_load_db(const struct ob_config *cfg, const char *role_group,
    struct ob_settings *s, struct ob_buf *err)
{
	static const char *const db_keys[] = { "host", "port", "name",
		"statement_timeout_ms", "connect_timeout_s", NULL };
	uint64_t port, timeout, connect;
	int rc;

	if ((rc = ob_config_only_keys(cfg, "database", db_keys, err)) != 0 ||
	    (rc = ob_config_str(cfg, "database", "host", &s->db.host, err)) !=
		0 ||
	    (rc = ob_config_uint_opt(
		 cfg, "database", "port", 1, 65535, 5432, &port, err)) != 0 ||
	    (rc = ob_config_str(cfg, "database", "name", &s->db.dbname, err)) !=
		0 ||
	    (rc = ob_config_uint_opt(cfg, "database", "statement_timeout_ms", 1,
		 3600000, 5000, &timeout, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, "database", "connect_timeout_s", 1,
		 300, 5, &connect, err)) != 0 ||
	    (rc = ob_config_str(cfg, role_group, "user", &s->db.user, err)) !=
		0)
		return rc;
	snprintf(s->db_port, sizeof(s->db_port), "%u", (unsigned)port);
	s->db.port = s->db_port;
	s->db.statement_timeout_ms = (unsigned)timeout;
	s->db.connect_timeout_s = (unsigned)connect;
	return 0;
}

int
ob_settings_load(const struct ob_config *cfg, const char *name,
    uint64_t default_max_body, struct ob_settings *s, struct ob_buf *err)
{
	static const char *const path_keys[] = { "templates", "locale", "sql",
		"data", NULL };
	static const char *const health_keys[] = { "disk_free_min_mb",
		"mem_available_min_mb", NULL };
	static const char *const svc_keys[] = { "user", "socket", "processes",
		"socket_mode", "max_body_bytes", NULL };
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = ob_config_only_keys(cfg, "paths", path_keys, err)) != 0 ||
	    (rc = ob_config_only_keys(cfg, "health", health_keys, err)) != 0 ||
	    (rc = ob_config_only_keys(cfg, name, svc_keys, err)) != 0 ||
	    (rc = ob_config_str(
		 cfg, "paths", "templates", &s->templates_dir, err)) != 0 ||
	    (rc = ob_config_str(cfg, "paths", "locale", &s->locale_dir, err)) !=
		0 ||
	    (rc = ob_config_str(cfg, "paths", "data", &s->data_dir, err)) !=
		0 ||
	    (rc = ob_config_uint_opt(cfg, "health", "disk_free_min_mb", 0,
		 UINT32_MAX, 256, &s->disk_free_min_mb, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, "health", "mem_available_min_mb", 0,
		 UINT32_MAX, 128, &s->mem_available_min_mb, err)) != 0 ||
	    (rc = ob_settings_load_db(cfg, name, s, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, name, "socket", "", &s->socket, err)) != 0 ||
	    (rc = ob_config_uint_opt(
		 cfg, name, "processes", 1, 256, 2, &s->processes, err)) != 0 ||
	    (rc = ob_config_mode_opt(
		 cfg, name, "socket_mode", 0660, &s->socket_mode, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, name, "max_body_bytes", 0,
		 UINT64_C(1) << 40, default_max_body, &s->max_body_bytes,
		 err)) != 0)
		return rc;
	return 0;
}

/* ---- pages ---- */

int
ob_http_status_for(int err)
{
	switch (err) {
	case OB_EINVAL:
		return 400;
	case OB_EPERM:
		return 403;
	case OB_ENOENT:
		return 404;
	case OB_EMETHOD:
		return 405;
	case OB_ETOOBIG:
		return 413;
	case OB_EUNSUPP:
		return 415;
	case OB_EAGAIN:
		return 503;
	case OB_EIO:
		return 400; /* the client's body broke off */
	default:
		return 500;
	}
}

static void
must_header(struct ob_req *r, const char *name, const char *value)
{
	if (ob_req_header(r, name, value) != 0)
		ob_log_error(r->rid, "response header %s refused", name);
}

int
ob_page_render(
    struct ob_req *r, int status, const char *name, struct ob_tctx *ctx)
{
	struct ob_app *app = r->app;
	struct ob_buf out = OB_BUF_INIT(PAGE_MAX), err = OB_BUF_INIT(512);
	int rc;

	ob_tctx_set(ctx, "lang", ob_i18n_current());
	ob_tctx_set(ctx, "return_path", ob_local_path(r->path) ? r->path : "/");
	rc = ob_tmpl_render(app->tmpl, name, ctx, ob_i18n_tr, NULL, &out, &err);
	if (rc != 0) {
		/* A missing variable or template is our bug, never a 404. */
		ob_log_error(r->rid, "render %s: %s", name, ob_buf_cstr(&err));
		rc = OB_EINTERNAL;
		goto out;
	}
	ob_req_status(r, status);
	must_header(r, "Content-Type", "text/html; charset=utf-8");
	rc = ob_req_write(r, out.data, out.len);
out:
	ob_buf_release(&out);
	ob_buf_release(&err);
	return rc;
}

struct error_text {
	int status;
	const char *title;
	const char *message;
};

static const struct error_text error_texts[] = {
	{ 400, N_("Bad request"),
	    N_("The request could not be understood. Please go back and "
	       "try again.") },
	{ 403, N_("Forbidden"), N_("You are not allowed to see this page.") },
	{ 404, N_("Page not found"),
	    N_("The page you asked for does not exist.") },
	{ 405, N_("Method not allowed"),
	    N_("This address does not accept that kind of request.") },
	{ 413, N_("Request too large"),
	    N_("What you sent is larger than this site accepts.") },
	{ 415, N_("Unsupported form"),
	    N_("The form was sent in a way this site does not accept.") },
	{ 500, N_("Internal error"),
	    N_("Something went wrong on our side. Nothing you sent has been "
	       "stored.") },
	{ 503, N_("Service unavailable"),
	    N_("The service is busy or down for maintenance. Please try "
	       "again in a few minutes.") },
};

void
ob_page_error(struct ob_req *r, int status)
{
	const struct error_text *t = &error_texts[6]; /* 500 */
	struct ob_tctx *ctx;
	char code[8];

	for (size_t i = 0; i < OB_NELEM(error_texts); i++)
		if (error_texts[i].status == status)
			t = &error_texts[i];
	ob_req_discard(r);
	ctx = ob_tctx_new(r->arena);
	snprintf(code, sizeof(code), "%d", status);
	ob_tctx_set(ctx, "status", code);
	ob_tctx_set(ctx, "title", _(t->title));
	ob_tctx_set(ctx, "message", _(t->message));
	if (ob_page_render(r, status, "error", ctx) != 0) {
		/* Last resort: plain text that needs no template. */
		ob_req_discard(r);
		ob_req_status(r, status);
		must_header(r, "Content-Type", "text/plain; charset=utf-8");
		if (ob_req_puts(r, _(t->title)) != 0 ||
		    ob_req_puts(r, "\n") != 0)
			ob_log_error(r->rid, "error page not written");
	}
}

bool
ob_local_path(const char *p)
{
	if (p == NULL || p[0] != '/' || p[1] == '/' || strlen(p) > 1024)
		return false;
	for (; *p != '\0'; p++)
		if (*p == '\\' || (unsigned char)*p <= 0x20 ||
		    (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

int
ob_page_redirect(struct ob_req *r, const char *path)
{
	int rc;

	if (!ob_local_path(path))
		return OB_EINVAL;
	ob_req_status(r, 303);
	if ((rc = ob_req_header(r, "Location", path)) != 0)
		return rc;
	return 0;
}

/* ---- shared handlers ---- */

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
	uint64_t now = ob_now_us();
	int rc;

	if (probed_at == 0 || now - probed_at >= HEALTH_CACHE_US) {
		ob_health_probe(app->db, app->settings.data_dir,
		    "/proc/meminfo", app->settings.disk_free_min_mb,
		    app->settings.mem_available_min_mb, &h);
		probed_at = now;
	}
	if ((rc = ob_health_json(&h, &out)) == 0) {
		ob_req_status(r, ob_health_ok(&h) ? 200 : 503);
		must_header(r, "Content-Type", "application/json");
		rc = ob_req_write(r, out.data, out.len);
	}
	ob_buf_release(&out);
	return rc;
}

const struct ob_field_spec ob_lang_fields[] = {
	{ "lang", 8 },
	{ "return", 1024 },
	{ NULL, 0 },
};

int
ob_lang_handler(struct ob_req *r)
{
	const char *lang = ob_form_get(&r->form, "lang");
	const char *ret = ob_form_get(&r->form, "return");
	struct ob_buf cookie = OB_BUF_INIT(256);
	int rc;

	if (lang == NULL || !ob_i18n_known(lang))
		return OB_EINVAL;
	if (ret == NULL || !ob_local_path(ret))
		ret = "/";
	rc = ob_cookie_format(&cookie, LANG_COOKIE, lang, "/", 365L * 24 * 3600,
	    OB_COOKIE_SECURE | OB_COOKIE_HTTPONLY | OB_COOKIE_SAMESITE_LAX);
	if (rc == 0)
		rc = ob_req_header(r, "Set-Cookie", ob_buf_cstr(&cookie));
	if (rc == 0)
		rc = ob_page_redirect(r, ret);
	ob_buf_release(&cookie);
	return rc;
}

/* ---- the request path ---- */

static struct ob_app the_app;
static struct ob_arena the_arena;

static void
pick_language(struct ob_req *r)
{
	const char *lang = ob_req_cookie(r, LANG_COOKIE);

	if (lang == NULL || ob_i18n_set(lang) != 0)
		ob_i18n_set_default();
}

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
	pick_language(&r);
	if (rc == 0)
		rc = route_and_run(&r, &allow);
	if (rc != 0) {
		int status = ob_http_status_for(rc);

		if (status >= 500)
			ob_log_error(
			    r.rid, "request failed: %s", ob_strerror(rc));
		if (r.headers_sent) {
			/* Too late for an error page; the log says why. */
		} else {
			ob_page_error(&r, status);
			if (status == 405)
				must_header(&r, "Allow", ob_buf_cstr(&allow));
		}
	}
	if (!r.headers_sent)
		must_header(&r, "Cache-Control", "no-store");
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
	const char *path = NULL;
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
	if (ob_config_path(config_opt, &path, &err) != 0 ||
	    ob_config_load(path, &the_app.cfg, &err) != 0 ||
	    ob_settings_load(the_app.cfg, svc->name, svc->default_max_body,
		&the_app.settings, &err) != 0)
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
	    ob_tmpl_load(the_app.settings.templates_dir, &the_app.tmpl, &err) !=
		0 ||
	    ob_i18n_load(the_app.settings.locale_dir, languages, &err) != 0)
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
