/*
 * GET /cases/stats and /cases/stats.csv: how the cases of one tenant,
 * or of every tenant the handler may read, went in a period (issue 6).
 *
 * The period is from..to, both days included (GET fields, YYYY-MM-DD);
 * without them the last 12 months: from the first day of the month 11
 * months before to's, to today.  At most 60 calendar months.  Anything
 * else - a date that is not one, from after to, a field given twice, a
 * tenant that is not one of the handler's - is a 400 with the reason.
 *
 * Every number is over the cases opened in the period, except the open
 * cases overdue today, which are all of the selection's, whenever they
 * were opened (a deadline missed now matters whatever the period):
 *   opened          cases opened, by month, category and (current) status
 *   days to acknowledgement   acknowledged_on - opened_on, median of the
 *                   acknowledged cases
 *   days to feedback          feedback_on - the start of the feedback
 *                   period, median of the cases with feedback.  The
 *                   start is the acknowledgement, or opened_on + 7 for a
 *                   case never acknowledged: the same start the
 *                   deadline (cases.feedback_due, EU Directive
 *                   2019/1937 art. 9(1)(f)) counts from, so the median
 *                   and the 3-month duty measure one thing.
 *   acknowledged within 7 days   of the cases whose acknowledgement is
 *                   in or due (acknowledged, or ack_due passed), those
 *                   acknowledged on or before ack_due
 *   feedback within 3 months     likewise with feedback_on and
 *                   feedback_due
 *   overdue today   open cases past ack_due unacknowledged or past
 *                   feedback_due without feedback (as on /cases/)
 *
 * A case purged by retention (lib/retention.h) still counts, through
 * its statistics stub, in every number but "overdue today" (it was
 * closed): the stub knows the month it was opened, not the day, so it
 * counts in any period that month overlaps - exactly the same for whole
 * months, as the default period is.
 *
 * Aggregation is done by PostgreSQL in fixed statements; row-level
 * security (ob_auth_tx) keeps other tenants' cases out of every count,
 * so a handler without a tenant (an admin, say) sees zeros.  Category
 * labels are the tenants' own (lib/questionnaire.h); over several
 * tenants, categories with the same key and label are counted as one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth.h"
#include "lib/chart.h"
#include "lib/csv.h"
#include "lib/i18n.h"
#include "lib/page.h"
#include "lib/questionnaire.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/cases/cases.h"

#define MAX_MONTHS 60
#define CHART_CATEGORIES 30 /* the rest are one bar */
#define CSV_MAX (1024 * 1024)

/* $1 tenant slug or '', $2 from, $3 to: the cases of the statistics, and
 * the stubs of purged cases whose month of opening overlaps the period
 * (case_stats, sql/0014_retention.sql). */
#define SCOPE                                                                  \
	"($1 = '' OR c.tenant_id IN (SELECT id FROM tenants "                  \
	"WHERE slug = $1)) AND c.opened_last >= $2::date "                     \
	"AND c.opened_first <= $3::date"

