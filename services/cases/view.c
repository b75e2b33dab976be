/*
 * GET /cases/<id>: one case, decrypted through the handler's session
 * (DESIGN "Encryption at rest"): the session's key opens the tenant's
 * key (the membership), which opens the case's key, which opens each
 * item.  Shown: the facts and deadlines, the report as the reporter
 * sent it, the thread with the reporter (dates only: a reporter's
 * actions are never shown to the minute), the internal notes, the
 * forms of the actions, and the history of changes.  Viewing marks the
 * reporter's messages read and is an audit row.
 */
#include <string.h>

#include "lib/audit.h"
#include "lib/auth.h"
#include "lib/form.h"
#include "lib/i18n.h"
#include "lib/item.h"
#include "lib/log.h"
#include "lib/page.h"
#include "lib/questionnaire.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/cases/cases.h"

const struct ob_stmt view_stmts[] = {
	{ "cv_case",
	    "SELECT c.tenant_id, c.number, t.name, c.category, c.status, "
	    "c.opened_on, c.ack_due, c.acknowledged_on, c.feedback_due, "
	    "c.feedback_on, c.closed_on, c.outcome, c.assignee_id, "
	    "c.public_key, c.sk_sealed_tenant "
	    "FROM cases c JOIN tenants t ON t.id = c.tenant_id WHERE c.id = $1",
	    1 },
	{ "cv_items",
	    "SELECT i.id, i.kind, i.side, i.key_sealed, i.ciphertext, "
	    "i.created_on, u.email FROM items i "
	    "LEFT JOIN users u ON u.id = i.author_id "
	    "WHERE i.tenant_id = $1 AND i.case_id = $2 ORDER BY i.id",
	    2 },
	{ "cv_events",
	    "SELECT to_char(e.at, 'YYYY-MM-DD HH24:MI'), u.email, e.field, "
	    "e.old_value, e.new_value FROM case_events e "
	    "LEFT JOIN users u ON u.id = e.actor_id "
	    "WHERE e.tenant_id = $1 AND e.case_id = $2 ORDER BY e.id",
	    2 },
	{ "cv_members",
	    "SELECT u.id, u.email FROM memberships m "
	    "JOIN users u ON u.id = m.user_id "
	    "WHERE m.tenant_id = $1 AND NOT u.disabled ORDER BY u.email",
	    1 },
	{ "cv_read",
	    "UPDATE items SET read_on = current_date WHERE tenant_id = $1 "
	    "AND case_id = $2 AND side = 'reporter' AND read_on IS NULL",
	    2 },
};
const size_t view_nstmts = OB_NELEM(view_stmts);

static const struct {
	const char *name, *label;
} answer_labels[] = {
	{ "description", N_("What happened") },
	{ "when", N_("When") },
	{ "where", N_("Where") },
	{ "who", N_("Who was involved") },
	{ "name", N_("The reporter's name") },
	{ "contact", N_("How to contact the reporter") },
};

struct view {
	struct ob_req *r;
	const char *case_id;
	struct ob_tctx *ctx;
};

/* The report's urlencoded answers as labelled paragraphs. */
static void
show_report(struct ob_req *r, struct ob_tctx *ctx, const char *text)
{
	struct ob_form f = { NULL, 0 };

	if (ob_form_parse(r->arena, text, strlen(text), NULL, &f) != 0)
		return;
	ob_tctx_set_bool(ctx, "identified",
	    ob_form_get(&f, "name") != NULL ||
		ob_form_get(&f, "contact") != NULL);
	for (size_t i = 0; i < OB_NELEM(answer_labels); i++) {
		const char *v = ob_form_get(&f, answer_labels[i].name);
		struct ob_tctx *a;

		if (v == NULL)
			continue;
		a = ob_tctx_add_item(ctx, "answers");
		ob_tctx_set(a, "label", _(answer_labels[i].label));
		ob_tctx_set(a, "text", v);
	}
}

