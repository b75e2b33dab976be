/*
 * Coming back with the receipt, GET and POST /t/<slug>/followup
 * (issue 5; DESIGN "Receipt").
 *
 * What was typed is normalised (lower case, spaces, missing dashes and
 * look-alike letters are fine: lib/receipt.h) and looked up by its
 * peppered hash through ombud_receipt_case(), which gives the intake
 * role that one case's wrapped key and nothing else.  Argon2id of the
 * receipt unwraps the case key and a reporter session starts
 * (lib/reporter.h).  An unknown receipt costs the same Argon2id run
 * (on a decoy) and gets the same one message as a wrong one.  Attempts
 * are throttled for the whole pool - there are no addresses to
 * throttle by - and Argon2id runs are capped (429 with Retry-After).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/page.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/intake/intake.h"

#define HEX(n) (2 * (n) + 3)

const struct ob_stmt followup_stmts[] = {
	{ "fu_case", "SELECT * FROM ombud_receipt_case($1, $2)", 2 },
};
const size_t followup_nstmts = OB_NELEM(followup_stmts);

static int
page(struct ob_req *r, int status, const struct ob_tenant *t, const char *error)
{
	struct ob_tctx *ctx = intake_ctx(
	    r, t, _("Follow up on your report to {tenant}"), error != NULL);

	ob_tctx_set(ctx, "error", error ? error : "");
	return ob_page_render(r, status, "followup", ctx);
}

int
h_followup_form(struct ob_req *r)
{
	const struct ob_tenant *t = NULL;
	int rc;

	if ((rc = ob_tenant_of_request(r, &t)) != 0)
		return rc;
	return page(r, 200, t, NULL);
}

/* The case a receipt names: id, public key and receipt credential. */
struct found {
	bool exists;
	char case_id[24];
	unsigned char pk[OB_KEY_BYTES];
	struct ob_receipt_cred cred;
};

static int
find_case(struct ob_req *r, const struct ob_tenant *t,
    const struct ob_receipt *receipt, struct found *f)
{
	struct ob_app *app = r->app;
	struct intake_state *st = app->state;
	unsigned char lookup[OB_RECEIPT_HASH_BYTES];
	char h[HEX(OB_RECEIPT_HASH_BYTES)];
	const char *params[2] = { t->id, h };
	PGresult *res = NULL;
	uint64_t ops, mem;
	int rc;

	memset(f, 0, sizeof(*f));
	ob_receipt_lookup(receipt, st->pepper, lookup);
	if ((rc = ob_db_hex(lookup, sizeof(lookup), h, sizeof(h))) != 0 ||
	    (rc = ob_db_exec(app->db, "fu_case", 2, params, &res)) != 0)
		goto out;
	if (PQntuples(res) != 1)
		goto out;
	if (ob_strlcpy(f->case_id, PQgetvalue(res, 0, 0), sizeof(f->case_id)) !=
		0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 1), f->pk, sizeof(f->pk)) != 0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 2), f->cred.salt,
		sizeof(f->cred.salt)) != 0 ||
	    ob_parse_u64(PQgetvalue(res, 0, 3), 1, 32, &ops) != 0 ||
	    ob_parse_u64(PQgetvalue(res, 0, 4), 1, UINT64_C(1) << 30, &mem) !=
		0 ||
	    ob_db_unhex(PQgetvalue(res, 0, 5), f->cred.sk_wrapped,
		sizeof(f->cred.sk_wrapped)) != 0) {
		rc = OB_EINTERNAL;
		goto out;
	}
	f->cred.params.opslimit = ops;
	f->cred.params.memlimit = mem;
	f->exists = true;
out:
	sodium_memzero(lookup, sizeof(lookup));
	PQclear(res);
	return rc;
}

static int
set_cookie(struct ob_req *r, const struct ob_reporter *s)
{
	struct ob_buf c = OB_BUF_INIT(256);
	int rc = ob_reporter_cookie(s, &c);

	if (rc == 0)
		rc = ob_req_header(r, "Set-Cookie", ob_buf_cstr(&c));
	ob_buf_release_secret(&c);
	return rc;
}

int
h_followup(struct ob_req *r)
{
	struct ob_app *app = r->app;
	struct intake_state *st = app->state;
	const char *typed = ob_form_get(&r->form, "receipt");
	const char *wrong = _("No report was found with that receipt. Check "
			      "it and try again.");
	const struct ob_tenant *t = NULL;
	struct ob_keypair *kp = NULL;
	struct ob_receipt receipt;
	struct ob_reporter s;
	struct found f;
	struct ob_ad ad;
	char path[128];
	int rc, open_rc;

	memset(&receipt, 0, sizeof(receipt));
	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	if ((rc = ob_tenant_of_request(r, &t)) != 0)
		return rc;
	if (ob_throttle_take(
		st->throttle, ob_now_us() / 1000, &r->retry_after_s) != 0)
		return OB_ELIMIT;
	if (typed == NULL ||
	    ob_receipt_parse(typed, strlen(typed), &receipt) != 0) {
		rc = page(r, 400, t,
		    _("A receipt has 20 letters and digits, like "
		      "ABCD-EFGH-JKMN-PQRS-TVWX. Check it and try again."));
		goto out;
	}
	if ((rc = find_case(r, t, &receipt, &f)) != 0)
		goto out;
	if (ob_throttle_enter(st->throttle, &r->retry_after_s) != 0) {
		rc = OB_ELIMIT;
		goto out;
	}
	/* The same Argon2id work whether or not the receipt exists. */
	ob_ad_case(&ad, t->id, f.exists ? f.case_id : "0");
	open_rc =
	    ob_receipt_cred_open(&receipt, f.exists ? &f.cred : &st->decoy,
		f.exists ? f.pk : st->decoy_pk, &ad, &kp);
	ob_throttle_leave(st->throttle);
	if (!f.exists || open_rc != 0) {
		rc = page(r, 401, t, wrong);
		goto out;
	}
	if ((rc = ob_reporter_start(app->db, t, f.case_id, kp, &s)) != 0 ||
	    (rc = set_cookie(r, &s)) != 0)
		goto out;
	snprintf(path, sizeof(path), "/t/%s/case", t->slug);
	rc = ob_page_redirect(r, path);
out:
	ob_receipt_wipe(&receipt);
	ob_reporter_wipe(&s);
	ob_keypair_free(kp);
	sodium_memzero(&f, sizeof(f));
	return rc;
}
