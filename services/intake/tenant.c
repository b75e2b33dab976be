/*
 * A tenant's reporting page, GET /t/<slug>/: who receives the report,
 * what can be reported, how anonymity is protected, the external
 * channels (EU Directive 2019/1937 art. 9(1)(g)), and the two ways on.
 * Also the questionnaire's categories, which the report form shares.
 */
#include <string.h>

#include "lib/i18n.h"
#include "lib/page.h"
#include "lib/questionnaire.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/intake/intake.h"

int
intake_categories(struct ob_req *r, const struct ob_tenant *t,
    const struct ob_category **out, size_t *n)
{
	struct ob_app *app = r->app;

	return ob_categories(app->db, r->arena, t->id, out, n);
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
intake_ctx(
    struct ob_req *r, const struct ob_tenant *t, const char *title, bool error)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);
	const char *at = strstr(title, "{tenant}");
	/* A page that comes back with errors says so first (the title is
	 * what a screen reader announces). */
	const char *prefix = error ? _("Error: ") : "";

	ob_tctx_set(ctx, "tenant", t->name);
	ob_tctx_set(ctx, "slug", t->slug);
	if (at == NULL)
		ob_tctx_setf(ctx, "title", "%s%s", prefix, title);
	else
		ob_tctx_setf(ctx, "title", "%s%.*s%s%s", prefix,
		    (int)(at - title), title, t->name, at + strlen("{tenant}"));
	return ctx;
}

int
h_tenant(struct ob_req *r)
{
	const struct ob_tenant *t = NULL;
	const struct ob_category *cats = NULL;
	struct ob_tctx *ctx;
	size_t n = 0;
	int rc;

	if ((rc = ob_tenant_of_request(r, &t)) != 0 ||
	    (rc = intake_categories(r, t, &cats, &n)) != 0)
		return rc;
	ctx = intake_ctx(r, t, _("Report to {tenant}"), false);
	ob_tctx_set_list(ctx, "categories");
	for (size_t i = 0; i < n; i++)
		ob_tctx_set(ob_tctx_add_item(ctx, "categories"), "label",
		    cats[i].label);
	/* Paragraphs at blank lines: the text has no markup. */
	ob_tctx_split(ctx, "channels", t->external_channels, "\n\n");
	return ob_page_render(r, 200, "tenant", ctx);
}
