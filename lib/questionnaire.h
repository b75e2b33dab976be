/*
 * questionnaire.h - what a report can be about: the tenant's own
 * categories (report_categories, one row per category and language) or,
 * for a tenant without any, the built-in list in every shipped language.
 * Intake shows them on the form and checks the answer; the cases pool
 * shows the label and lets handlers change a case's category.
 * Register ob_questionnaire_stmts.
 */
#ifndef OB_QUESTIONNAIRE_H
#define OB_QUESTIONNAIRE_H

#include <stddef.h>

#include "lib/arena.h"
#include "lib/db.h"
#include "lib/ob.h"

extern const struct ob_stmt ob_questionnaire_stmts[];
extern const size_t ob_questionnaire_nstmts;

/* One category: the key stored in cases.category, and its label. */
struct ob_category {
	const char *key;
	const char *label;
};

/*
 * The categories of tenant_id in the current language (lib/i18n.h): the
 * tenant's rows in that language, else its English rows, else the
 * built-in list, translated.  *out and its strings live in arena a.
 */
int ob_categories(struct ob_db *db, struct ob_arena *a, const char *tenant_id,
    const struct ob_category **out, size_t *n) OB_MUST_CHECK;

/* The category with key among c[0..n), or NULL. */
const struct ob_category *ob_category_find(
    const struct ob_category *c, size_t n, const char *key);

/* The label of key, or key itself when it is not (or no longer) there. */
const char *ob_category_label(
    const struct ob_category *c, size_t n, const char *key);

#endif