const struct ob_stmt stats_stmts[] = {
	/* The period asked for, with the defaults filled in.  $1 from or
	 * '', $2 to or '' (both checked dates). */
	{ "cs_period",
	    "SELECT to_char(coalesce(nullif($1, '')::date, (date_trunc("
	    "'month', p.t::timestamp) - interval '11 months')::date), "
	    "'YYYY-MM-DD'), to_char(p.t, 'YYYY-MM-DD') FROM (SELECT "
	    "coalesce(nullif($2, '')::date, current_date) AS t) p",
	    2 },
	/*
	 * opened, acknowledged, median days to acknowledgement, with
	 * feedback, median days to feedback, acknowledgement due, of those
	 * in time, feedback due, of those in time, the two shares in whole
	 * per cent.  A median has one decimal at most ("3", "3.5"); a median
	 * or share of nothing is ''.
	 */
	{ "cs_summary",
	    "SELECT s.*, coalesce(round(100.0 * s.ack_ok / "
	    "nullif(s.ack_due, 0))::text, ''), coalesce(round(100.0 * "
	    "s.fb_ok / nullif(s.fb_due, 0))::text, '') "
	    "FROM (SELECT count(*), count(c.ack_days), "
	    "coalesce(trim_scale(round((percentile_cont(0.5) WITHIN GROUP "
	    "(ORDER BY c.ack_days))::numeric, 1))::text, ''), "
	    "count(c.feedback_days), "
	    "coalesce(trim_scale(round((percentile_cont(0.5) WITHIN GROUP "
	    "(ORDER BY c.feedback_days))::numeric, 1))::text, ''), "
	    "count(*) FILTER (WHERE c.ack_fell_due) AS ack_due, "
	    "count(*) FILTER (WHERE c.ack_in_time) AS ack_ok, "
	    "count(*) FILTER (WHERE c.feedback_fell_due) AS fb_due, "
	    "count(*) FILTER (WHERE c.feedback_in_time) AS fb_ok "
	    "FROM case_stats c WHERE " SCOPE ") s",
	    3 },
	{ "cs_overdue",
	    "SELECT count(*) FROM cases c WHERE ($1 = '' OR c.tenant_id IN "
	    "(SELECT id FROM tenants WHERE slug = $1)) "
	    "AND c.status <> 'closed' AND ((c.acknowledged_on IS NULL "
	    "AND c.ack_due < current_date) OR (c.feedback_on IS NULL "
	    "AND c.feedback_due < current_date))",
	    1 },
	/* Every month of the period, those without cases too. */
	{ "cs_months",
	    "SELECT to_char(m, 'YYYY-MM'), count(c.tenant_id) "
	    "FROM generate_series(date_trunc('month', $2::date::timestamp), "
	    "date_trunc('month', $3::date::timestamp), interval '1 month') "
	    "AS m LEFT JOIN case_stats c ON date_trunc('month', "
	    "c.opened_first::timestamp) = m AND " SCOPE
	    " GROUP BY m ORDER BY m",
	    3 },
	/* (tenant, category) pairs: a thousand is more than any page shows. */
	{ "cs_categories",
	    "SELECT c.tenant_id, c.category, count(*) FROM case_stats c "
	    "WHERE " SCOPE " GROUP BY c.tenant_id, c.category "
	    "ORDER BY count(*) DESC, c.category, c.tenant_id LIMIT 1000",
	    3 },
	{ "cs_statuses",
	    "SELECT c.status, count(*) FROM case_stats c WHERE " SCOPE
	    " GROUP BY c.status",
	    3 },
};
const size_t stats_nstmts = OB_NELEM(stats_stmts);

static const char *const statuses[] = { "new", "acknowledged", "investigating",
	"closed" };

/* One line of a breakdown: a month, a category or a status. */
struct count {
	const char *key;
	const char *label;
	uint64_t n;
};

struct tenant {
	const char *id, *slug, *name;
};

struct stats {
	struct ob_req *r;
	/* As asked (fields), never NULL. */
	const char *tenant, *from_in, *to_in;
	/* Set when the request is refused (400): what to say. */
	const char *error;
	/* The handler's tenants. */
	struct tenant *tenants;
	size_t ntenants;
	const char *tenant_name; /* the selected one's, or "" for all */
	/* The period, resolved. */
	char from[11], to[11];
	/* Results. */
	uint64_t opened, acked, with_fb, ack_due, ack_ok, fb_due, fb_ok,
	    overdue;
	const char *median_ack, *median_fb, *ack_pct, *fb_pct; /* or "" */
	struct count *months, *cats;
	size_t nmonths, ncats;
	struct count status[OB_NELEM(statuses)];
};

struct ymd {
	unsigned y, m, d;
};

