/*
 * GET /cases/: the cases of every tenant the handler may read (issue 6).
 *
 * Each row: number, tenant, category, status, opened, the
 * acknowledgement and feedback deadlines with "overdue" and "due within
 * 2 days" marked in words (not by colour alone), and unread reporter
 * messages.  Filters: tenant, status (or open), overdue; sorting by the
 * next deadline (default), by opening date or by number; 50 a page.
 *
 * The sort orders are whole statements, not text put together: one
 * prepared statement per order.  Row-level security (ob_auth_tx) keeps
 * other tenants' cases out of every count and page.
 */
#include <stdio.h>
#include <string.h>

#include "lib/auth.h"
#include "lib/i18n.h"
#include "lib/page.h"
#include "lib/questionnaire.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/cases/cases.h"

#define PAGE_SIZE 50
#define PAGE_MAX 100000

/* The next deadline of an open case: acknowledgement, then feedback. */
#define NEXT_DUE                                                               \
	"CASE WHEN c.status = 'closed' THEN NULL "                             \
	"WHEN c.acknowledged_on IS NULL THEN c.ack_due "                       \
	"WHEN c.feedback_on IS NULL THEN c.feedback_due END"

/*
 * One page of cases in the given order.  $1 tenant slug or '', $2 a
 * status, 'open' or '', $3 overdue only, $4 the offset.  Columns: id,
 * number, tenant name, tenant id, category, status, opened_on, ack_due,
 * acknowledged_on, feedback_due, feedback_on, ack_late, ack_soon,
 * fb_late, fb_soon, total, pos, unread.
 */
#define LIST(order)                                                            \
	"SELECT l.*, (SELECT count(*) FROM items i "                           \
	"WHERE i.tenant_id = l.tenant_id AND i.case_id = l.id "                \
	"AND i.side = 'reporter' AND i.kind = 'message' "                      \
	"AND i.read_on IS NULL) "                                              \
	"FROM (SELECT c.id, c.number, t.name, c.tenant_id, c.category, "       \
	"c.status, c.opened_on, c.ack_due, c.acknowledged_on, "                \
	"c.feedback_due, c.feedback_on, "                                      \
	"(c.status <> 'closed' AND c.acknowledged_on IS NULL "                 \
	"AND c.ack_due < current_date), "                                      \
	"(c.status <> 'closed' AND c.acknowledged_on IS NULL "                 \
	"AND c.ack_due BETWEEN current_date AND current_date + 2), "           \
	"(c.status <> 'closed' AND c.feedback_on IS NULL "                     \
	"AND c.feedback_due < current_date), "                                 \
	"(c.status <> 'closed' AND c.feedback_on IS NULL "                     \
	"AND c.feedback_due BETWEEN current_date AND current_date + 2), "      \
	"count(*) OVER (), row_number() OVER (ORDER BY " order ") AS pos "     \
	"FROM cases c JOIN tenants t ON t.id = c.tenant_id "                   \
	"WHERE ($1 = '' OR t.slug = $1) "                                      \
	"AND ($2 = '' OR ($2 = 'open' AND c.status <> 'closed') "              \
	"OR c.status::text = $2) "                                             \
	"AND (NOT $3::boolean OR (c.status <> 'closed' AND "                   \
	"((c.acknowledged_on IS NULL AND c.ack_due < current_date) OR "        \
	"(c.feedback_on IS NULL AND c.feedback_due < current_date)))) "        \
	"ORDER BY pos LIMIT 50 OFFSET $4) l ORDER BY l.pos"

const struct ob_stmt list_stmts[] = {
	{ "cl_due", LIST(NEXT_DUE " NULLS LAST, c.id"), 4 },
	{ "cl_opened", LIST("c.opened_on DESC, c.id DESC"), 4 },
	{ "cl_number", LIST("c.number, c.id"), 4 },
};
const size_t list_nstmts = OB_NELEM(list_stmts);

static const struct {
	const char *key, *stmt, *label;
} sorts[] = {
	{ "due", "cl_due", N_("Next deadline") },
	{ "opened", "cl_opened", N_("Newest first") },
	{ "number", "cl_number", N_("Case number") },
};

static const char *const status_filters[] = { "open", "", "new", "acknowledged",
	"investigating", "closed", NULL };

/* What the query string asked for, checked against the known values. */
struct filter {
	const char *tenant; /* a slug the user may read, or "" */
	const char *status; /* one of status_filters */
	bool overdue;
	size_t sort; /* index into sorts */
	uint64_t page; /* 1.. */
};

struct list {
	struct ob_req *r;
	struct ob_tctx *ctx;
	struct filter f;
};

