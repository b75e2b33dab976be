/*
 * ombud-cases - the handlers' workplace (issue 6): the case list with
 * its deadlines (list.c), a case decrypted (view.c), what handlers do
 * to it (actions.c), statistics (stats.c), and the admin pages
 * (admin_tenants.c, admin_users.c).
 */
#include <string.h>

#include "lib/accounts.h"
#include "lib/audit.h"
#include "lib/auth.h"
#include "lib/filestore.h"
#include "lib/i18n.h"
#include "lib/item.h"
#include "lib/questionnaire.h"
#include "lib/service.h"
#include "lib/session.h"
#include "lib/util.h"
#include "services/cases/cases.h"

static const struct {
	const char *key, *label;
} statuses[] = {
	{ "new", N_("New") },
	{ "acknowledged", N_("Acknowledged") },
	{ "investigating", N_("Investigating") },
	{ "closed", N_("Closed") },
};

const char *const cases_outcomes[] = { "action-taken", "unfounded", "referred",
	"insufficient-information", "withdrawn", NULL };

static const char *const outcome_labels[] = {
	N_("Action taken"),
	N_("Unfounded"),
	N_("Referred to an authority"),
	N_("Not enough information"),
	N_("Withdrawn"),
};

const char *
cases_status_label(const char *status)
{
	for (size_t i = 0; i < OB_NELEM(statuses); i++)
		if (strcmp(statuses[i].key, status) == 0)
			return _(statuses[i].label);
	return status;
}

const char *
cases_outcome_label(const char *outcome)
{
	for (size_t i = 0; cases_outcomes[i] != NULL; i++)
		if (strcmp(cases_outcomes[i], outcome) == 0)
			return _(outcome_labels[i]);
	return outcome;
}

bool
cases_path_id(struct ob_req *r, char out[24])
{
	const char *id = ob_req_path_param(r, "id");
	uint64_t v;

	if (id == NULL || ob_parse_u64(id, 1, INT64_MAX, &v) != 0)
		return false;
	snprintf(out, 24, "%llu", (unsigned long long)v);
	return true;
}

static const struct ob_field_spec list_fields[] = {
	{ "tenant", 64 },
	{ "status", 16 },
	{ "overdue", 1 },
	{ "sort", 16 },
	{ "page", 8 },
	{ NULL, 0 },
};

/* Checked in stats.c: a slug of the user's, dates as YYYY-MM-DD. */
static const struct ob_field_spec stats_fields[] = {
	{ "tenant", 64 },
	{ "from", 10 },
	{ "to", 10 },
	{ NULL, 0 },
};

static const struct ob_field_spec status_fields[] = {
	{ "status", 16 },
	{ "outcome", 32 },
	{ NULL, 0 },
};

static const struct ob_field_spec assign_fields[] = {
	{ "assignee", 24 },
	{ NULL, 0 },
};

static const struct ob_field_spec category_fields[] = {
	{ "category", 64 },
	{ NULL, 0 },
};

static const struct ob_field_spec text_fields[] = {
	{ "body", 4 * 20000 + 1024 },
	{ NULL, 0 },
};

static const struct ob_field_spec tenant_add_fields[] = {
	{ "slug", 63 },
	{ "name", 800 },
	{ "retention_days", 8 },
	{ NULL, 0 },
};

static const struct ob_field_spec tenant_fields[] = {
	{ "name", 800 },
	{ "retention_days", 8 },
	{ "external_channels", 16000 },
	{ "categories_en", 32000 },
	{ "categories_da", 32000 },
	{ "unknown_files", 8 },
	{ "flatten_pdf", 1 },
	{ "reporter_keeps_metadata", 1 },
	{ NULL, 0 },
};

static const struct ob_field_spec user_add_fields[] = {
	{ "email", 254 },
	{ "role", 16 },
	{ "phone", 24 },
	{ "password", 1024 },
	{ NULL, 0 },
};

static const struct ob_field_spec user_act_fields[] = {
	{ "tenant", 64 },
	{ "recovery", 256 },
	{ NULL, 0 },
};