/* A date as the form sends it: YYYY-MM-DD that exists, 1900..9999. */
static bool
parse_date(const char *s, struct ymd *out)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	uint64_t y, m, d;
	unsigned last;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    ob_parse_u64n(s, 4, 1900, 9999, &y) != 0 ||
	    ob_parse_u64n(s + 5, 2, 1, 12, &m) != 0 ||
	    ob_parse_u64n(s + 8, 2, 1, 31, &d) != 0)
		return false;
	last = mdays[m - 1];
	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		last = 29;
	if (d > last)
		return false;
	out->y = (unsigned)y;
	out->m = (unsigned)m;
	out->d = (unsigned)d;
	return true;
}

static uint64_t
to_u64(PGresult *res, int row, int col)
{
	uint64_t v = 0;

	if (ob_parse_u64(PQgetvalue(res, row, col), 0, UINT64_MAX, &v) != 0)
		v = 0;
	return v;
}

static const char *
dup(struct stats *s, PGresult *res, int row, int col)
{
	return ob_arena_strdup(s->r->arena, PQgetvalue(res, row, col));
}

/* The tenants the handler may read, and the selected one among them. */
static int
load_tenants(struct stats *s, struct ob_db *db)
{
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_auth_tenants(s->r, db, &res)) != 0)
		return rc;
	s->ntenants = (size_t)PQntuples(res);
	s->tenants = ob_arena_alloc(
	    s->r->arena, (s->ntenants + 1) * sizeof(*s->tenants));
	s->tenant_name = "";
	for (size_t i = 0; i < s->ntenants; i++) {
		struct tenant *t = &s->tenants[i];

		t->id = dup(s, res, (int)i, 0);
		t->slug = dup(s, res, (int)i, 1);
		t->name = dup(s, res, (int)i, 2);
		if (strcmp(t->slug, s->tenant) == 0)
			s->tenant_name = t->name;
	}
	PQclear(res);
	if (s->error == NULL && s->tenant[0] != '\0' &&
	    s->tenant_name[0] == '\0')
		s->error = _("Choose one of your organisations.");
	return 0;
}

/* Resolves and checks the period; sets s->error when it is refused. */
static int
load_period(struct stats *s, struct ob_db *db)
{
	const char *params[2] = { s->from_in, s->to_in };
	struct ymd f, t;
	PGresult *res = NULL;
	int rc;

	if ((s->from_in[0] != '\0' && !parse_date(s->from_in, &f)) ||
	    (s->to_in[0] != '\0' && !parse_date(s->to_in, &t))) {
		s->error = _("Enter the dates as year-month-day, for example "
			     "2025-01-31.");
		return 0;
	}
	if ((rc = ob_db_exec(db, "cs_period", 2, params, &res)) != 0)
		return rc;
	if (ob_strlcpy(s->from, PQgetvalue(res, 0, 0), sizeof(s->from)) != 0 ||
	    ob_strlcpy(s->to, PQgetvalue(res, 0, 1), sizeof(s->to)) != 0 ||
	    !parse_date(s->from, &f) || !parse_date(s->to, &t)) {
		/* A default outside 1900..9999: the clock is wrong. */
		PQclear(res);
		return OB_EINTERNAL;
	}
	PQclear(res);
	if (strcmp(s->from, s->to) > 0)
		s->error = _("The start of the period is after its end.");
	else if ((t.y - f.y) * 12 + t.m - f.m + 1 > MAX_MONTHS)
		s->error = _("Choose a period of at most 60 months.");
	return 0;
}

/* A tenant's categories, loaded once per request (memo[i]: tenants[i]). */
struct labels {
	const struct ob_category *cats;
	size_t n;
	bool loaded;
};

/* The label of category key of tenant_id; the key itself if none. */
static int
category_label(struct stats *s, struct ob_db *db, struct labels *memo,
    const char *tenant_id, const char *key, const char **out)
{
	int rc;

	*out = key;
	for (size_t i = 0; i < s->ntenants; i++) {
		struct labels *m = &memo[i];

		if (strcmp(s->tenants[i].id, tenant_id) != 0)
			continue;
		if (!m->loaded) {
			if ((rc = ob_categories(db, s->r->arena, tenant_id,
				 &m->cats, &m->n)) != 0)
				return rc;
			m->loaded = true;
		}
		*out = ob_category_label(m->cats, m->n, key);
		break;
	}
	return 0;
}