static bool
known(const char *const *list, const char *v)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, v) == 0)
			return true;
	return false;
}

/* A query string that selects f at page (values are known tokens). */
static const char *
href(struct ob_req *r, const struct filter *f, uint64_t page)
{
	struct ob_buf b = OB_BUF_INIT(512);
	char *out;

	if (ob_buf_printf(&b, "/cases/?tenant=%s&status=%s&sort=%s&page=%llu%s",
		f->tenant, f->status, sorts[f->sort].key,
		(unsigned long long)page, f->overdue ? "&overdue=1" : "") != 0)
		ob_buf_reset(&b);
	out = ob_arena_strdup(r->arena, ob_buf_cstr(&b));
	ob_buf_release(&b);
	return out;
}

/* The label of a category, with a per-request memo of each tenant's. */
struct labels {
	char tenant[24];
	const struct ob_category *cats;
	size_t n;
};

static const char *
category_label(struct ob_req *r, struct ob_db *db, struct labels *memo,
    size_t nmemo, const char *tenant_id, const char *key)
{
	for (size_t i = 0; i < nmemo; i++) {
		struct labels *m = &memo[i];

		if (m->tenant[0] == '\0') {
			if (ob_strlcpy(
				m->tenant, tenant_id, sizeof(m->tenant)) != 0 ||
			    ob_categories(
				db, r->arena, tenant_id, &m->cats, &m->n) != 0)
				return key;
		}
		if (strcmp(m->tenant, tenant_id) == 0)
			return ob_category_label(m->cats, m->n, key);
	}
	return key;
}

static void
row(struct list *l, struct ob_db *db, struct labels *memo, size_t nmemo,
    PGresult *res, int i)
{
	struct ob_tctx *c = ob_tctx_add_item(l->ctx, "cases");
	bool ack_late = strcmp(PQgetvalue(res, i, 11), "t") == 0;
	bool ack_soon = strcmp(PQgetvalue(res, i, 12), "t") == 0;
	bool fb_late = strcmp(PQgetvalue(res, i, 13), "t") == 0;
	bool fb_soon = strcmp(PQgetvalue(res, i, 14), "t") == 0;

	ob_tctx_set(c, "id", PQgetvalue(res, i, 0));
	ob_tctx_set(c, "number", PQgetvalue(res, i, 1));
	ob_tctx_set(c, "tenant", PQgetvalue(res, i, 2));
	ob_tctx_set(c, "category",
	    category_label(l->r, db, memo, nmemo, PQgetvalue(res, i, 3),
		PQgetvalue(res, i, 4)));
	ob_tctx_set(c, "status", cases_status_label(PQgetvalue(res, i, 5)));
	ob_tctx_set(c, "opened_on", PQgetvalue(res, i, 6));
	ob_tctx_set(c, "ack_due", PQgetvalue(res, i, 7));
	ob_tctx_set(c, "acknowledged_on", PQgetvalue(res, i, 8));
	ob_tctx_set(c, "feedback_due", PQgetvalue(res, i, 9));
	ob_tctx_set(c, "feedback_on", PQgetvalue(res, i, 10));
	ob_tctx_set_bool(c, "ack_late", ack_late);
	ob_tctx_set_bool(c, "ack_soon", ack_soon);
	ob_tctx_set_bool(c, "fb_late", fb_late);
	ob_tctx_set_bool(c, "fb_soon", fb_soon);
	ob_tctx_set_bool(c, "late", ack_late || fb_late);
	ob_tctx_set(c, "unread",
	    strcmp(PQgetvalue(res, i, 17), "0") == 0 ? ""
						     : PQgetvalue(res, i, 17));
}

