/*
 * The reporter's view of their case, GET /t/<slug>/case, and what they
 * can do there: write a message (POST /t/<slug>/case/messages) and sign
 * out (POST /t/<slug>/case/logout).  Attaching files posts to
 * /t/<slug>/case/files, which the scrub pool serves.
 *
 * Everything is read in one transaction that names the reporter session
 * to row-level security (ob_reporter_tx): the intake role sees this
 * case and its items, no other.  The case key comes from the session
 * (unwrapped with the cookie's token) and opens each item.  Dates are
 * days: a reporter's own actions are never shown to the minute.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/form.h"
#include "lib/filestore.h"
#include "lib/i18n.h"
#include "lib/item.h"
#include "lib/log.h"
#include "lib/page.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/intake/intake.h"

#define ITEMS_MAX 1000 /* items shown on the page */

const struct ob_stmt case_stmts[] = {
	{ "cs_case",
	    "SELECT status, category, opened_on, closed_on, public_key "
	    "FROM cases WHERE tenant_id = $1 AND id = $2",
	    2 },
	{ "cs_files",
	    "SELECT id, created_on FROM files WHERE tenant_id = $1 AND "
	    "case_id = $2 AND side = 'reporter' AND complete ORDER BY id",
	    2 },
	{ "cs_items",
	    "SELECT id, kind, side, key_sealed, ciphertext, created_on "
	    "FROM items WHERE tenant_id = $1 AND case_id = $2 "
	    "AND kind IN ('report', 'message') ORDER BY id LIMIT 1000",
	    2 },
};
const size_t case_stmts_n = OB_NELEM(case_stmts);

static const struct {
	const char *status, *label;
} statuses[] = {
	{ "new", N_("Received, waiting to be acknowledged") },
	{ "acknowledged", N_("Acknowledged") },
	{ "investigating", N_("Being looked into") },
	{ "closed", N_("Closed") },
};

/* The labels of the stored answers, in the order shown. */
static const struct {
	const char *name, *label;
} answer_labels[] = {
	{ "description", N_("What happened") },
	{ "when", N_("When") },
	{ "where", N_("Where") },
	{ "who", N_("Who was involved") },
	{ "name", N_("Your name") },
	{ "contact", N_("How to contact you") },
};

struct view {
	struct ob_req *r;
	struct ob_tctx *ctx;
	const char *draft; /* a message to keep in the form, or NULL */
	const char *error;
};

/* Decrypts one item into an arena string; NULL if it does not open. */
static char *
open_item(
    struct ob_req *r, const struct ob_keypair *case_kp, PGresult *res, int row)
{
	const struct ob_reporter *s = ob_reporter_current(r);
	char *text = NULL;

	if (ob_item_open(r->arena, case_kp, s->tenant.id, s->case_id,
		PQgetvalue(res, row, 0), PQgetvalue(res, row, 1),
		PQgetvalue(res, row, 3), PQgetvalue(res, row, 4), &text) != 0)
		ob_log_error(
		    r->rid, "intake: an item of the case does not open");
	return text;
}

/* The report's answers (urlencoded) as labelled paragraphs. */
static void
show_report(struct ob_req *r, struct ob_tctx *ctx, const char *text)
{
	struct ob_form f = { NULL, 0 };

	ob_tctx_set_list(ctx, "answers");
	if (text == NULL ||
	    ob_form_parse(r->arena, text, strlen(text), NULL, &f) != 0)
		return;
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

/* The reporter's own uploads, with what was removed from each. */
static int
own_files(struct ob_req *r, struct ob_db *db, struct ob_tctx *ctx,
    const struct ob_keypair *kp)
{
	const struct ob_reporter *s = ob_reporter_current(r);
	const char *params[2] = { s->tenant.id, s->case_id };
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "cs_files", 2, params, &res)) != 0)
		return rc;
	ob_tctx_set_list(ctx, "files");
	for (int i = 0; i < PQntuples(res); i++) {
		struct ob_tctx *f = ob_tctx_add_item(ctx, "files");
		struct ob_file_meta m;

		if (ob_file_meta(db, r->arena, kp, s->tenant.id, s->case_id,
			PQgetvalue(res, i, 0), &m) != 0) {
			ob_log_error(r->rid, "intake: a file does not open");
			m.name = _("(this file cannot be shown)");
			m.report = "";
		}
		ob_tctx_set(f, "name", m.name);
		ob_tctx_set(f, "date", PQgetvalue(res, i, 1));
		ob_tctx_split(f, "report", m.report, "\n");
	}
	ob_tctx_set_bool(ctx, "has_files", PQntuples(res) > 0);
	PQclear(res);
	return 0;
}

