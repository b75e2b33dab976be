/*
 * cases.h - the handlers' pool (issue 6): what its files share.
 *
 *   list.c     GET /cases/: every case of every tenant the handler may
 *              read, with deadlines, filters, sorting and pages
 *   view.c     GET /cases/<id>: the case decrypted, thread, notes, history
 *   actions.c  POST /cases/<id>/...: acknowledge, status, assign,
 *              category, reply, note - each a case event and an audit row
 *   admin_tenants.c, admin_users.c  /admin/: tenants, handlers, audit
 *   stats.c    GET /cases/stats and /cases/stats.csv: cases opened,
 *              by month, category and status, times to acknowledgement
 *              and feedback, deadlines kept, as charts, tables and CSV
 *
 * Every read of tenant data runs in ob_auth_tx (lib/auth.h): row-level
 * security sees the tenants of the session's user and nothing else, so
 * a case of another tenant is simply not there (404), whatever the
 * handler's role.
 */
#ifndef OB_CASES_H
#define OB_CASES_H

#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/password.h"
#include "lib/req.h"

/* What the master prepares for the children (main.c). */
struct cases_state {
	/* For handlers made on the admin pages. */
	struct ob_pwdict *dict; /* [paths] password_dictionary */
	struct ob_pwparams params; /* [passwords] */
};

extern const struct ob_stmt list_stmts[];
extern const size_t list_nstmts;
extern const struct ob_stmt view_stmts[];
extern const size_t view_nstmts;
extern const struct ob_stmt action_stmts[];
extern const size_t action_nstmts;
extern const struct ob_stmt admin_tenant_stmts[];
extern const size_t admin_tenant_nstmts;
extern const struct ob_stmt admin_user_stmts[];
extern const size_t admin_user_nstmts;
extern const struct ob_stmt file_stmts[];
extern const size_t file_nstmts;
extern const struct ob_stmt stats_stmts[];
extern const size_t stats_nstmts;

/* The label of a case status, translated. */
const char *cases_status_label(const char *status);

/* The label of an outcome key, translated; the key if unknown. */
const char *cases_outcome_label(const char *outcome);

/* The outcomes a case may close with (sql/0007_handling.sql), NULL-ended. */
extern const char *const cases_outcomes[];

/* The case id of the path's {id}: decimal, 1..2^63-1; false if not. */
bool cases_path_id(struct ob_req *r, char out[24]);

/*
 * The case page of case id with HTTP status, and error (or NULL) above
 * it; a refused reply or note keeps what was typed in its own form.
 */
int cases_render(
    struct ob_req *r, const char *id, int status, const char *error);

/*
 * files.c: the case's complete files as the template's "files" list
 * (fid, name, type, size, date, reporter, report lines) and has_files,
 * inside the view's transaction.
 */
int cases_list_files(struct ob_req *r, struct ob_db *db, struct ob_tctx *ctx,
    const struct ob_keypair *case_kp, const char *tenant_id,
    const char *case_id) OB_MUST_CHECK;

int h_list(struct ob_req *r);
int h_view(struct ob_req *r);
int h_acknowledge(struct ob_req *r);
int h_status(struct ob_req *r);
int h_assign(struct ob_req *r);
int h_category(struct ob_req *r);
int h_reply(struct ob_req *r);
int h_note(struct ob_req *r);
int h_admin_home(struct ob_req *r);
int h_admin_tenants(struct ob_req *r);
int h_admin_tenant_add(struct ob_req *r);
int h_admin_tenant(struct ob_req *r);
int h_admin_tenant_save(struct ob_req *r);
int h_admin_users(struct ob_req *r);
int h_admin_user_add(struct ob_req *r);
int h_admin_user(struct ob_req *r);
int h_admin_user_act(struct ob_req *r);
int h_admin_audit(struct ob_req *r);
int h_file_download(struct ob_req *r);
int h_stats(struct ob_req *r);
int h_stats_csv(struct ob_req *r);

#endif
