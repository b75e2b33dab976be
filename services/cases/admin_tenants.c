/*
 * The platform admins' tenant pages (issue 6, item 6):
 *
 *   GET  /admin/                 the administration's start page
 *   GET  /admin/tenants          every tenant; a form to create one
 *   POST /admin/tenants          creates it (lib/accounts.h) and shows
 *                                its recovery key, once
 *   GET  /admin/tenants/<slug>   name, retention, external channels,
 *                                the questionnaire's categories
 *   POST /admin/tenants/<slug>   saves them
 *
 * All in ob_auth_tx: the database lets these writes through only for a
 * live admin session (sql/0008_admin.sql), behind the route's own
 * OB_AUTH_ADMIN.  An admin administers; reading cases still needs a
 * membership like anyone else's.  Every change is an audit row, with
 * the admin as its actor.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/accounts.h"
#include "lib/audit.h"
#include "lib/auth.h"
#include "lib/i18n.h"
#include "lib/page.h"
#include "lib/questionnaire.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/cases/cases.h"

#define CATEGORIES_MAX 50

const struct ob_stmt admin_tenant_stmts[] = {
	{ "at_list",
	    "SELECT t.slug, t.name, t.retention_days, t.created_on, "
	    "(SELECT count(*) FROM memberships m WHERE m.tenant_id = t.id) "
	    "FROM tenants t ORDER BY t.name, t.slug",
	    0 },
	{ "at_get",
	    "SELECT id, name, retention_days, external_channels, "
	    "unknown_files = 'keep', flatten_pdf, reporter_keeps_metadata "
	    "FROM tenants WHERE slug = $1",
	    1 },
	{ "at_set",
	    "UPDATE tenants SET name = $2, retention_days = $3, "
	    "external_channels = $4, unknown_files = $5, flatten_pdf = $6, "
	    "reporter_keeps_metadata = $7 WHERE id = $1",
	    7 },
	{ "at_cats",
	    "SELECT key, label FROM report_categories "
	    "WHERE tenant_id = $1 AND lang = $2 ORDER BY position, key",
	    2 },
	{ "at_cats_clear",
	    "DELETE FROM report_categories WHERE tenant_id = $1 AND lang = $2",
	    2 },
	{ "at_cat_add",
	    "INSERT INTO report_categories (tenant_id, key, lang, position, "
	    "label) VALUES ($1, $2, $3, $4, $5)",
	    5 },
};
const size_t admin_tenant_nstmts = OB_NELEM(admin_tenant_stmts);

/* The languages a questionnaire is kept in: the shipped ones. */
static const char *const langs[] = { "en", "da", NULL };

int
h_admin_home(struct ob_req *r)
{
	struct ob_tctx *ctx = ob_tctx_new(r->arena);

	ob_tctx_set(ctx, "title", _("Administration"));
	return ob_page_render(r, 200, "admin_home", ctx);
}

/* ---- the list, and a new tenant ---- */

struct tenants {
	struct ob_req *r;
	struct ob_tctx *ctx;
	const char *error;
	char recovery[OB_RECOVERY_STRLEN + 1];
	bool created;
};

static int
list_tx(struct ob_db *db, void *arg)
{
	struct tenants *t = arg;
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "at_list", 0, NULL, &res)) != 0)
		return rc;
	ob_tctx_set_list(t->ctx, "tenants");
	for (int i = 0; i < PQntuples(res); i++) {
		struct ob_tctx *x = ob_tctx_add_item(t->ctx, "tenants");

		ob_tctx_set(x, "slug", PQgetvalue(res, i, 0));
		ob_tctx_set(x, "name", PQgetvalue(res, i, 1));
		ob_tctx_set(x, "retention", PQgetvalue(res, i, 2));
		ob_tctx_set(x, "created_on", PQgetvalue(res, i, 3));
		ob_tctx_set(x, "members", PQgetvalue(res, i, 4));
	}
	PQclear(res);
	return 0;
}

static int
tenants_page(struct ob_req *r, struct tenants *t, int status)
{
	int rc;

	if ((rc = ob_auth_tx(r, list_tx, t)) != 0)
		return rc;
	ob_tctx_set(t->ctx, "title", _("Tenants"));
	ob_tctx_set(t->ctx, "error", t->error ? t->error : "");
	/* Shown once: the page is not cached (Cache-Control: no-store). */
	ob_tctx_set(t->ctx, "recovery", t->created ? t->recovery : "");
	rc = ob_page_render(r, status, "admin_tenants", t->ctx);
	sodium_memzero(t->recovery, sizeof(t->recovery));
	return rc;
}

int
h_admin_tenants(struct ob_req *r)
{
	struct tenants t = { r, ob_tctx_new(r->arena), NULL, "", false };

	return tenants_page(r, &t, 200);
}

static int
keep_recovery(const char *recovery, void *arg, struct ob_buf *err)
{
	struct tenants *t = arg;

	(void)err;
	return ob_strlcpy(t->recovery, recovery, sizeof(t->recovery));
}