static int
list_tx(struct ob_db *db, void *arg)
{
	struct list *l = arg;
	struct labels memo[16];
	PGresult *tenants = NULL, *res = NULL;
	char offset[24], overdue[8];
	const char *params[4] = { l->f.tenant, l->f.status, overdue, offset };
	uint64_t total = 0;
	bool tenant_ok = l->f.tenant[0] == '\0';
	int rc;

	memset(memo, 0, sizeof(memo));
	if ((rc = ob_auth_tenants(l->r, db, &tenants)) != 0)
		goto out;
	ob_tctx_set_list(l->ctx, "tenants");
	for (int i = 0; i < PQntuples(tenants); i++) {
		struct ob_tctx *t = ob_tctx_add_item(l->ctx, "tenants");

		ob_tctx_set(t, "slug", PQgetvalue(tenants, i, 1));
		ob_tctx_set(t, "name", PQgetvalue(tenants, i, 2));
		ob_tctx_set_bool(t, "selected",
		    strcmp(l->f.tenant, PQgetvalue(tenants, i, 1)) == 0);
		tenant_ok = tenant_ok ||
		    strcmp(l->f.tenant, PQgetvalue(tenants, i, 1)) == 0;
	}
	ob_tctx_set_bool(l->ctx, "has_tenants", PQntuples(tenants) > 0);
	if (!tenant_ok)
		l->f.tenant = ""; /* not one of the user's: show them all */
	snprintf(offset, sizeof(offset), "%llu",
	    (unsigned long long)((l->f.page - 1) * PAGE_SIZE));
	snprintf(overdue, sizeof(overdue), "%s", l->f.overdue ? "t" : "f");
	if ((rc = ob_db_exec(db, sorts[l->f.sort].stmt, 4, params, &res)) != 0)
		goto out;
	ob_tctx_set_list(l->ctx, "cases");
	for (int i = 0; i < PQntuples(res); i++)
		row(l, db, memo, OB_NELEM(memo), res, i);
	if (PQntuples(res) > 0 &&
	    ob_parse_u64(PQgetvalue(res, 0, 15), 0, UINT64_MAX, &total) != 0)
		total = 0;
	ob_tctx_setf(l->ctx, "total", "%llu", (unsigned long long)total);
	ob_tctx_setf(l->ctx, "page", "%llu", (unsigned long long)l->f.page);
	ob_tctx_setf(l->ctx, "pages", "%llu",
	    (unsigned long long)((total + PAGE_SIZE - 1) / PAGE_SIZE));
	ob_tctx_set(l->ctx, "prev",
	    l->f.page > 1 ? href(l->r, &l->f, l->f.page - 1) : "");
	ob_tctx_set(l->ctx, "next",
	    l->f.page * PAGE_SIZE < total ? href(l->r, &l->f, l->f.page + 1)
					  : "");
out:
	PQclear(tenants);
	PQclear(res);
	return rc;
}

static void
read_filter(struct ob_req *r, struct filter *f)
{
	const char *tenant = ob_form_get(&r->form, "tenant");
	const char *status = ob_form_get(&r->form, "status");
	const char *sort = ob_form_get(&r->form, "sort");
	const char *page = ob_form_get(&r->form, "page");
	const char *overdue = ob_form_get(&r->form, "overdue");

	/* Checked against the user's tenants in list_tx. */
	f->tenant = tenant != NULL ? tenant : "";
	f->status =
	    status != NULL && known(status_filters, status) ? status : "open";
	f->overdue = overdue != NULL && strcmp(overdue, "1") == 0;
	f->sort = 0;
	for (size_t i = 0; sort != NULL && i < OB_NELEM(sorts); i++)
		if (strcmp(sort, sorts[i].key) == 0)
			f->sort = i;
	if (page == NULL || ob_parse_u64(page, 1, PAGE_MAX, &f->page) != 0)
		f->page = 1;
}

int
h_list(struct ob_req *r)
{
	struct ob_auth_user *u = ob_auth_current(r);
	struct list l = { r, ob_tctx_new(r->arena), { 0 } };
	int rc;

	read_filter(r, &l.f);
	if ((rc = ob_auth_tx(r, list_tx, &l)) != 0)
		return rc;
	ob_tctx_set(l.ctx, "title", _("Cases"));
	ob_tctx_set(l.ctx, "email", u->email);
	ob_tctx_set_bool(l.ctx, "admin", ob_auth_is_admin(r));
	ob_tctx_set_bool(l.ctx, "overdue", l.f.overdue);
	ob_tctx_set_list(l.ctx, "statuses");
	for (size_t i = 0; status_filters[i] != NULL; i++) {
		struct ob_tctx *s = ob_tctx_add_item(l.ctx, "statuses");
		const char *k = status_filters[i];

		ob_tctx_set(s, "key", k);
		ob_tctx_set(s, "label",
		    k[0] == '\0'                 ? _("All")
			: strcmp(k, "open") == 0 ? _("Open")
						 : cases_status_label(k));
		ob_tctx_set_bool(s, "selected", strcmp(k, l.f.status) == 0);
	}
	ob_tctx_set_list(l.ctx, "sorts");
	for (size_t i = 0; i < OB_NELEM(sorts); i++) {
		struct ob_tctx *s = ob_tctx_add_item(l.ctx, "sorts");

		ob_tctx_set(s, "key", sorts[i].key);
		ob_tctx_set(s, "label", _(sorts[i].label));
		ob_tctx_set_bool(s, "selected", i == l.f.sort);
	}
	return ob_page_render(r, 200, "cases_list", l.ctx);
}