static int
view_tx(struct ob_db *db, void *arg)
{
	struct view *v = arg;
	struct ob_req *r = v->r;
	const struct ob_reporter *s = ob_reporter_current(r);
	const char *params[2] = { s->tenant.id, s->case_id };
	const struct ob_category *cats = NULL;
	unsigned char pk[OB_KEY_BYTES];
	struct ob_keypair *kp = NULL;
	PGresult *c = NULL, *items = NULL;
	size_t ncats = 0, nmessages = 0;
	const char *status;
	int rc;

	if ((rc = ob_db_exec(db, "cs_case", 2, params, &c)) != 0 ||
	    (rc = ob_db_exec(db, "cs_items", 2, params, &items)) != 0)
		goto out;
	if (PQntuples(c) != 1 ||
	    ob_db_unhex(PQgetvalue(c, 0, 4), pk, sizeof(pk)) != 0) {
		rc = OB_ENOENT;
		goto out;
	}
	if ((rc = ob_reporter_keypair(s, pk, &kp)) != 0 ||
	    (rc = intake_categories(r, &s->tenant, &cats, &ncats)) != 0)
		goto out;
	status = PQgetvalue(c, 0, 0);
	ob_tctx_set(v->ctx, "status", status);
	for (size_t i = 0; i < OB_NELEM(statuses); i++)
		if (strcmp(statuses[i].status, status) == 0)
			ob_tctx_set(v->ctx, "status", _(statuses[i].label));
	ob_tctx_set(v->ctx, "category",
	    ob_category_label(cats, ncats, PQgetvalue(c, 0, 1)));
	ob_tctx_set(v->ctx, "opened_on", PQgetvalue(c, 0, 2));
	ob_tctx_set(v->ctx, "closed_on", PQgetvalue(c, 0, 3));
	ob_tctx_set_list(v->ctx, "answers");
	ob_tctx_set_list(v->ctx, "messages");
	for (int i = 0; i < PQntuples(items); i++) {
		char *text = open_item(r, kp, items, i);
		struct ob_tctx *m;

		if (strcmp(PQgetvalue(items, i, 1), "report") == 0) {
			show_report(r, v->ctx, text);
			continue;
		}
		nmessages++;
		m = ob_tctx_add_item(v->ctx, "messages");
		ob_tctx_set_bool(m, "mine",
		    strcmp(PQgetvalue(items, i, 2), "reporter") == 0);
		ob_tctx_set(m, "date", PQgetvalue(items, i, 5));
		ob_tctx_set(m, "text",
		    text ? text : _("This message cannot be shown."));
	}
	ob_tctx_set_bool(v->ctx, "has_messages", nmessages > 0);
	rc = own_files(r, db, v->ctx, kp);
out:
	ob_keypair_free(kp);
	PQclear(c);
	PQclear(items);
	return rc;
}

static int
view(struct ob_req *r, int status, const char *draft, const char *error)
{
	const struct ob_reporter *s = ob_reporter_current(r);
	struct view v = { r,
		intake_ctx(r, &s->tenant, _("Your report"), error != NULL),
		draft, error };
	int rc;

	if ((rc = ob_reporter_tx(r, view_tx, &v)) != 0)
		return rc;
	ob_tctx_set(v.ctx, "draft", draft ? draft : "");
	ob_tctx_set(v.ctx, "error", error ? error : "");
	ob_tctx_set_bool(
	    v.ctx, "may_keep_metadata", s->tenant.reporter_keeps_metadata);
	return ob_page_render(r, status, "case", v.ctx);
}

int
h_case(struct ob_req *r)
{
	return view(r, 200, NULL, NULL);
}

/* ---- POST /t/<slug>/case/messages ---- */

struct message {
	struct ob_req *r;
	const char *body;
};

static int
message_tx(struct ob_db *db, void *arg)
{
	struct message *m = arg;
	struct ob_req *r = m->r;
	struct intake_state *st = ((struct ob_app *)r->app)->state;
	const struct ob_reporter *s = ob_reporter_current(r);
	const char *params[2] = { s->tenant.id, s->case_id };
	unsigned char pk[OB_KEY_BYTES];
	struct ob_item_new item = { s->tenant.id, s->case_id, pk, "message",
		"reporter", NULL, m->body, strlen(m->body) };
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "cs_case", 2, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1 ||
	    ob_db_unhex(PQgetvalue(res, 0, 4), pk, sizeof(pk)) != 0) {
		rc = OB_ENOENT;
		goto out;
	}
	if ((rc = ob_item_add(db, &item, NULL)) != 0)
		goto out;
	rc =
	    intake_notify(db, st, s->tenant.id, s->case_id, "reporter-message");
out:
	PQclear(res);
	return rc;
}

int
h_case_message(struct ob_req *r)
{
	const struct ob_reporter *s = ob_reporter_current(r);
	struct message m = { r, ob_form_get(&r->form, "body") };
	char path[128];
	int rc;

	if (!intake_has_text(m.body))
		return view(r, 400, m.body, _("Write a message first."));
	if (intake_chars(m.body) > INTAKE_MESSAGE_MAX)
		return view(r, 400, m.body,
		    _("The message is too long: at most 20,000 characters."));
	if ((rc = ob_reporter_tx(r, message_tx, &m)) != 0)
		return rc;
	snprintf(path, sizeof(path), "/t/%s/case", s->tenant.slug);
	return ob_page_redirect(r, path);
}

/* ---- POST /t/<slug>/case/logout ---- */

int
h_case_logout(struct ob_req *r)
{
	struct ob_app *app = r->app;
	const struct ob_reporter *s = ob_reporter_current(r);
	struct ob_buf c = OB_BUF_INIT(256);
	char path[128];
	int rc;

	if ((rc = ob_reporter_end(app->db, s)) != 0 ||
	    (rc = ob_reporter_cookie_clear(&c)) != 0 ||
	    (rc = ob_req_header(r, "Set-Cookie", ob_buf_cstr(&c))) != 0)
		goto out;
	snprintf(path, sizeof(path), "/t/%s/", s->tenant.slug);
	rc = ob_page_redirect(r, path);
out:
	ob_buf_release(&c);
	return rc;
}