struct add {
	struct tenants *t;
	struct ob_buf err;
	int rc;
};

static int
add_tx(struct ob_db *db, void *arg)
{
	struct add *a = arg;
	struct ob_req *r = a->t->r;
	const char *slug = ob_form_get(&r->form, "slug");
	const char *name = ob_form_get(&r->form, "name");
	const char *days = ob_form_get(&r->form, "retention_days");
	uint64_t d = 0;

	if (slug == NULL || name == NULL || days == NULL ||
	    ob_parse_u64(days, 1, 3650, &d) != 0) {
		a->rc = OB_EINVAL;
		ob_buf_seterr(&a->err, "retention: 1 to 3650 days");
		return OB_EINVAL;
	}
	a->rc = ob_tenant_add(
	    db, slug, name, (unsigned)d, keep_recovery, a->t, &a->err);
	return a->rc;
}

int
h_admin_tenant_add(struct ob_req *r)
{
	struct tenants t = { r, ob_tctx_new(r->arena), NULL, "", false };
	struct add a = { &t, OB_BUF_INIT(1024), 0 };
	int rc = ob_auth_tx(r, add_tx, &a);

	/* What the library refused is the admin's to correct: say what. */
	if (rc != 0 && (a.rc == OB_EINVAL || rc == OB_EDB)) {
		t.error = ob_arena_strdup(r->arena, ob_buf_cstr(&a.err));
		rc = tenants_page(r, &t, 400);
	} else if (rc == 0) {
		t.created = true;
		rc = tenants_page(r, &t, 200);
	}
	ob_buf_release(&a.err);
	sodium_memzero(t.recovery, sizeof(t.recovery));
	return rc;
}

/* ---- one tenant ---- */

struct edit {
	struct ob_req *r;
	struct ob_tctx *ctx;
	const char *slug;
	const char *error;
	bool save;
	char id[24];
};

/* "key: label" lines of lang's categories, for the textarea. */
static int
categories_text(
    struct ob_db *db, struct edit *e, const char *lang, struct ob_buf *out)
{
	const char *params[2] = { e->id, lang };
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "at_cats", 2, params, &res)) != 0)
		return rc;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++)
		rc = ob_buf_printf(out, "%s: %s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1));
	PQclear(res);
	return rc;
}

static bool
valid_key(const char *k, size_t n)
{
	if (n == 0 || n > 32 || k[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
			(k[i] >= '0' && k[i] <= '9') || k[i] == '-'))
			return false;
	return true;
}

/*
 * Replaces lang's categories with the "key: label" lines of text.  An
 * empty text means the built-in list.  e->error says what is wrong.
 */
static int
save_categories(
    struct ob_db *db, struct edit *e, const char *lang, const char *text)
{
	const char *params[5] = { e->id, lang, NULL, NULL, NULL };
	char key[40], label[256], pos[16];
	const char *p = text;
	PGresult *res = NULL;
	int n = 0, rc;

	if ((rc = ob_db_run(db, "at_cats_clear", 2, params)) != 0)
		return rc;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		size_t klen, llen;
		const char *l;

		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' '))
			len--;
		if (len == 0) {
			p = end ? end + 1 : NULL;
			continue;
		}
		if (colon == NULL) {
			e->error = _("Write each category as \"key: label\", "
				     "one per line.");
			return OB_ECONFLICT;
		}
		klen = (size_t)(colon - p);
		for (l = colon + 1; l < p + len && *l == ' '; l++)
			;
		llen = (size_t)(p + len - l);
		if (!valid_key(p, klen) || llen == 0 || llen >= sizeof(label)) {
			e->error = _("A category key is 1 to 32 lower-case "
				     "letters, digits and dashes; a label 1 "
				     "to 100 characters.");
			return OB_ECONFLICT;
		}
		if (++n > CATEGORIES_MAX) {
			e->error = _("At most 50 categories.");
			return OB_ECONFLICT;
		}
		memcpy(key, p, klen);
		key[klen] = '\0';
		memcpy(label, l, llen);
		label[llen] = '\0';
		snprintf(pos, sizeof(pos), "%d", n);
		params[1] = key;
		params[2] = lang;
		params[3] = pos;
		params[4] = label;
		if ((rc = ob_db_exec(db, "at_cat_add", 5, params, &res)) != 0) {
			e->error = _("A category key is there twice, or a "
				     "label is too long.");
			return OB_ECONFLICT;
		}
		PQclear(res);
		res = NULL;
		params[0] = e->id;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int