static int
by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->label, y->label);
}

static int
load_categories(struct stats *s, struct ob_db *db, const char *const *params)
{
	struct labels *memo =
	    ob_arena_alloc(s->r->arena, (s->ntenants + 1) * sizeof(*memo));
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "cs_categories", 3, params, &res)) != 0)
		return rc;
	s->cats = ob_arena_alloc(
	    s->r->arena, ((size_t)PQntuples(res) + 1) * sizeof(*s->cats));
	for (int i = 0; i < PQntuples(res); i++) {
		const char *key = PQgetvalue(res, i, 1), *label;
		size_t j;

		if ((rc = category_label(
			 s, db, memo, PQgetvalue(res, i, 0), key, &label)) != 0)
			goto out;
		/* The same key and label in another tenant: one line. */
		for (j = 0; j < s->ncats; j++)
			if (strcmp(s->cats[j].key, key) == 0 &&
			    strcmp(s->cats[j].label, label) == 0)
				break;
		if (j == s->ncats) {
			/* label may be key, which dies with res. */
			s->cats[j].key = ob_arena_strdup(s->r->arena, key);
			s->cats[j].label = ob_arena_strdup(s->r->arena, label);
			s->ncats++;
		}
		s->cats[j].n += to_u64(res, i, 2);
	}
	qsort(s->cats, s->ncats, sizeof(*s->cats), by_count);
out:
	PQclear(res);
	return rc;
}

static int
load_stats(struct stats *s, struct ob_db *db)
{
	const char *params[3] = { s->tenant, s->from, s->to };
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "cs_summary", 3, params, &res)) != 0)
		goto out;
	s->opened = to_u64(res, 0, 0);
	s->acked = to_u64(res, 0, 1);
	s->median_ack = dup(s, res, 0, 2);
	s->with_fb = to_u64(res, 0, 3);
	s->median_fb = dup(s, res, 0, 4);
	s->ack_due = to_u64(res, 0, 5);
	s->ack_ok = to_u64(res, 0, 6);
	s->fb_due = to_u64(res, 0, 7);
	s->fb_ok = to_u64(res, 0, 8);
	s->ack_pct = dup(s, res, 0, 9);
	s->fb_pct = dup(s, res, 0, 10);
	PQclear(res);
	res = NULL;

	if ((rc = ob_db_exec(db, "cs_overdue", 1, params, &res)) != 0)
		goto out;
	s->overdue = to_u64(res, 0, 0);
	PQclear(res);
	res = NULL;

	if ((rc = ob_db_exec(db, "cs_months", 3, params, &res)) != 0)
		goto out;
	s->nmonths = (size_t)PQntuples(res);
	s->months =
	    ob_arena_alloc(s->r->arena, (s->nmonths + 1) * sizeof(*s->months));
	for (size_t i = 0; i < s->nmonths; i++) {
		s->months[i].key = dup(s, res, (int)i, 0);
		s->months[i].label = s->months[i].key;
		s->months[i].n = to_u64(res, (int)i, 1);
	}
	PQclear(res);
	res = NULL;

	if ((rc = ob_db_exec(db, "cs_statuses", 3, params, &res)) != 0)
		goto out;
	for (size_t i = 0; i < OB_NELEM(statuses); i++) {
		s->status[i].key = statuses[i];
		s->status[i].label = cases_status_label(statuses[i]);
		for (int j = 0; j < PQntuples(res); j++)
			if (strcmp(PQgetvalue(res, j, 0), statuses[i]) == 0)
				s->status[i].n = to_u64(res, j, 1);
	}
	rc = load_categories(s, db, params);
out:
	PQclear(res);
	return rc;
}

