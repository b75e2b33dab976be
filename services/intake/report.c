/*
 * The report form, GET and POST /t/<slug>/report (issue 5).
 *
 * Every field is checked on the server; a form with errors comes back
 * with what was typed and each error beside its field, and nothing is
 * stored.  A good report becomes a case through lib/crypto (DESIGN
 * "Encryption at rest"):
 *   - a new case keypair; its secret key sealed to the tenant's public
 *     key, and wrapped under an Argon2id key of a new receipt;
 *   - the receipt's peppered lookup hash, so the receipt finds the case;
 *   - the answers as one "report" item: urlencoded text encrypted with a
 *     random item key that is sealed to the case's public key.
 * The intake role writes ciphertext and public keys only; the category
 * is the one answer kept in clear, for the handlers' lists and
 * statistics.  The handlers get a content-free notice.  The answer page
 * shows the receipt once (id="receipt") and nothing else of the case.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/form.h"
#include "lib/i18n.h"
#include "lib/item.h"
#include "lib/log.h"
#include "lib/page.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/intake/intake.h"

#define HEX(n) (2 * (n) + 3)
#define CASE_NUMBER_SYMBOLS 8
#define REPORT_MAX OB_ITEM_TEXT_MAX /* the urlencoded answers */

const struct ob_stmt report_stmts[] = {
	{ "rp_case_id", "SELECT nextval('cases_id_seq')", 0 },
	{ "rp_case",
	    "INSERT INTO cases (tenant_id, id, number, category, public_key, "
	    "sk_sealed_tenant, receipt_lookup, receipt_salt, "
	    "receipt_opslimit, receipt_memlimit, sk_wrapped_receipt) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
	    11 },
	{ "rp_notify", "SELECT ombud_notify_handlers($1, $2, $3, $4)", 4 },
};
const size_t report_nstmts = OB_NELEM(report_stmts);

/* The answers of the form, in the order they are stored and shown. */
static const struct {
	const char *name;
	size_t max_chars;
} answers[] = {
	{ "description", INTAKE_DESCRIPTION_MAX },
	{ "when", INTAKE_DETAIL_MAX },
	{ "where", INTAKE_DETAIL_MAX },
	{ "who", INTAKE_DETAIL_MAX },
	{ "name", INTAKE_IDENTITY_MAX },
	{ "contact", INTAKE_IDENTITY_MAX },
};

/* ---- the form ---- */

struct problem {
	const char *field;
	const char *text;
};

static int
form_page(struct ob_req *r, int status, const struct ob_tenant *t,
    const struct problem *problems, size_t nproblems)
{
	const struct ob_category *cats = NULL;
	const char *chosen = ob_form_get(&r->form, "category");
	struct ob_tctx *ctx;
	size_t n = 0;
	int rc;

	if ((rc = intake_categories(r, t, &cats, &n)) != 0)
		return rc;
	ctx = intake_ctx(r, t, _("Make a report to {tenant}"), nproblems > 0);
	ob_tctx_set_list(ctx, "categories");
	for (size_t i = 0; i < n; i++) {
		struct ob_tctx *c = ob_tctx_add_item(ctx, "categories");

		ob_tctx_set(c, "key", cats[i].key);
		ob_tctx_set(c, "label", cats[i].label);
		ob_tctx_set_bool(c, "selected",
		    chosen != NULL && strcmp(chosen, cats[i].key) == 0);
	}
	/* What was typed goes back into the form; each field's error sits
	 * beside it and in the summary at the top. */
	for (size_t i = 0; i < OB_NELEM(answers); i++) {
		const char *v = ob_form_get(&r->form, answers[i].name);
		char key[32];

		ob_tctx_set(ctx, answers[i].name, v ? v : "");
		snprintf(key, sizeof(key), "%s_error", answers[i].name);
		ob_tctx_set(ctx, key, "");
	}
	ob_tctx_set(ctx, "category_error", "");
	ob_tctx_set_bool(ctx, "has_problems", nproblems > 0);
	ob_tctx_set_list(ctx, "problems");
	for (size_t i = 0; i < nproblems; i++) {
		struct ob_tctx *p = ob_tctx_add_item(ctx, "problems");
		char key[32];

		ob_tctx_set(p, "field", problems[i].field);
		ob_tctx_set(p, "text", problems[i].text);
		snprintf(key, sizeof(key), "%s_error", problems[i].field);
		ob_tctx_set(ctx, key, problems[i].text);
	}
	return ob_page_render(r, status, "report", ctx);
}

int
h_report_form(struct ob_req *r)
{
	const struct ob_tenant *t = NULL;
	int rc;

	if ((rc = ob_tenant_of_request(r, &t)) != 0)
		return rc;
	return form_page(r, 200, t, NULL, 0);
}