save(struct ob_db *db, struct edit *e)
{
	struct ob_auth_user *u = ob_auth_current(e->r);
	const char *name = ob_form_get(&e->r->form, "name");
	const char *days = ob_form_get(&e->r->form, "retention_days");
	const char *channels = ob_form_get(&e->r->form, "external_channels");
	/* A radio button: one is always sent; without one, the safe
	 * default. */
	const char *unknown = ob_form_get(&e->r->form, "unknown_files");
	/* Check boxes: sent when ticked, absent when not. */
	const char *flatten =
	    ob_form_get(&e->r->form, "flatten_pdf") != NULL ? "t" : "f";
	const char *keep_meta =
	    ob_form_get(&e->r->form, "reporter_keeps_metadata") != NULL ? "t"
									: "f";
	const char *params[7] = { e->id, name, days, channels, unknown, flatten,
		keep_meta };
	uint64_t d;
	int rc;

	if (unknown == NULL)
		params[4] = unknown = "refuse";
	if (name == NULL || name[0] == '\0' || strlen(name) > 200 ||
	    days == NULL || ob_parse_u64(days, 1, 3650, &d) != 0 ||
	    channels == NULL || strlen(channels) > 4000 ||
	    (strcmp(unknown, "refuse") != 0 && strcmp(unknown, "keep") != 0)) {
		e->error = _("A name of 1 to 200 characters, a retention of 1 "
			     "to 3650 days, and at most 4000 characters of "
			     "external channels.");
		return OB_ECONFLICT;
	}
	if ((rc = ob_db_run(db, "at_set", 7, params)) != 0)
		return rc;
	for (size_t i = 0; langs[i] != NULL; i++) {
		char field[32];

		snprintf(field, sizeof(field), "categories_%s", langs[i]);
		if ((rc = save_categories(db, e, langs[i],
			 ob_form_get(&e->r->form, field))) != 0)
			return rc;
	}
	return ob_audit(
	    db, u->session.user_id, e->id, NULL, "admin.tenant.edit", e->slug);
}

static int
edit_tx(struct ob_db *db, void *arg)
{
	struct edit *e = arg;
	const char *params[1] = { e->slug };
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "at_get", 1, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1) {
		rc = OB_ENOENT;
		goto out;
	}
	if ((rc = ob_strlcpy(e->id, PQgetvalue(res, 0, 0), sizeof(e->id))) != 0)
		goto out;
	if (e->save && (rc = save(db, e)) != 0)
		goto out;
	ob_tctx_set(e->ctx, "slug", e->slug);
	ob_tctx_set(e->ctx, "name", PQgetvalue(res, 0, 1));
	ob_tctx_set(e->ctx, "retention_days", PQgetvalue(res, 0, 2));
	ob_tctx_set(e->ctx, "external_channels", PQgetvalue(res, 0, 3));
	ob_tctx_set_bool(
	    e->ctx, "keep_unknown", strcmp(PQgetvalue(res, 0, 4), "t") == 0);
	ob_tctx_set_bool(
	    e->ctx, "flatten_pdf", strcmp(PQgetvalue(res, 0, 5), "t") == 0);
	ob_tctx_set_bool(e->ctx, "reporter_keeps_metadata",
	    strcmp(PQgetvalue(res, 0, 6), "t") == 0);
	ob_tctx_set_list(e->ctx, "langs");
	for (size_t i = 0; langs[i] != NULL; i++) {
		struct ob_tctx *l = ob_tctx_add_item(e->ctx, "langs");
		struct ob_buf text = OB_BUF_INIT(64 * 1024);

		if ((rc = categories_text(db, e, langs[i], &text)) == 0) {
			ob_tctx_set(l, "lang", langs[i]);
			ob_tctx_set(l, "text", ob_buf_cstr(&text));
		}
		ob_buf_release(&text);
		if (rc != 0)
			goto out;
	}
out:
	PQclear(res);
	return rc;
}

static int
edit_page(struct ob_req *r, bool saving)
{
	struct edit e = { r, ob_tctx_new(r->arena),
		ob_req_path_param(r, "slug"), NULL, saving, "" };
	int rc;

	if (e.slug == NULL)
		return OB_ENOENT;
	rc = ob_auth_tx(r, edit_tx, &e);
	if (rc == OB_ECONFLICT && e.error != NULL) {
		/* Nothing was saved: show the stored values and why. */
		const char *why = e.error;

		e.save = false;
		e.error = NULL;
		e.ctx = ob_tctx_new(r->arena);
		if ((rc = ob_auth_tx(r, edit_tx, &e)) != 0)
			return rc;
		ob_tctx_set(e.ctx, "error", why);
		ob_tctx_set(e.ctx, "title", _("Tenant"));
		ob_tctx_set_bool(e.ctx, "saved", false);
		return ob_page_render(r, 400, "admin_tenant", e.ctx);
	}
	if (rc != 0)
		return rc;
	ob_tctx_set(e.ctx, "error", "");
	ob_tctx_set(e.ctx, "title", _("Tenant"));
	ob_tctx_set_bool(e.ctx, "saved", saving);
	return ob_page_render(r, 200, "admin_tenant", e.ctx);
}

int
h_admin_tenant(struct ob_req *r)
{
	return edit_page(r, false);
}

int
h_admin_tenant_save(struct ob_req *r)
{
	return edit_page(r, true);
}
