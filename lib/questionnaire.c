#include "lib/questionnaire.h"

#include <string.h>

#include "lib/i18n.h"
#include "lib/util.h"

const struct ob_stmt ob_questionnaire_stmts[] = {
	{ "q_categories",
	    "SELECT key, label FROM report_categories "
	    "WHERE tenant_id = $1 AND lang = $2 ORDER BY position, key",
	    2 },
};
const size_t ob_questionnaire_nstmts = OB_NELEM(ob_questionnaire_stmts);

/* Used by every tenant that has not set its own. */
static const struct ob_category builtin[] = {
	{ "fraud", N_("Fraud, theft or other financial wrongdoing") },
	{ "corruption", N_("Bribery or corruption") },
	{ "safety", N_("Danger to health, safety or the environment") },
	{ "harassment", N_("Harassment or discrimination") },
	{ "privacy", N_("Misuse of personal data") },
	{ "other", N_("Something else") },
};

static int
rows(struct ob_db *db, const char *tenant_id, const char *lang, PGresult **res)
{
	const char *params[2] = { tenant_id, lang };

	return ob_db_exec(db, "q_categories", 2, params, res);
}

int
ob_categories(struct ob_db *db, struct ob_arena *a, const char *tenant_id,
    const struct ob_category **out, size_t *n)
{
	struct ob_category *c;
	PGresult *res = NULL;
	size_t own;
	int rc;

	if ((rc = rows(db, tenant_id, ob_i18n_current(), &res)) != 0)
		return rc;
	if (PQntuples(res) == 0 && strcmp(ob_i18n_current(), "en") != 0) {
		PQclear(res);
		res = NULL;
		if ((rc = rows(db, tenant_id, "en", &res)) != 0)
			return rc;
	}
	own = (size_t)PQntuples(res);
	*n = own > 0 ? own : OB_NELEM(builtin);
	c = ob_arena_alloc(a, *n * sizeof(*c));
	for (size_t i = 0; i < *n; i++) {
		if (own > 0) {
			c[i].key =
			    ob_arena_strdup(a, PQgetvalue(res, (int)i, 0));
			c[i].label =
			    ob_arena_strdup(a, PQgetvalue(res, (int)i, 1));
		} else {
			c[i].key = builtin[i].key;
			c[i].label = _(builtin[i].label);
		}
	}
	PQclear(res);
	*out = c;
	return 0;
}

const struct ob_category *
ob_category_find(const struct ob_category *c, size_t n, const char *key)
{
	for (size_t i = 0; key != NULL && i < n; i++)
		if (strcmp(c[i].key, key) == 0)
			return &c[i];
	return NULL;
}

const char *
ob_category_label(const struct ob_category *c, size_t n, const char *key)
{
	const struct ob_category *f = ob_category_find(c, n, key);

	return f != NULL ? f->label : key;
}
