/*
 * intake.h - the reporters' pool: what its handlers share (main.c sets
 * it up in the master, before the children fork).
 *
 *   tenant.c    GET /t/<slug>/, the questionnaire's categories
 *   report.c    GET and POST /t/<slug>/report: the report and its receipt
 *   followup.c  GET and POST /t/<slug>/followup: the receipt opens a
 *               reporter session (lib/reporter.h)
 *   case.c      GET /t/<slug>/case, POST .../messages, POST .../logout
 */
#ifndef OB_INTAKE_H
#define OB_INTAKE_H

#include "lib/crypto.h"
#include "lib/questionnaire.h"
#include "lib/receipt.h"
#include "lib/reporter.h"
#include "lib/req.h"
#include "lib/throttle.h"

/* Text limits, in characters (code points). */
#define INTAKE_DESCRIPTION_MAX 20000
#define INTAKE_DETAIL_MAX 2000
#define INTAKE_IDENTITY_MAX 200
#define INTAKE_MESSAGE_MAX 20000

struct intake_state {
	/* Receipt attempts per second, and concurrent Argon2id runs
	 * (a submission wraps the case key, a follow-up unwraps it). */
	struct ob_throttle *throttle;
	/* The receipt lookup key ([receipt] pepper_file). */
	struct ob_pepper *pepper;
	/* A case credential of no case: an unknown receipt costs the same
	 * Argon2id run as a known one. */
	struct ob_receipt_cred decoy;
	unsigned char decoy_pk[OB_KEY_BYTES];
	/* Where handlers sign in, for the notices ([site] url + /cases/). */
	char handler_link[256];
};

extern const struct ob_stmt report_stmts[];
extern const size_t report_nstmts;
extern const struct ob_stmt followup_stmts[];
extern const size_t followup_nstmts;
extern const struct ob_stmt case_stmts[];
extern const size_t case_stmts_n;

/*
 * The tenant's categories in the request's language (its own, or the
 * built-in list), in the request's arena.
 */
int intake_categories(struct ob_req *r, const struct ob_tenant *t,
    const struct ob_category **out, size_t *n) OB_MUST_CHECK;

/*
 * Queues the content-free notice what ("new-report" or
 * "reporter-message") for the handlers of the tenant (report.c), in
 * the caller's transaction.
 */
int intake_notify(struct ob_db *db, const struct intake_state *st,
    const char *tenant_id, const char *case_id, const char *what) OB_MUST_CHECK;

/* Number of code points in valid UTF-8 s. */
size_t intake_chars(const char *s);

/* True when s holds something other than white space. */
bool intake_has_text(const char *s);

/*
 * A new template context with the tenant's name and slug set, and the
 * page title: the translated title with "{tenant}" replaced by the
 * tenant's name (translations move it where their grammar wants it),
 * after "Error: " when the page shows errors.
 */
struct ob_tctx *intake_ctx(
    struct ob_req *r, const struct ob_tenant *t, const char *title, bool error);

int h_tenant(struct ob_req *r);
int h_report_form(struct ob_req *r);
int h_report(struct ob_req *r);
int h_followup_form(struct ob_req *r);
int h_followup(struct ob_req *r);
int h_case(struct ob_req *r);
int h_case_message(struct ob_req *r);
int h_case_logout(struct ob_req *r);

#endif