static void
show_items(struct view *v, const char *tenant_id, const struct ob_keypair *kp,
    PGresult *res)
{
	ob_tctx_set_list(v->ctx, "answers");
	ob_tctx_set_list(v->ctx, "messages");
	ob_tctx_set_list(v->ctx, "notes");
	ob_tctx_set_bool(v->ctx, "identified", false);
	for (int i = 0; i < PQntuples(res); i++) {
		const char *kind = PQgetvalue(res, i, 1);
		bool reporter = strcmp(PQgetvalue(res, i, 2), "reporter") == 0;
		char *text = NULL;
		struct ob_tctx *m;

		if (ob_item_open(v->r->arena, kp, tenant_id, v->case_id,
			PQgetvalue(res, i, 0), kind, PQgetvalue(res, i, 3),
			PQgetvalue(res, i, 4), &text) != 0) {
			ob_log_error(v->r->rid, "cases: an item does not open");
			text = NULL;
		}
		if (strcmp(kind, "report") == 0) {
			if (text != NULL)
				show_report(v->r, v->ctx, text);
			continue;
		}
		m = ob_tctx_add_item(
		    v->ctx, strcmp(kind, "note") == 0 ? "notes" : "messages");
		ob_tctx_set_bool(m, "reporter", reporter);
		ob_tctx_set(m, "author",
		    reporter ? _("Reporter") : PQgetvalue(res, i, 6));
		ob_tctx_set(m, "date", PQgetvalue(res, i, 5));
		ob_tctx_set(m, "text",
		    text ? text : _("This item cannot be decrypted."));
	}
}

static void
show_events(struct view *v, PGresult *res)
{
	ob_tctx_set_list(v->ctx, "events");
	for (int i = 0; i < PQntuples(res); i++) {
		struct ob_tctx *e = ob_tctx_add_item(v->ctx, "events");

		ob_tctx_set(e, "at", PQgetvalue(res, i, 0));
		ob_tctx_set(e, "who", PQgetvalue(res, i, 1));
		ob_tctx_set(e, "field", PQgetvalue(res, i, 2));
		ob_tctx_set(e, "old", PQgetvalue(res, i, 3));
		ob_tctx_set(e, "new", PQgetvalue(res, i, 4));
	}
	ob_tctx_set_bool(v->ctx, "has_events", PQntuples(res) > 0);
}

static void
show_choices(struct view *v, PGresult *c, PGresult *members,
    const struct ob_category *cats, size_t ncats)
{
	const char *status = PQgetvalue(c, 0, 4);
	const char *assignee = PQgetvalue(c, 0, 12);

	ob_tctx_set_list(v->ctx, "members");
	for (int i = 0; i < PQntuples(members); i++) {
		struct ob_tctx *m = ob_tctx_add_item(v->ctx, "members");

		ob_tctx_set(m, "id", PQgetvalue(members, i, 0));
		ob_tctx_set(m, "email", PQgetvalue(members, i, 1));
		ob_tctx_set_bool(m, "selected",
		    strcmp(assignee, PQgetvalue(members, i, 0)) == 0);
		if (strcmp(assignee, PQgetvalue(members, i, 0)) == 0)
			ob_tctx_set(
			    v->ctx, "assignee", PQgetvalue(members, i, 1));
	}
	ob_tctx_set_list(v->ctx, "categories");
	for (size_t i = 0; i < ncats; i++) {
		struct ob_tctx *k = ob_tctx_add_item(v->ctx, "categories");

		ob_tctx_set(k, "key", cats[i].key);
		ob_tctx_set(k, "label", cats[i].label);
		ob_tctx_set_bool(k, "selected",
		    strcmp(cats[i].key, PQgetvalue(c, 0, 3)) == 0);
	}
	ob_tctx_set_list(v->ctx, "outcomes");
	for (size_t i = 0; cases_outcomes[i] != NULL; i++) {
		struct ob_tctx *o = ob_tctx_add_item(v->ctx, "outcomes");

		ob_tctx_set(o, "key", cases_outcomes[i]);
		ob_tctx_set(o, "label", cases_outcome_label(cases_outcomes[i]));
	}
	ob_tctx_set_bool(v->ctx, "can_acknowledge", strcmp(status, "new") == 0);
	ob_tctx_set_bool(
	    v->ctx, "can_investigate", strcmp(status, "acknowledged") == 0);
	ob_tctx_set_bool(v->ctx, "open", strcmp(status, "closed") != 0);
}

