/*
 * A case's files for handlers (issue 6 item 2, issue 7 item 7): the
 * list beside the case (name, type, size, who and when, the scrub
 * report) and GET /cases/<id>/files/<fid>, decrypted while it streams
 * (lib/filestore.h), as an attachment under its original name, with an
 * audit row per download.
 *
 * The download is always application/octet-stream with nosniff: what a
 * reporter uploaded is never rendered by the handler's browser in our
 * origin, whatever it claims or contains.
 */
#include <stdio.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/auth.h"
#include "lib/filestore.h"
#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/page.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/cases/cases.h"

const struct ob_stmt file_stmts[] = {
	{ "cf_list",
	    "SELECT id, side, created_on, size_bytes FROM files "
	    "WHERE tenant_id = $1 AND case_id = $2 AND complete ORDER BY id",
	    2 },
	{ "cf_case",
	    "SELECT tenant_id, public_key, sk_sealed_tenant FROM cases "
	    "WHERE id = $1",
	    1 },
};
const size_t file_nstmts = OB_NELEM(file_stmts);

/* "12.3 MB" and the like, for people. */
static void
human_size(uint64_t n, char out[32])
{
	if (n < 1024)
		snprintf(out, 32, "%llu B", (unsigned long long)n);
	else if (n < 1024 * 1024)
		snprintf(out, 32, "%.1f KB", (double)n / 1024);
	else
		snprintf(out, 32, "%.1f MB", (double)n / (1024 * 1024));
}

int
cases_list_files(struct ob_req *r, struct ob_db *db, struct ob_tctx *ctx,
    const struct ob_keypair *case_kp, const char *tenant_id,
    const char *case_id)
{
	const char *params[2] = { tenant_id, case_id };
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "cf_list", 2, params, &res)) != 0)
		return rc;
	ob_tctx_set_list(ctx, "files");
	for (int i = 0; i < PQntuples(res); i++) {
		struct ob_tctx *f = ob_tctx_add_item(ctx, "files");
		struct ob_file_meta m;
		char size[32];
		uint64_t n = 0;

		if (ob_file_meta(db, r->arena, case_kp, tenant_id, case_id,
			PQgetvalue(res, i, 0), &m) != 0) {
			ob_log_error(r->rid, "cases: a file does not open");
			m.name = _("(this file cannot be decrypted)");
			m.type = "";
			m.report = "";
		}
		if (ob_parse_u64(PQgetvalue(res, i, 3), 0, INT64_MAX, &n) != 0)
			n = 0;
		human_size(n, size);
		ob_tctx_set(f, "fid", PQgetvalue(res, i, 0));
		ob_tctx_set(f, "name", m.name);
		ob_tctx_set(f, "type", m.type);
		ob_tctx_set(f, "size", size);
		ob_tctx_set(f, "date", PQgetvalue(res, i, 2));
		ob_tctx_set_bool(f, "reporter",
		    strcmp(PQgetvalue(res, i, 1), "reporter") == 0);
		ob_tctx_split(f, "report", m.report, "\n");
	}
	ob_tctx_set_bool(ctx, "has_files", PQntuples(res) > 0);
	PQclear(res);
	return 0;
}

/*
 * Content-Disposition for a name: an ASCII fallback (anything else
 * becomes '_') and the UTF-8 name percent-encoded (RFC 6266, 8187).
 */
static int
disposition(struct ob_req *r, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	struct ob_buf b = OB_BUF_INIT(4096);
	int rc;

	rc = ob_buf_puts(&b, "attachment; filename=\"");
	for (const char *p = name; rc == 0 && *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' &&
		    c != '%' && c != ';';

		rc = ob_buf_putc(&b, plain ? (char)c : '_');
	}
	if (rc == 0)
		rc = ob_buf_puts(&b, "\"; filename*=UTF-8''");
	for (const char *p = name; rc == 0 && *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			rc = ob_buf_putc(&b, (char)c);
		else
			rc = ob_buf_printf(
			    &b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
	if (rc == 0)
		rc = ob_req_header(r, "Content-Disposition", ob_buf_cstr(&b));
	ob_buf_release(&b);
	return rc;
}

struct download {
	struct ob_req *r;
	char case_id[24], file_id[24], tenant_id[24];
	struct ob_keypair *kp;
	const char *name;
	bool started;
};

static int
emit(void *arg, const void *p, size_t n)
{
	struct download *d = arg;

	return ob_req_write(d->r, p, n);
}

/* First transaction: the keys, the name, and the audit row, committed
 * before a byte leaves (even if the stream breaks off later). */
static int
prepare_tx(struct ob_db *db, void *arg)
{
	struct download *d = arg;
	struct ob_auth_user *u = ob_auth_current(d->r);
	const char *params[1] = { d->case_id };
	unsigned char pk[OB_KEY_BYTES];
	struct ob_file_meta m;
	PGresult *c = NULL;
	int rc;

	if ((rc = ob_db_exec(db, "cf_case", 1, params, &c)) != 0)
		goto out;
	if (PQntuples(c) != 1 ||
	    ob_db_unhex(PQgetvalue(c, 0, 1), pk, sizeof(pk)) != 0 ||
	    ob_strlcpy(
		d->tenant_id, PQgetvalue(c, 0, 0), sizeof(d->tenant_id)) != 0) {
		rc = OB_ENOENT;
		goto out;
	}
	rc = ob_auth_case_key(d->r, db, d->tenant_id, d->case_id, pk,
	    PQgetvalue(c, 0, 2), &d->kp);
	if (rc == OB_EPERM)
		rc = OB_ENOENT;
	if (rc != 0 ||
	    (rc = ob_file_meta(db, d->r->arena, d->kp, d->tenant_id, d->case_id,
		 d->file_id, &m)) != 0)
		goto out;
	if (!m.complete) {
		rc = OB_ENOENT;
		goto out;
	}
	d->name = m.name;
	rc = ob_audit(db, u->session.user_id, d->tenant_id, d->case_id,
	    "case.file_download", d->file_id);
out:
	PQclear(c);
	return rc;
}

/* Second transaction: the bytes, decrypted as they go out. */
static int
stream_tx(struct ob_db *db, void *arg)
{
	struct download *d = arg;
	int rc;

	ob_req_status(d->r, 200);
	if ((rc = ob_req_header(
		 d->r, "Content-Type", "application/octet-stream")) != 0 ||
	    (rc = ob_req_header(d->r, "X-Content-Type-Options", "nosniff")) !=
		0 ||
	    (rc = disposition(d->r, d->name)) != 0 ||
	    (rc = ob_req_send_headers(d->r)) != 0)
		return rc;
	d->started = true;
	return ob_file_read(
	    db, d->kp, d->tenant_id, d->case_id, d->file_id, emit, d);
}

int
h_file_download(struct ob_req *r)
{
	struct download d = { r, "", "", "", NULL, NULL, false };
	const char *fid = ob_req_path_param(r, "fid");
	uint64_t v;
	int rc;

	if (!cases_path_id(r, d.case_id) || fid == NULL ||
	    ob_parse_u64(fid, 1, INT64_MAX, &v) != 0)
		return OB_ENOENT;
	snprintf(d.file_id, sizeof(d.file_id), "%llu", (unsigned long long)v);
	if ((rc = ob_auth_tx(r, prepare_tx, &d)) == 0)
		rc = ob_auth_tx(r, stream_tx, &d);
	if (rc != 0 && d.started)
		ob_log_error(
		    r->rid, "cases: a download broke off: %s", ob_strerror(rc));
	ob_keypair_free(d.kp);
	return rc;
}