static int
stats_tx(struct ob_db *db, void *arg)
{
	struct stats *s = arg;
	int rc;

	/* The tenants first: a refusal shows the form with them. */
	if ((rc = load_tenants(s, db)) != 0 || s->error != NULL ||
	    (rc = load_period(s, db)) != 0 || s->error != NULL)
		return rc != 0 ? rc : OB_EINVAL;
	return load_stats(s, db);
}

/* Reads the fields; a field given twice is refused like a bad value. */
static void
read_fields(struct ob_req *r, struct stats *s)
{
	static const char *const names[] = { "tenant", "from", "to" };
	const char **dst[] = { &s->tenant, &s->from_in, &s->to_in };

	for (size_t i = 0; i < OB_NELEM(names); i++) {
		const char *v = ob_form_get(&r->form, names[i]);

		*dst[i] = v != NULL ? v : "";
		if (ob_form_count(&r->form, names[i]) > 1)
			s->error = _("Each field may be given once.");
	}
}

/* Runs the statistics; OB_EINVAL with s->error set for a refusal. */
static int
run(struct ob_req *r, struct stats *s)
{
	memset(s, 0, sizeof(*s));
	s->r = r;
	read_fields(r, s);
	return ob_auth_tx(r, stats_tx, s);
}

/* ---- the page ---- */

static void
add_rows(struct ob_tctx *ctx, const char *list, const struct count *c, size_t n)
{
	ob_tctx_set_list(ctx, list);
	for (size_t i = 0; i < n; i++) {
		struct ob_tctx *row = ob_tctx_add_item(ctx, list);

		ob_tctx_set(row, "label", c[i].label);
		ob_tctx_setf(row, "n", "%llu", (unsigned long long)c[i].n);
	}
}

/*
 * A chart of c[0..n) as markup, set as name.  Past max bars, the last
 * bar sums up the rest as rest_label (the table lists them all).
 */
static int
chart(struct ob_req *r, struct ob_tctx *ctx, const char *name,
    const struct ob_chart *tmpl, const struct count *c, size_t n, size_t max,
    const char *rest_label)
{
	struct ob_chart_bar *bars =
	    ob_arena_alloc(r->arena, (n + 1) * sizeof(*bars));
	struct ob_chart ch = *tmpl;
	struct ob_html *h = ob_html_new(r->arena);
	int rc;

	ch.bars = bars;
	ch.nbars = n > max ? max : n;
	for (size_t i = 0; i < n; i++) {
		bool rest = n > max && i >= max - 1;
		size_t j = rest ? max - 1 : i;

		bars[j].label = rest ? rest_label : c[i].label;
		bars[j].value += c[i].n;
	}
	if ((rc = ob_chart_svg(h, &ch)) != 0)
		return rc;
	ob_tctx_set_html(ctx, name, h);
	return 0;
}

static void
set_form(struct ob_tctx *ctx, const struct stats *s, const char *from,
    const char *to)
{
	ob_tctx_set(ctx, "from", from);
	ob_tctx_set(ctx, "to", to);
	ob_tctx_set_list(ctx, "tenants");
	for (size_t i = 0; i < s->ntenants; i++) {
		struct ob_tctx *t = ob_tctx_add_item(ctx, "tenants");

		ob_tctx_set(t, "slug", s->tenants[i].slug);
		ob_tctx_set(t, "name", s->tenants[i].name);
		ob_tctx_set_bool(
		    t, "selected", strcmp(s->tenant, s->tenants[i].slug) == 0);
	}
	ob_tctx_set_bool(ctx, "has_tenants", s->ntenants > 0);
}

static void
set_number(struct ob_tctx *ctx, const char *name, uint64_t v)
{
	ob_tctx_setf(ctx, name, "%llu", (unsigned long long)v);
}