/* Checks the form; the problems found, at most one per field. */
static size_t
check(struct ob_req *r, const struct ob_category *cats, size_t ncats,
    struct problem *out)
{
	const char *category = ob_form_get(&r->form, "category");
	size_t n = 0;

	if (ob_category_find(cats, ncats, category) == NULL)
		out[n++] = (struct problem){ "category",
			_("Choose what the report is about.") };
	if (!intake_has_text(ob_form_get(&r->form, "description")))
		out[n++] = (struct problem){ "description",
			_("Describe what happened.") };
	for (size_t i = 0; i < OB_NELEM(answers); i++) {
		const char *v = ob_form_get(&r->form, answers[i].name);
		const char *text = answers[i].max_chars == INTAKE_IDENTITY_MAX
		    ? _("This is too long: at most 200 characters.")
		    : answers[i].max_chars == INTAKE_DETAIL_MAX
		    ? _("This is too long: at most 2,000 characters.")
		    : _("This is too long: at most 20,000 characters.");

		if (v != NULL && intake_chars(v) > answers[i].max_chars)
			out[n++] = (struct problem){ answers[i].name, text };
	}
	return n;
}

/* ---- storing the case ---- */

struct submission {
	struct ob_req *r;
	const struct ob_tenant *t;
	const char *category;
	char case_id[24];
	char number[CASE_NUMBER_SYMBOLS + 2];
	struct ob_keypair *case_kp;
	unsigned char sealed_tenant[OB_SEALED_BYTES];
	unsigned char lookup[OB_RECEIPT_HASH_BYTES];
	struct ob_receipt_cred cred;
	struct ob_buf answers; /* plaintext: wiped */
};

static int
next_id(struct ob_db *db, const char *stmt, char out[24])
{
	PGresult *res = NULL;
	int rc = ob_db_exec(db, stmt, 0, NULL, &res);

	if (rc == 0 && ob_strlcpy(out, PQgetvalue(res, 0, 0), 24) != 0)
		rc = OB_EINTERNAL;
	PQclear(res);
	return rc;
}

/* A case number for the handlers: "K7F2-9QXM", random, not a count. */
static void
case_number(char out[CASE_NUMBER_SYMBOLS + 2])
{
	size_t j = 0;

	for (size_t i = 0; i < CASE_NUMBER_SYMBOLS; i++) {
		if (i == CASE_NUMBER_SYMBOLS / 2)
			out[j++] = '-';
		out[j++] = ob_b32_alphabet[randombytes_uniform(32)];
	}
	out[j] = '\0';
}

static int
store_tx(struct ob_db *db, void *arg)
{
	struct submission *s = arg;
	struct intake_state *st = ((struct ob_app *)s->r->app)->state;
	char pk[HEX(OB_KEY_BYTES)], sealed[HEX(OB_SEALED_BYTES)];
	char lookup[HEX(OB_RECEIPT_HASH_BYTES)], salt[HEX(OB_SALT_BYTES)];
	char wrapped[HEX(OB_WRAPPED_SK_BYTES)], ops[24], mem[24];
	struct ob_item_new item = { s->t->id, s->case_id,
		ob_keypair_pk(s->case_kp), "report", "reporter", NULL,
		s->answers.data, s->answers.len };
	const char *params[11];
	PGresult *res = NULL;
	int rc;

	snprintf(ops, sizeof(ops), "%llu",
	    (unsigned long long)s->cred.params.opslimit);
	snprintf(mem, sizeof(mem), "%llu",
	    (unsigned long long)s->cred.params.memlimit);
	if ((rc = ob_db_hex(ob_keypair_pk(s->case_kp), OB_KEY_BYTES, pk,
		 sizeof(pk))) != 0 ||
	    (rc = ob_db_hex(s->sealed_tenant, OB_SEALED_BYTES, sealed,
		 sizeof(sealed))) != 0 ||
	    (rc = ob_db_hex(
		 s->lookup, sizeof(s->lookup), lookup, sizeof(lookup))) != 0 ||
	    (rc = ob_db_hex(s->cred.salt, sizeof(s->cred.salt), salt,
		 sizeof(salt))) != 0 ||
	    (rc = ob_db_hex(s->cred.sk_wrapped, sizeof(s->cred.sk_wrapped),
		 wrapped, sizeof(wrapped))) != 0)
		return rc;
	params[0] = s->t->id;
	params[1] = s->case_id;
	params[2] = s->number;
	params[3] = s->category;
	params[4] = pk;
	params[5] = sealed;
	params[6] = lookup;
	params[7] = salt;
	params[8] = ops;
	params[9] = mem;
	params[10] = wrapped;
	rc = ob_db_exec(db, "rp_case", 11, params, &res);
	PQclear(res);
	if (rc == 0)
		rc = ob_item_add(db, &item, NULL);
	if (rc == 0)
		rc = intake_notify(db, st, s->t->id, s->case_id, "new-report");
	return rc;
}

