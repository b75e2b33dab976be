/*
 * ombud-intake - the reporters' side: the site root, each tenant's
 * reporting page, the report form and its receipt, the follow-up with
 * the receipt and the reporter's view of their case (issue 5).  nginx
 * also routes /healthz and anything unknown here, so unknown paths get
 * this pool's 404 page.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/filestore.h"
#include "lib/i18n.h"
#include "lib/item.h"
#include "lib/reporter.h"
#include "lib/service.h"
#include "services/intake/intake.h"

/*
 * [intake] receipt_per_second and receipt_burst: follow-up attempts
 * across the pool; argon_at_once: Argon2id runs (64 MiB each) at the
 * same time, for submissions and follow-ups together.
 */
static const char *const config_keys[] = { "receipt_per_second",
	"receipt_burst", "argon_at_once", NULL };

static const struct ob_field_spec report_fields[] = {
	{ "category", 64 },
	/* Generous byte caps: the character limits (intake.h) are checked
	 * with a message beside the field. */
	{ "description", 4 * INTAKE_DESCRIPTION_MAX + 1024 },
	{ "when", 4 * INTAKE_DETAIL_MAX + 256 },
	{ "where", 4 * INTAKE_DETAIL_MAX + 256 },
	{ "who", 4 * INTAKE_DETAIL_MAX + 256 },
	{ "name", 4 * INTAKE_IDENTITY_MAX + 64 },
	{ "contact", 4 * INTAKE_IDENTITY_MAX + 64 },
	{ NULL, 0 },
};

static const struct ob_field_spec followup_fields[] = {
	{ "receipt", 128 },
	{ NULL, 0 },
};

static const struct ob_field_spec message_fields[] = {
	{ "body", 4 * INTAKE_MESSAGE_MAX + 1024 },
	{ NULL, 0 },
};

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
	OB_ROUTE(GET, "/t/{slug}/", h_tenant, PUBLIC, NULL),
	OB_ROUTE(GET, "/t/{slug}/report", h_report_form, PUBLIC, NULL),
	OB_ROUTE(POST, "/t/{slug}/report", h_report, PUBLIC, report_fields),
	OB_ROUTE(GET, "/t/{slug}/followup", h_followup_form, PUBLIC, NULL),
	OB_ROUTE(
	    POST, "/t/{slug}/followup", h_followup, PUBLIC, followup_fields),
	OB_ROUTE(GET, "/t/{slug}/case", h_case, REPORTER, NULL),
	OB_ROUTE(POST, "/t/{slug}/case/messages", h_case_message, REPORTER,
	    message_fields),
	OB_ROUTE(POST, "/t/{slug}/case/logout", h_case_logout, REPORTER, NULL),
};

static struct intake_state state;

static int
setup(struct ob_app *app, struct ob_buf *err)
{
	struct ob_keypair *kp;
	struct ob_receipt decoy;
	uint64_t rate, burst, argon;
	const char *site = NULL;
	struct ob_ad ad;
	int rc;

	if ((rc = ob_config_uint_opt(app->cfg, "intake", "receipt_per_second",
		 1, 10000, 10, &rate, err)) != 0 ||
	    (rc = ob_config_uint_opt(app->cfg, "intake", "receipt_burst", 1,
		 10000, 20, &burst, err)) != 0 ||
	    (rc = ob_config_uint_opt(app->cfg, "intake", "argon_at_once", 1,
		 256, 4, &argon, err)) != 0 ||
	    (rc = ob_config_str_opt(app->cfg, "site", "url",
		 "https://localhost:8443", &site, err)) != 0)
		return rc;
	if (snprintf(state.handler_link, sizeof(state.handler_link),
		"%s/cases/", site) >= (int)sizeof(state.handler_link) ||
	    strncmp(site, "https://", 8) != 0) {
		ob_buf_seterr(err,
		    "config %s: [site] url: an https:// address of at most "
		    "200 characters",
		    ob_config_file(app->cfg));
		return OB_ECONFIG;
	}
	if ((rc = ob_pepper_load_config(app->cfg, &state.pepper, err)) != 0)
		return rc;
	state.throttle = ob_throttle_create(
	    (unsigned)rate, (unsigned)burst, (unsigned)argon);
	if (state.throttle == NULL) {
		ob_buf_seterr(err, "cannot make the receipt throttle");
		return OB_EINTERNAL;
	}
	/* A case of no one, at the cost a real one has. */
	kp = ob_keypair_new();
	ob_receipt_new(&decoy);
	ob_ad_case(&ad, "0", "0");
	rc = ob_receipt_cred_set(
	    &decoy, kp, &ob_pwparams_default, &ad, &state.decoy);
	memcpy(state.decoy_pk, ob_keypair_pk(kp), OB_KEY_BYTES);
	ob_receipt_wipe(&decoy);
	ob_keypair_free(kp);
	if (rc != 0) {
		ob_buf_seterr(err, "cannot make the decoy receipt");
		return rc;
	}
	app->state = &state;
	return 0;
}

static const struct ob_stmt *const more[] = { ob_reporter_stmts, ob_item_stmts,
	report_stmts, followup_stmts, case_stmts, ob_filestore_stmts, NULL };
static size_t nmore[6];

static struct ob_service intake = {
	.name = "intake",
	.routes = routes,
	.nroutes = OB_NELEM(routes),
	.stmts = ob_questionnaire_stmts,
	.authorize = ob_reporter_authorize,
	.setup = setup,
	.config_keys = config_keys,
	.more_stmts = more,
	.more_nstmts = nmore,
	.default_max_body = 1024 * 1024,
};

int
main(int argc, char **argv)
{
	intake.nstmts = ob_questionnaire_nstmts;
	nmore[0] = ob_reporter_nstmts;
	nmore[1] = ob_item_nstmts;
	nmore[2] = report_nstmts;
	nmore[3] = followup_nstmts;
	nmore[4] = case_stmts_n;
	nmore[5] = ob_filestore_nstmts;
	return ob_service_main(&intake, argc, argv);
}