static int
page(struct ob_req *r, struct stats *s)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);
	const struct ob_chart months = { OB_CHART_COLUMNS, "chart-months",
		_("Cases opened per month"),
		_("A bar for each month of the period; the table below has "
		  "the same numbers."),
		NULL, 0 };
	const struct ob_chart cats = { OB_CHART_ROWS, "chart-categories",
		_("Cases by category"),
		_("A bar for each category, the largest first; the table "
		  "below has the same numbers."),
		NULL, 0 };
	const struct ob_chart status = { OB_CHART_ROWS, "chart-statuses",
		_("Cases by status"),
		_("A bar for each status that the cases opened in the period "
		  "are in now; the table below has the same numbers."),
		NULL, 0 };
	int rc;

	set_form(ctx, s, s->from, s->to);
	ob_tctx_set(ctx, "title", _("Statistics"));
	ob_tctx_set(ctx, "error", "");
	ob_tctx_set_bool(ctx, "stats", true);
	ob_tctx_set(ctx, "tenant_name",
	    s->tenant_name[0] != '\0' ? s->tenant_name
				      : _("All your organisations"));
	ob_tctx_setf(ctx, "csv", "/cases/stats.csv?tenant=%s&from=%s&to=%s",
	    s->tenant, s->from, s->to);
	set_number(ctx, "opened", s->opened);
	set_number(ctx, "acked", s->acked);
	set_number(ctx, "with_feedback", s->with_fb);
	ob_tctx_set(ctx, "median_ack", s->median_ack);
	ob_tctx_set(ctx, "median_feedback", s->median_fb);
	set_number(ctx, "ack_due", s->ack_due);
	set_number(ctx, "ack_ok", s->ack_ok);
	ob_tctx_set(ctx, "ack_pct", s->ack_pct);
	set_number(ctx, "fb_due", s->fb_due);
	set_number(ctx, "fb_ok", s->fb_ok);
	ob_tctx_set(ctx, "fb_pct", s->fb_pct);
	set_number(ctx, "overdue", s->overdue);
	add_rows(ctx, "months", s->months, s->nmonths);
	add_rows(ctx, "categories", s->cats, s->ncats);
	add_rows(ctx, "statuses", s->status, OB_NELEM(s->status));
	ob_tctx_set_bool(ctx, "has_categories", s->ncats > 0);
	ob_tctx_set_bool(ctx, "more_categories", s->ncats > CHART_CATEGORIES);
	if ((rc = chart(r, ctx, "chart_months", &months, s->months, s->nmonths,
		 MAX_MONTHS, "")) != 0 ||
	    (rc = chart(r, ctx, "chart_categories", &cats, s->cats, s->ncats,
		 CHART_CATEGORIES, _("All other categories"))) != 0 ||
	    (rc = chart(r, ctx, "chart_statuses", &status, s->status,
		 OB_NELEM(s->status), OB_NELEM(s->status), "")) != 0)
		return rc;
	return ob_page_render(r, 200, "cases_stats", ctx);
}

/* The form again with the reason, as typed, and no numbers: 400. */
static int
refused(struct ob_req *r, struct stats *s)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);

	set_form(ctx, s, s->from_in, s->to_in);
	ob_tctx_set(ctx, "title", _("Statistics"));
	ob_tctx_set(ctx, "error", s->error);
	ob_tctx_set_bool(ctx, "stats", false);
	return ob_page_render(r, 400, "cases_stats", ctx);
}

int
h_stats(struct ob_req *r)
{
	struct stats s;
	int rc = run(r, &s);

	if (rc == OB_EINVAL && s.error != NULL)
		return refused(r, &s);
	if (rc != 0)
		return rc;
	return page(r, &s);
}

/* ---- the CSV ---- */

static int
csv_row(struct ob_buf *b, const char *section, const char *key,
    const char *label, const char *value)
{
	const char *f[4] = { section, key, label, value };

	return ob_csv_row(b, f, 4);
}

static int
csv_num(struct ob_buf *b, const char *section, const char *key,
    const char *label, uint64_t v)
{
	char n[24];

	snprintf(n, sizeof(n), "%llu", (unsigned long long)v);
	return csv_row(b, section, key, label, n);
}