/* The answers as urlencoded text: the plaintext of the report item. */
static int
answers_text(struct ob_req *r, struct ob_buf *out)
{
	int rc;

	for (size_t i = 0; i < OB_NELEM(answers); i++) {
		const char *v = ob_form_get(&r->form, answers[i].name);

		if (intake_has_text(v) &&
		    (rc = ob_form_append(out, answers[i].name, v)) != 0)
			return rc;
	}
	return 0;
}

/*
 * The slow part, outside any transaction: a new case keypair sealed to
 * the tenant, a new receipt, its lookup hash, and the case key wrapped
 * under Argon2id of the receipt.  Runs in a concurrency slot.
 */
static int
make_keys(struct ob_req *r, struct submission *s, struct ob_receipt *receipt)
{
	struct ob_app *app = r->app;
	struct intake_state *st = app->state;
	struct ob_ad ad;
	int rc;

	if ((rc = ob_throttle_enter(st->throttle, &r->retry_after_s)) != 0)
		return OB_ELIMIT;
	if ((rc = next_id(app->db, "rp_case_id", s->case_id)) != 0)
		goto out;
	s->case_kp = ob_keypair_new();
	ob_ad_case(&ad, s->t->id, s->case_id);
	if ((rc = ob_sk_seal(
		 s->case_kp, s->t->public_key, &ad, s->sealed_tenant)) != 0)
		goto out;
	ob_receipt_new(receipt);
	ob_receipt_lookup(receipt, st->pepper, s->lookup);
	rc = ob_receipt_cred_set(
	    receipt, s->case_kp, &ob_pwparams_default, &ad, &s->cred);
out:
	ob_throttle_leave(st->throttle);
	return rc;
}

static int
done_page(struct ob_req *r, const struct ob_tenant *t,
    const struct ob_receipt *receipt)
{
	char shown[OB_RECEIPT_STRLEN + 1];
	struct ob_tctx *ctx =
	    intake_ctx(r, t, _("Your report has been sent"), false);
	int rc;

	ob_receipt_format(receipt, shown);
	/* In the arena: wiped when the request ends. */
	ob_tctx_set(ctx, "receipt", shown);
	sodium_memzero(shown, sizeof(shown));
	rc = ob_page_render(r, 200, "report_done", ctx);
	return rc;
}

int
h_report(struct ob_req *r)
{
	struct ob_app *app = r->app;
	const struct ob_tenant *t = NULL;
	const struct ob_category *cats = NULL;
	struct problem problems[OB_NELEM(answers) + 2];
	struct ob_receipt receipt;
	struct submission s;
	size_t ncats = 0, nproblems;
	int rc;

	memset(&s, 0, sizeof(s));
	memset(&receipt, 0, sizeof(receipt));
	ob_buf_init(&s.answers, REPORT_MAX);
	if ((rc = ob_tenant_of_request(r, &t)) != 0 ||
	    (rc = intake_categories(r, t, &cats, &ncats)) != 0)
		goto out;
	nproblems = check(r, cats, ncats, problems);
	if (nproblems > 0) {
		rc = form_page(r, 400, t, problems, nproblems);
		goto out;
	}
	s.r = r;
	s.t = t;
	s.category = ob_form_get(&r->form, "category");
	if ((rc = answers_text(r, &s.answers)) != 0 ||
	    (rc = make_keys(r, &s, &receipt)) != 0)
		goto out;
	/* The number is random: try again on the rare collision. */
	for (int tries = 0; tries < 3; tries++) {
		case_number(s.number);
		rc = ob_db_tx(app->db, store_tx, &s);
		if (rc != OB_EDB ||
		    strcmp(ob_db_sqlstate(app->db), "23505") != 0)
			break;
	}
	if (rc != 0)
		goto out;
	rc = done_page(r, t, &receipt);
out:
	ob_receipt_wipe(&receipt);
	ob_keypair_free(s.case_kp);
	sodium_memzero(&s.cred, sizeof(s.cred));
	ob_buf_release_secret(&s.answers);
	return rc;
}

int
intake_notify(struct ob_db *db, const struct intake_state *st,
    const char *tenant_id, const char *case_id, const char *what)
{
	const char *params[4] = { tenant_id, case_id, what, st->handler_link };
	PGresult *res = NULL;
	int rc = ob_db_exec(db, "rp_notify", 4, params, &res);

	PQclear(res);
	return rc;
}