static const struct ob_field_spec audit_fields[] = {
	{ "actor", 254 },
	{ "action", 64 },
	{ "tenant", 64 },
	{ "before", 24 },
	{ NULL, 0 },
};

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/healthz", ob_health_handler, PUBLIC, NULL),
	OB_ROUTE(GET, "/cases/", h_list, HANDLER, list_fields),
	/* Before /cases/{id}, which would match them too. */
	OB_ROUTE(GET, "/cases/stats", h_stats, HANDLER, stats_fields),
	OB_ROUTE(GET, "/cases/stats.csv", h_stats_csv, HANDLER, stats_fields),
	OB_ROUTE(GET, "/cases/{id}", h_view, HANDLER, NULL),
	OB_ROUTE(POST, "/cases/{id}/acknowledge", h_acknowledge, HANDLER, NULL),
	OB_ROUTE(POST, "/cases/{id}/status", h_status, HANDLER, status_fields),
	OB_ROUTE(POST, "/cases/{id}/assign", h_assign, HANDLER, assign_fields),
	OB_ROUTE(
	    POST, "/cases/{id}/category", h_category, HANDLER, category_fields),
	OB_ROUTE(POST, "/cases/{id}/reply", h_reply, HANDLER, text_fields),
	OB_ROUTE(POST, "/cases/{id}/notes", h_note, HANDLER, text_fields),
	OB_ROUTE(
	    GET, "/cases/{id}/files/{fid}", h_file_download, HANDLER, NULL),
	OB_ROUTE(GET, "/admin/", h_admin_home, ADMIN, NULL),
	OB_ROUTE(GET, "/admin/tenants", h_admin_tenants, ADMIN, NULL),
	OB_ROUTE(POST, "/admin/tenants", h_admin_tenant_add, ADMIN,
	    tenant_add_fields),
	OB_ROUTE(GET, "/admin/tenants/{slug}", h_admin_tenant, ADMIN, NULL),
	OB_ROUTE(POST, "/admin/tenants/{slug}", h_admin_tenant_save, ADMIN,
	    tenant_fields),
	OB_ROUTE(GET, "/admin/users", h_admin_users, ADMIN, NULL),
	OB_ROUTE(
	    POST, "/admin/users", h_admin_user_add, ADMIN, user_add_fields),
	OB_ROUTE(GET, "/admin/users/{id}", h_admin_user, ADMIN, NULL),
	OB_ROUTE(POST, "/admin/users/{id}/{what}", h_admin_user_act, ADMIN,
	    user_act_fields),
	OB_ROUTE(GET, "/admin/audit", h_admin_audit, ADMIN, audit_fields),
};

static struct cases_state state;

static int
setup(struct ob_app *app, struct ob_buf *err)
{
	const char *dict = NULL;
	int rc;

	if ((rc = ob_pwparams_load(app->cfg, &state.params, err)) != 0 ||
	    (rc = ob_config_str_opt(app->cfg, "paths", "password_dictionary",
		 OB_PW_DICT_DEFAULT, &dict, err)) != 0 ||
	    (rc = ob_pwdict_load(dict, &state.dict, err)) != 0)
		return rc;
	app->state = &state;
	return 0;
}

static const struct ob_stmt *const more[] = {
	ob_auth_stmts,
	ob_session_stmts,
	ob_audit_stmts,
	ob_item_stmts,
	ob_questionnaire_stmts,
	view_stmts,
	action_stmts,
	ob_accounts_stmts,
	admin_tenant_stmts,
	admin_user_stmts,
	stats_stmts,
	ob_filestore_stmts,
	file_stmts,
	NULL,
};
static size_t nmore[13];

static struct ob_service cases = {
	.name = "cases",
	.routes = routes,
	.nroutes = OB_NELEM(routes),
	.authorize = ob_auth_authorize,
	.setup = setup,
	.more_stmts = more,
	.more_nstmts = nmore,
	.default_max_body = 1024 * 1024,
};

int
main(int argc, char **argv)
{
	cases.stmts = list_stmts;
	cases.nstmts = list_nstmts;
	nmore[0] = ob_auth_nstmts;
	nmore[1] = ob_session_nstmts;
	nmore[2] = ob_audit_nstmts;
	nmore[3] = ob_item_nstmts;
	nmore[4] = ob_questionnaire_nstmts;
	nmore[5] = view_nstmts;
	nmore[6] = action_nstmts;
	nmore[7] = ob_accounts_nstmts;
	nmore[8] = admin_tenant_nstmts;
	nmore[9] = admin_user_nstmts;
	nmore[10] = stats_nstmts;
	nmore[11] = ob_filestore_nstmts;
	nmore[12] = file_nstmts;
	return ob_service_main(&cases, argc, argv);
}