static int
csv_counts(
    struct ob_buf *b, const char *section, const struct count *c, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = csv_num(b, section, c[i].key, c[i].label, c[i].n);
	return rc;
}

static int
csv_body(struct ob_buf *b, const struct stats *s)
{
	int rc;

	/* A byte order mark: spreadsheets then read the file as UTF-8. */
	if ((rc = ob_buf_puts(b, "\xef\xbb\xbf")) != 0 ||
	    (rc = csv_row(b, "section", "key", "label", "value")) != 0 ||
	    (rc = csv_row(b, "period", "organisation", _("Organisation"),
		 s->tenant_name[0] != '\0' ? s->tenant_name
					   : _("All your organisations"))) !=
		0 ||
	    (rc = csv_row(b, "period", "from", _("From"), s->from)) != 0 ||
	    (rc = csv_row(b, "period", "to", _("To"), s->to)) != 0 ||
	    (rc = csv_num(
		 b, "summary", "opened", _("Cases opened"), s->opened)) != 0 ||
	    (rc = csv_num(b, "summary", "acknowledged", _("Acknowledged"),
		 s->acked)) != 0 ||
	    (rc = csv_row(b, "summary", "median_days_to_acknowledgement",
		 _("Median days to acknowledgement"), s->median_ack)) != 0 ||
	    (rc = csv_num(b, "summary", "with_feedback", _("With feedback"),
		 s->with_fb)) != 0 ||
	    (rc = csv_row(b, "summary", "median_days_to_feedback",
		 _("Median days to feedback"), s->median_fb)) != 0 ||
	    (rc = csv_num(b, "compliance", "acknowledgement_due",
		 _("Acknowledgement due"), s->ack_due)) != 0 ||
	    (rc = csv_num(b, "compliance", "acknowledged_within_7_days",
		 _("Acknowledged within 7 days"), s->ack_ok)) != 0 ||
	    (rc = csv_row(b, "compliance", "acknowledged_within_7_days_percent",
		 _("Acknowledged within 7 days (%)"), s->ack_pct)) != 0 ||
	    (rc = csv_num(b, "compliance", "feedback_due", _("Feedback due"),
		 s->fb_due)) != 0 ||
	    (rc = csv_num(b, "compliance", "feedback_within_3_months",
		 _("Feedback within 3 months"), s->fb_ok)) != 0 ||
	    (rc = csv_row(b, "compliance", "feedback_within_3_months_percent",
		 _("Feedback within 3 months (%)"), s->fb_pct)) != 0 ||
	    (rc = csv_num(b, "compliance", "open_overdue_today",
		 _("Open cases overdue today"), s->overdue)) != 0 ||
	    (rc = csv_counts(b, "month", s->months, s->nmonths)) != 0 ||
	    (rc = csv_counts(b, "category", s->cats, s->ncats)) != 0)
		return rc;
	return csv_counts(b, "status", s->status, OB_NELEM(s->status));
}

int
h_stats_csv(struct ob_req *r)
{
	struct ob_buf b = OB_BUF_INIT(CSV_MAX);
	struct stats s;
	char disposition[128];
	int rc;

	if ((rc = run(r, &s)) != 0 || (rc = csv_body(&b, &s)) != 0)
		goto out;
	/* The slug and dates are checked: letters, digits and dashes. */
	snprintf(disposition, sizeof(disposition),
	    "attachment; filename=\"ombud-statistics-%s-%s-%s.csv\"",
	    s.tenant[0] != '\0' ? s.tenant : "all", s.from, s.to);
	ob_req_status(r, 200);
	if ((rc = ob_req_header(
		 r, "Content-Type", "text/csv; charset=utf-8")) != 0 ||
	    (rc = ob_req_header(r, "Content-Disposition", disposition)) != 0)
		goto out;
	rc = ob_req_write(r, b.data, b.len);
out:
	ob_buf_release(&b);
	return rc;
}