static int
view_tx(struct ob_db *db, void *arg)
{
	struct view *v = arg;
	struct ob_auth_user *u = ob_auth_current(v->r);
	const char *params[2] = { v->case_id, NULL };
	PGresult *c = NULL, *items = NULL, *events = NULL, *members = NULL;
	PGresult *res = NULL;
	const struct ob_category *cats = NULL;
	unsigned char pk[OB_KEY_BYTES];
	struct ob_keypair *kp = NULL;
	const char *tid;
	size_t ncats = 0;
	int rc;

	if ((rc = ob_db_exec(db, "cv_case", 1, params, &c)) != 0)
		goto out;
	if (PQntuples(c) != 1) {
		rc = OB_ENOENT; /* not there, or not this handler's tenant */
		goto out;
	}
	tid = PQgetvalue(c, 0, 0);
	if (ob_db_unhex(PQgetvalue(c, 0, 13), pk, sizeof(pk)) != 0) {
		rc = OB_EINTERNAL;
		goto out;
	}
	rc = ob_auth_case_key(
	    v->r, db, tid, v->case_id, pk, PQgetvalue(c, 0, 14), &kp);
	if (rc == OB_EPERM)
		rc = OB_ENOENT;
	if (rc != 0)
		goto out;
	params[0] = tid;
	params[1] = v->case_id;
	if ((rc = ob_db_exec(db, "cv_items", 2, params, &items)) != 0 ||
	    (rc = ob_db_exec(db, "cv_events", 2, params, &events)) != 0 ||
	    (rc = ob_db_exec(db, "cv_members", 1, params, &members)) != 0 ||
	    (rc = ob_db_exec(db, "cv_read", 2, params, &res)) != 0 ||
	    (rc = ob_categories(db, v->r->arena, tid, &cats, &ncats)) != 0 ||
	    (rc = ob_audit(db, u->session.user_id, tid, v->case_id, "case.view",
		 NULL)) != 0)
		goto out;
	ob_tctx_set(v->ctx, "id", v->case_id);
	ob_tctx_set(v->ctx, "number", PQgetvalue(c, 0, 1));
	ob_tctx_set(v->ctx, "tenant", PQgetvalue(c, 0, 2));
	ob_tctx_set(v->ctx, "category",
	    ob_category_label(cats, ncats, PQgetvalue(c, 0, 3)));
	ob_tctx_set(v->ctx, "status", cases_status_label(PQgetvalue(c, 0, 4)));
	ob_tctx_set(v->ctx, "opened_on", PQgetvalue(c, 0, 5));
	ob_tctx_set(v->ctx, "ack_due", PQgetvalue(c, 0, 6));
	ob_tctx_set(v->ctx, "acknowledged_on", PQgetvalue(c, 0, 7));
	ob_tctx_set(v->ctx, "feedback_due", PQgetvalue(c, 0, 8));
	ob_tctx_set(v->ctx, "feedback_on", PQgetvalue(c, 0, 9));
	ob_tctx_set(v->ctx, "closed_on", PQgetvalue(c, 0, 10));
	ob_tctx_set(v->ctx, "outcome",
	    PQgetisnull(c, 0, 11) ? ""
				  : cases_outcome_label(PQgetvalue(c, 0, 11)));
	ob_tctx_set(v->ctx, "assignee", "");
	ob_tctx_setf(v->ctx, "title", "%s %s", _("Case"), PQgetvalue(c, 0, 1));
	if ((rc = cases_list_files(v->r, db, v->ctx, kp, tid, v->case_id)) != 0)
		goto out;
	show_items(v, tid, kp, items);
	show_events(v, events);
	show_choices(v, c, members, cats, ncats);
out:
	ob_keypair_free(kp);
	PQclear(c);
	PQclear(items);
	PQclear(events);
	PQclear(members);
	PQclear(res);
	return rc;
}

int
cases_render(struct ob_req *r, const char *id, int status, const char *error)
{
	struct view v = { r, id, ob_tctx_new(r->arena) };
	const char *body = ob_form_get(&r->form, "body");
	const char *p = r->route->pattern;
	size_t n = strlen(p);
	int rc;

	/* What was typed goes back into the form it came from, only:
	 * a note must never land in the reply box. */
	ob_tctx_set(v.ctx, "draft_reply",
	    body && n > 6 && strcmp(p + n - 6, "/reply") == 0 ? body : "");
	ob_tctx_set(v.ctx, "draft_note",
	    body && n > 6 && strcmp(p + n - 6, "/notes") == 0 ? body : "");
	ob_tctx_set(v.ctx, "error", error ? error : "");
	if ((rc = ob_auth_tx(r, view_tx, &v)) != 0)
		return rc;
	return ob_page_render(r, status, "case_view", v.ctx);
}

int
h_view(struct ob_req *r)
{
	char id[24];

	if (!cases_path_id(r, id))
		return OB_ENOENT;
	return cases_render(r, id, 200, NULL);
}
