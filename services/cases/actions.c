/*
 * What handlers do to a case, each a POST with its form token (checked
 * centrally, lib/service.c) and each in one transaction with the case
 * row locked: the change, a case event per changed field (who, when,
 * field, old, new: the case's history) and an audit row.
 *
 *   acknowledge  new -> acknowledged, today's date (the 7-day duty)
 *   status       acknowledged -> investigating -> closed (with an
 *                outcome; closing dates the retention and, if none
 *                was given, the feedback)
 *   assign       to a member of the tenant, or nobody
 *   category     one of the tenant's categories
 *   reply        a message the reporter reads on /t/<slug>/case; the
 *                first after the acknowledgement is the feedback (the
 *                3-month duty)
 *   note         internal, never shown to the reporter
 *
 * The reporter's own submission is never changed.  A refused change
 * (a wrong transition, an unknown value) shows the case again with the
 * reason and changes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/auth.h"
#include "lib/i18n.h"
#include "lib/item.h"
#include "lib/page.h"
#include "lib/questionnaire.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/cases/cases.h"

#define TEXT_MAX_CHARS 20000

const struct ob_stmt action_stmts[] = {
	{ "ca_lock",
	    "SELECT tenant_id, status, category, coalesce(assignee_id::text, "
	    "''), acknowledged_on IS NOT NULL, feedback_on IS NOT NULL, "
	    "public_key FROM cases WHERE id = $1 FOR UPDATE",
	    1 },
	{ "ca_event",
	    "INSERT INTO case_events (tenant_id, case_id, actor_id, field, "
	    "old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6)",
	    6 },
	{ "ca_ack",
	    "UPDATE cases SET status = 'acknowledged', acknowledged_on = "
	    "current_date WHERE tenant_id = $1 AND id = $2",
	    2 },
	{ "ca_investigate",
	    "UPDATE cases SET status = 'investigating' "
	    "WHERE tenant_id = $1 AND id = $2",
	    2 },
	{ "ca_close",
	    "UPDATE cases SET status = 'closed', closed_on = current_date, "
	    "outcome = $3, feedback_on = coalesce(feedback_on, current_date) "
	    "WHERE tenant_id = $1 AND id = $2",
	    3 },
	{ "ca_feedback",
	    "UPDATE cases SET feedback_on = current_date "
	    "WHERE tenant_id = $1 AND id = $2",
	    2 },
	{ "ca_member",
	    "SELECT u.email FROM memberships m JOIN users u ON u.id = "
	    "m.user_id WHERE m.tenant_id = $1 AND m.user_id = $2 "
	    "AND NOT u.disabled",
	    2 },
	{ "ca_email",
	    "SELECT coalesce((SELECT email FROM users WHERE id::text = $1), "
	    "'')",
	    1 },
	{ "ca_assign",
	    "UPDATE cases SET assignee_id = nullif($3, '')::bigint "
	    "WHERE tenant_id = $1 AND id = $2",
	    3 },
	{ "ca_category",
	    "UPDATE cases SET category = $3 WHERE tenant_id = $1 AND id = $2",
	    3 },
};
const size_t action_nstmts = OB_NELEM(action_stmts);

struct action {
	struct ob_req *r;
	char case_id[24];
	int (*run)(struct action *a, struct ob_db *db);
	const char *error; /* a refusal, for the page */
	/* The locked case. */
	char tenant_id[24];
	char status[16];
	char category[128];
	char assignee[24];
	bool acknowledged, feedback;
	unsigned char pk[OB_KEY_BYTES];
};

static const char *
actor(const struct action *a)
{
	return ob_auth_current(a->r)->session.user_id;
}

/* A case event for one changed field. */
static int
event(struct action *a, struct ob_db *db, const char *field, const char *old,
    const char *new)
{
	const char *params[6] = { a->tenant_id, a->case_id, actor(a), field,
		old, new };

	return ob_db_run(db, "ca_event", 6, params);
}

static int
audit(struct action *a, struct ob_db *db, const char *what, const char *detail)
{
	return ob_audit(db, actor(a), a->tenant_id, a->case_id, what, detail);
}

