/*
 * A tenant's reporting page, GET /t/<slug>/: who receives the report,
 * what can be reported, how anonymity is protected, the external
 * channels (EU Directive 2019/1937 art. 9(1)(g)), and the two ways on.
 * Also the questionnaire's categories, which the report form shares.
 */
#include <string.h>

#include "lib/i18n.h"
#include "lib/page.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/intake/intake.h"

const struct ob_stmt intake_stmts[] = {
	{ "in_categories",
	    "SELECT key, label FROM report_categories "
	    "WHERE tenant_id = $1 AND lang = $2 ORDER BY position, key",
	    2 },
};
const size_t intake_nstmts = OB_NELEM(intake_stmts);

/* Used by every tenant that has not set its own. */
static const struct category builtin[] = {
	{ "fraud", N_("Fraud, theft or other financial wrongdoing") },
	{ "corruption", N_("Bribery or corruption") },
	{ "safety", N_("Danger to health, safety or the environment") },
	{ "harassment", N_("Harassment or discrimination") },
	{ "privacy", N_("Misuse of personal data") },
	{ "other", N_("Something else") },
};

static int
tenant_rows(struct ob_req *r, const struct ob_tenant *t, const char *lang,
    PGresult **res)
{
	struct ob_app *app = r->app;
	const char *params[2] = { t->id, lang };

	return ob_db_exec(app->db, "in_categories", 2, params, res);
}

int
intake_categories(struct ob_req *r, const struct ob_tenant *t,
    const struct category **out, size_t *n)
{
	struct category *c;
	PGresult *res = NULL;
	int rc;

	/* The tenant's list in this language, else in English. */
	if ((rc = tenant_rows(r, t, ob_i18n_current(), &res)) != 0)
		return rc;
	if (PQntuples(res) == 0 && strcmp(ob_i18n_current(), "en") != 0) {
		PQclear(res);
		res = NULL;
		if ((rc = tenant_rows(r, t, "en", &res)) != 0)
			return rc;
	}
	*n = PQntuples(res) > 0 ? (size_t)PQntuples(res) : OB_NELEM(builtin);
	c = ob_arena_alloc(r->arena, *n * sizeof(*c));
	for (size_t i = 0; i < *n; i++) {
		if (PQntuples(res) > 0) {
			c[i].key = ob_arena_strdup(
			    r->arena, PQgetvalue(res, (int)i, 0));
			c[i].label = ob_arena_strdup(
			    r->arena, PQgetvalue(res, (int)i, 1));
		} else {
			c[i].key = builtin[i].key;
			c[i].label = _(builtin[i].label);
		}
	}
	PQclear(res);
	*out = c;
	return 0;
}

const char *
intake_category_label(const struct category *c, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].key, key) == 0)
			return c[i].label;
	return key;
}

size_t
intake_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

bool
intake_has_text(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return true;
	return false;
}

struct ob_tctx *
intake_ctx(struct ob_req *r, const struct ob_tenant *t, const char *title)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);
	const char *at = strstr(title, "{tenant}");

	ob_tctx_set(ctx, "tenant", t->name);
	ob_tctx_set(ctx, "slug", t->slug);
	if (at == NULL)
		ob_tctx_set(ctx, "title", title);
	else
		ob_tctx_setf(ctx, "title", "%.*s%s%s", (int)(at - title), title,
		    t->name, at + strlen("{tenant}"));
	return ctx;
}

/* Splits text into paragraphs at blank lines (the page has no markup). */
static void
paragraphs(
    struct ob_req *r, struct ob_tctx *ctx, const char *list, const char *text)
{
	const char *p = text;

	ob_tctx_set_list(ctx, list);
	while (p != NULL && *p != '\0') {
		const char *end = strstr(p, "\n\n");
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len > 0) {
			char *s = ob_arena_alloc(r->arena, len + 1);

			memcpy(s, p, len);
			s[len] = '\0';
			ob_tctx_set(ob_tctx_add_item(ctx, list), "text", s);
		}
		p = end ? end + 2 : NULL;
	}
}

int
h_tenant(struct ob_req *r)
{
	const struct ob_tenant *t = NULL;
	const struct category *cats = NULL;
	struct ob_tctx *ctx;
	size_t n = 0;
	int rc;

	if ((rc = ob_tenant_of_request(r, &t)) != 0 ||
	    (rc = intake_categories(r, t, &cats, &n)) != 0)
		return rc;
	ctx = intake_ctx(r, t, _("Report to {tenant}"));
	ob_tctx_set_list(ctx, "categories");
	for (size_t i = 0; i < n; i++)
		ob_tctx_set(ob_tctx_add_item(ctx, "categories"), "label",
		    cats[i].label);
	paragraphs(r, ctx, "channels", t->external_channels);
	return ob_page_render(r, 200, "tenant", ctx);
}