/* The status change to new, with its events. */
static int
set_status(struct action *a, struct ob_db *db, const char *stmt,
    const char *new, const char *outcome)
{
	const char *params[3] = { a->tenant_id, a->case_id, outcome };
	char detail[64];
	int rc;

	if ((rc = ob_db_run(db, stmt, outcome ? 3 : 2, params)) != 0 ||
	    (rc = event(a, db, "status", a->status, new)) != 0)
		return rc;
	if (strcmp(new, "acknowledged") == 0 &&
	    (rc = event(a, db, "acknowledged_on", NULL, "today")) != 0)
		return rc;
	if (strcmp(new, "closed") == 0 &&
	    ((rc = event(a, db, "closed_on", NULL, "today")) != 0 ||
		(rc = event(a, db, "outcome", NULL, outcome)) != 0 ||
		(!a->feedback &&
		    (rc = event(a, db, "feedback_on", NULL, "today")) != 0)))
		return rc;
	snprintf(detail, sizeof(detail), "%s -> %s", a->status, new);
	return audit(a, db, "case.status", detail);
}

static int
run_acknowledge(struct action *a, struct ob_db *db)
{
	if (strcmp(a->status, "new") != 0) {
		a->error = _("The case has been acknowledged already.");
		return 0;
	}
	return set_status(a, db, "ca_ack", "acknowledged", NULL);
}

static int
run_status(struct action *a, struct ob_db *db)
{
	const char *want = ob_form_get(&a->r->form, "status");
	const char *outcome = ob_form_get(&a->r->form, "outcome");
	bool known = false;

	if (want == NULL)
		want = "";
	if (strcmp(want, "acknowledged") == 0)
		return run_acknowledge(a, db);
	if (strcmp(want, "investigating") == 0) {
		if (strcmp(a->status, "acknowledged") != 0) {
			a->error = _("Only an acknowledged case can be "
				     "investigated: acknowledge it first.");
			return 0;
		}
		return set_status(a, db, "ca_investigate", want, NULL);
	}
	if (strcmp(want, "closed") != 0) {
		a->error = _("Choose a status.");
		return 0;
	}
	if (strcmp(a->status, "new") == 0 || strcmp(a->status, "closed") == 0) {
		a->error = strcmp(a->status, "new") == 0
		    ? _("Acknowledge the report before closing the case.")
		    : _("The case is closed already.");
		return 0;
	}
	for (size_t i = 0; outcome != NULL && cases_outcomes[i] != NULL; i++)
		known = known || strcmp(outcome, cases_outcomes[i]) == 0;
	if (!known) {
		a->error = _("Choose how the case ended.");
		return 0;
	}
	return set_status(a, db, "ca_close", "closed", outcome);
}

static int
run_assign(struct action *a, struct ob_db *db)
{
	const char *who = ob_form_get(&a->r->form, "assignee");
	const char *params[3] = { a->tenant_id, who, NULL };
	PGresult *res = NULL, *old = NULL;
	uint64_t id;
	int rc;

	if (who == NULL)
		who = "";
	if (strcmp(who, a->assignee) == 0)
		return 0;
	if (who[0] != '\0') {
		/* Only a member of the tenant can take the case. */
		if (ob_parse_u64(who, 1, INT64_MAX, &id) != 0 ||
		    (rc = ob_db_exec(db, "ca_member", 2, params, &res)) != 0 ||
		    PQntuples(res) != 1) {
			PQclear(res);
			a->error = _("Choose a handler of this organisation.");
			return 0;
		}
	}
	params[0] = a->assignee;
	if ((rc = ob_db_exec(db, "ca_email", 1, params, &old)) != 0)
		goto out;
	params[0] = a->tenant_id;
	params[1] = a->case_id;
	params[2] = who;
	if ((rc = ob_db_run(db, "ca_assign", 3, params)) != 0 ||
	    (rc = event(a, db, "assignee", PQgetvalue(old, 0, 0),
		 res ? PQgetvalue(res, 0, 0) : "")) != 0)
		goto out;
	rc = audit(a, db, "case.assign", res ? PQgetvalue(res, 0, 0) : "");
out:
	PQclear(res);
	PQclear(old);
	return rc;
}

static int
run_category(struct action *a, struct ob_db *db)
{
	const char *key = ob_form_get(&a->r->form, "category");
	const char *params[3] = { a->tenant_id, a->case_id, key };
	const struct ob_category *cats = NULL;
	size_t n = 0;
	int rc;

	if ((rc = ob_categories(db, a->r->arena, a->tenant_id, &cats, &n)) != 0)
		return rc;
	if (ob_category_find(cats, n, key) == NULL) {
		a->error = _("Choose one of the organisation's categories.");
		return 0;
	}
	if (strcmp(key, a->category) == 0)
		return 0;
	if ((rc = ob_db_run(db, "ca_category", 3, params)) != 0 ||
	    (rc = event(a, db, "category", a->category, key)) != 0)
		return rc;
	return audit(a, db, "case.category", key);
}

/* A reply (kind "message") or an internal note. */
static int
add_text(struct action *a, struct ob_db *db, const char *kind)
{
	const char *body = ob_form_get(&a->r->form, "body");
	struct ob_item_new it = { a->tenant_id, a->case_id, a->pk, kind,
		"handler", actor(a), body, body ? strlen(body) : 0 };
	const char *params[2] = { a->tenant_id, a->case_id };
	size_t chars = 0;
	int rc;

	for (const char *p = body; p != NULL && *p != '\0'; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	if (body == NULL || strspn(body, " \t\r\n") == strlen(body)) {
		a->error = _("Write something first.");
		return 0;
	}
	if (chars > TEXT_MAX_CHARS) {
		a->error = _("That is too long: at most 20,000 characters.");
		return 0;
	}
	if ((rc = ob_item_add(db, &it, NULL)) != 0)
		return rc;
	if (strcmp(kind, "message") == 0 && a->acknowledged && !a->feedback &&
	    ((rc = ob_db_run(db, "ca_feedback", 2, params)) != 0 ||
		(rc = event(a, db, "feedback_on", NULL, "today")) != 0))
		return rc;
	return audit(a, db,
	    strcmp(kind, "message") == 0 ? "case.reply" : "case.note", NULL);
}

static int
run_reply(struct action *a, struct ob_db *db)
{
	return add_text(a, db, "message");
}

static int
run_note(struct action *a, struct ob_db *db)
{
	return add_text(a, db, "note");
}

static int
action_tx(struct ob_db *db, void *arg)
{
	struct action *a = arg;
	const char *params[1] = { a->case_id };
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "ca_lock", 1, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1) {
		rc = OB_ENOENT; /* not there, or not this handler's tenant */
		goto out;
	}
	if (ob_strlcpy(a->tenant_id, PQgetvalue(res, 0, 0),
		sizeof(a->tenant_id)) != 0 ||
	    ob_strlcpy(a->status, PQgetvalue(res, 0, 1), sizeof(a->status)) !=
		0 ||
	    ob_strlcpy(
		a->category, PQgetvalue(res, 0, 2), sizeof(a->category)) != 0 ||
	    ob_strlcpy(
		a->assignee, PQgetvalue(res, 0, 3), sizeof(a->assignee)) != 0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 6), a->pk, sizeof(a->pk)) != 0) {
		rc = OB_EINTERNAL;
		goto out;
	}
	a->acknowledged = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	a->feedback = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	rc = a->run(a, db);
	/* A refusal changes nothing, not even a half-written row. */
	if (rc == 0 && a->error != NULL)
		rc = OB_ECONFLICT;
out:
	PQclear(res);
	return rc;
}

static int
act(struct ob_req *r, int (*run)(struct action *a, struct ob_db *db))
{
	struct action a;
	char path[64];
	int rc;

	memset(&a, 0, sizeof(a));
	a.r = r;
	a.run = run;
	if (!cases_path_id(r, a.case_id))
		return OB_ENOENT;
	rc = ob_auth_tx(r, action_tx, &a);
	if (rc == OB_ECONFLICT && a.error != NULL)
		return cases_render(r, a.case_id, 409, a.error);
	if (rc != 0)
		return rc;
	snprintf(path, sizeof(path), "/cases/%s", a.case_id);
	return ob_page_redirect(r, path);
}

int
h_acknowledge(struct ob_req *r)
{
	return act(r, run_acknowledge);
}

int
h_status(struct ob_req *r)
{
	return act(r, run_status);
}

int
h_assign(struct ob_req *r)
{
	return act(r, run_assign);
}

int
h_category(struct ob_req *r)
{
	return act(r, run_category);
}

int
h_reply(struct ob_req *r)
{
	return act(r, run_reply);
}

int
h_note(struct ob_req *r)
{
	return act(r, run_note);
}
