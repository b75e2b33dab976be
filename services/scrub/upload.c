/*
 * Uploads (issue 7): POST /t/<slug>/case/files from a reporter's case
 * page and POST /cases/<id>/files from a handler's, multipart field
 * "file" (several allowed) after the form token "csrf".
 *
 * The body streams through lib/multipart.  The token must come first
 * and be the session's: no byte of a file is kept before it is checked.
 * Each file goes to a memfd (anonymous memory, never a named file on
 * disk) up to the pool's body cap; then a sandboxed child
 * (lib/sandbox.h) detects its type from the bytes (libmagic, for the
 * report; lib/scrub's magic numbers, for the choice) and runs the
 * family's scrubber into a second memfd.  What comes out is encrypted
 * into the case as it is read (lib/filestore.h) with the report beside
 * it.  A file the child refuses, or that kills it, is not stored; the
 * page says why and the pool serves on.  The answer lists every file
 * with its report: the reporter sees what was removed right away.
 */
#include <errno.h>
#include <magic.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/auth.h"
#include "lib/csrf.h"
#include "lib/filestore.h"
#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/multipart.h"
#include "lib/page.h"
#include "lib/reporter.h"
#include "lib/sandbox.h"
#include "lib/scrub/run.h"
#include "lib/scrub/scrub.h"
#include "lib/service.h"
#include "lib/util.h"
#include "services/scrub/scrub.h"

#define FIELD_MAX 128 /* the csrf field */

const struct ob_stmt upload_stmts[] = {
	{ "up_reporter_case",
	    "SELECT public_key FROM cases WHERE tenant_id = $1 AND id = $2",
	    2 },
	/* The tenant's file policy (sql/0013_scrub_settings.sql). */
	{ "up_handler_case",
	    "SELECT c.tenant_id, c.public_key, t.unknown_files = 'keep', "
	    "t.flatten_pdf FROM cases c "
	    "JOIN tenants t ON t.id = c.tenant_id WHERE c.id = $1",
	    1 },
	{ "up_notify", "SELECT ombud_notify_handlers($1, $2, $3, $4)", 4 },
};
const size_t upload_nstmts = OB_NELEM(upload_stmts);

struct upload {
	struct ob_req *r;
	bool reporter;
	char tenant_id[24], case_id[24], author_id[24];
	unsigned char case_pk[OB_KEY_BYTES];
	struct ob_tctx *ctx;
	bool csrf_ok;
	/* The tenant's policy (sql/0013_scrub_settings.sql). */
	bool keep_unknown, flatten_pdf, may_keep_metadata;
	/* The reporter asked to keep the files' metadata (a field before
	 * the files; honoured only where the tenant allows it). */
	bool keep_metadata;
	/* The part in progress. */
	bool in_csrf, in_keep, in_file;
	struct ob_buf field;
	int fd;
	char name[256];
	char declared[128]; /* the part's Content-Type, untrusted */
	uint64_t size;
	unsigned stored, refused;
	bool notify;
};

/* ---- storing ---- */

struct store {
	struct upload *u;
	int fd;
	const char *type, *report;
	char id[24];
};

static int
store_tx(struct ob_db *db, void *arg)
{
	struct store *s = arg;
	struct upload *u = s->u;
	struct ob_app *app = u->r->app;
	struct scrub_state *st = app->state;
	struct ob_file_new f = { u->tenant_id, u->case_id, u->case_pk,
		u->reporter ? "reporter" : "handler",
		u->reporter ? NULL : u->author_id, u->name, s->type, s->report,
		s->fd, app->settings.max_body_bytes };
	const char *params[4] = { u->tenant_id, u->case_id, "reporter-message",
		st->handler_link };
	int rc;

	if ((rc = ob_file_store(db, &f, s->id)) != 0)
		return rc;
	/* The handlers hear that the reporter added something; once. */
	if (u->reporter && !u->notify) {
		rc = ob_db_run(db, "up_notify", 4, params);
		u->notify = rc == 0;
	}
	return rc;
}

static int
in_session(struct upload *u, int (*fn)(struct ob_db *db, void *arg), void *arg)
{
	return u->reporter ? ob_reporter_tx(u->r, fn, arg)
			   : ob_auth_tx(u->r, fn, arg);
}

/* One result line of the page, with the file's report (or NULL). */
static void
result(struct upload *u, bool stored, const char *text, const char *report)
{
	struct ob_tctx *f = ob_tctx_add_item(u->ctx, "files");

	ob_tctx_set(f, "name", u->name);
	ob_tctx_set_bool(f, "stored", stored);
	ob_tctx_set(f, "error", text ? text : "");
	ob_tctx_split(f, "report", report, "\n");
}

/*
 * The reporter kept the file as it was: the scrubber's findings are now
 * what stays in it, and the report says so line by line, so the
 * reporter sees what the file still tells about them.
 */
static int
report_kept(const struct ob_buf *scrubbed, struct ob_buf *report)
{
	static const char removed[] = "removed: ";
	const char *p = ob_buf_cstr(scrubbed);
	int rc = ob_buf_puts(report,
	    "kept: the file as it was sent, at the reporter's request; "
	    "these details stay in it:\n");

	while (rc == 0 && *p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p + 1) : strlen(p);

		if (n > sizeof(removed) - 1 &&
		    memcmp(p, removed, sizeof(removed) - 1) == 0)
			rc = ob_buf_printf(report, "kept: %.*s",
			    (int)(n - (sizeof(removed) - 1)),
			    p + sizeof(removed) - 1);
		else if (strncmp(p, "changed: ", 9) != 0)
			rc = ob_buf_append(report, p, n);
		p += n;
	}
	return rc;
}

static void
refuse(struct upload *u, const char *text, const char *report)
{
	result(u, false, text, report);
	u->refused++;
}

/*
 * One file is in u->fd: clean it in the sandbox, apply the tenant's
 * policy, store what is to be kept, and add its line to the page.
 */
static void
finish_file(struct upload *u)
{
	struct ob_app *app = u->r->app;
	struct scrub_state *st = app->state;
	struct ob_scrub_run_opts o = { st->magic, u->flatten_pdf, st->sandbox };
	struct ob_scrub_result res;
	struct ob_buf report = OB_BUF_INIT(2 * OB_SANDBOX_REPORT_MAX);
	bool kept = u->reporter && u->keep_metadata && u->may_keep_metadata;
	struct store s;
	int out, rc;

	memset(&res, 0, sizeof(res));
	out = memfd_create("scrubbed", MFD_CLOEXEC);
	if (out < 0 || (rc = ob_scrub_run(u->fd, out, &o, &res)) != 0) {
		refuse(u, _("The file could not be processed."), NULL);
		goto out;
	}
	if (ob_buf_printf(&report, "type: %s\n", res.type) != 0 ||
	    (kept && res.outcome == OB_SCRUB_CLEANED
		    ? report_kept(&res.report, &report)
		    : ob_buf_puts(&report, ob_buf_cstr(&res.report))) != 0)
		ob_log_warn(u->r->rid, "scrub: the report is full");
	/* The type is taken from the bytes; a browser's claim that differs
	 * is worth telling (a renamed file), never worth believing. */
	if (u->declared[0] != '\0' && strcmp(u->declared, res.type) != 0 &&
	    strcmp(u->declared, "application/octet-stream") != 0 &&
	    ob_buf_printf(&report,
		"note: sent as %.60s, but the bytes are %.60s\n", u->declared,
		res.type) != 0)
		ob_log_warn(u->r->rid, "scrub: the report is full");
	switch (res.outcome) {
	case OB_SCRUB_DIED:
		ob_log_warn(
		    u->r->rid, "scrub: a file's child died: %s", res.why);
		refuse(u,
		    _("The file could not be checked safely and "
		      "was not stored."),
		    ob_buf_cstr(&report));
		goto out;
	case OB_SCRUB_UNCLEANABLE:
		if (!u->keep_unknown) {
			refuse(u,
			    _("Files of this type cannot be cleaned of "
			      "hidden details, so they are not accepted. "
			      "Send it as PDF, image or office document."),
			    ob_buf_cstr(&report));
			goto out;
		}
		/* The tenant keeps what cannot be cleaned, marked so. */
		if (ob_buf_puts(&report,
			"not-checked: the whole file (not scrubbed)\n") != 0) {
			refuse(u, _("The file could not be processed."), NULL);
			goto out;
		}
		kept = true;
		break;
	case OB_SCRUB_REFUSED:
		refuse(u,
		    _("The file is damaged, or not what it says "
		      "it is, and was not stored."),
		    ob_buf_cstr(&report));
		goto out;
	case OB_SCRUB_CLEANED:
		break;
	}
	memset(&s, 0, sizeof(s));
	s.u = u;
	s.type = res.type;
	s.fd = kept ? u->fd : out;
	s.report = ob_buf_cstr(&report);
	if (lseek(s.fd, 0, SEEK_SET) != 0 ||
	    (rc = in_session(u, store_tx, &s)) != 0) {
		ob_log_error(
		    u->r->rid, "scrub: not stored: %s", ob_strerror(rc));
		refuse(u,
		    rc == OB_ETOOBIG ? _("The file is too large.")
				     : _("The file could not be stored."),
		    NULL);
		goto out;
	}
	result(u, true, NULL, ob_buf_cstr(&report));
	u->stored++;
out:
	if (out >= 0)
		close(out);
	close(u->fd);
	u->fd = -1;
	ob_scrub_result_release(&res);
	ob_buf_release(&report);
}

/* ---- the multipart callbacks ---- */

static int
on_begin(void *arg, const struct ob_multipart_part *p)
{
	struct upload *u = arg;

	u->in_csrf = u->in_keep = u->in_file = false;
	if (strcmp(p->name, "csrf") == 0 && p->filename == NULL) {
		u->in_csrf = true;
		ob_buf_reset(&u->field);
		return 0;
	}
	/* The reporter's choice to keep metadata: after the token, before
	 * the files it is for (the form's order). */
	if (strcmp(p->name, "keep_metadata") == 0 && p->filename == NULL) {
		if (!u->csrf_ok)
			return OB_ECSRF;
		u->in_keep = true;
		ob_buf_reset(&u->field);
		return 0;
	}
	if (strcmp(p->name, "file") != 0 || p->filename == NULL)
		return 0; /* nothing else is read */
	/* Not a byte of a file before the form token was checked. */
	if (!u->csrf_ok)
		return OB_ECSRF;
	if (p->filename[0] == '\0')
		return 0; /* the file input was left empty */
	if (ob_multipart_safe_filename(p->filename, u->name, sizeof(u->name)) !=
	    0)
		snprintf(u->name, sizeof(u->name), "%s", "file");
	snprintf(u->declared, sizeof(u->declared), "%s", p->content_type);
	u->fd = memfd_create("upload", MFD_CLOEXEC);
	if (u->fd < 0)
		return OB_EIO;
	u->size = 0;
	u->in_file = true;
	return 0;
}

static int
on_data(void *arg, const struct ob_multipart_part *p, const char *d, size_t n)
{
	struct upload *u = arg;

	(void)p;
	if (u->in_csrf || u->in_keep)
		return u->field.len + n > FIELD_MAX
		    ? OB_ECSRF
		    : ob_buf_append(&u->field, d, n);
	if (!u->in_file)
		return 0;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(u->fd, d + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return OB_EIO;
		off += (size_t)w;
	}
	u->size += n;
	return 0;
}

static int
on_end(void *arg, const struct ob_multipart_part *p)
{
	struct upload *u = arg;

	(void)p;
	if (u->in_csrf) {
		u->csrf_ok = ob_csrf_check_session(u->r->csrf_session,
				 ob_buf_cstr(&u->field)) == 0;
		ob_buf_release_secret(&u->field);
		ob_buf_init(&u->field, FIELD_MAX + 1);
		if (!u->csrf_ok)
			return OB_ECSRF;
	} else if (u->in_keep) {
		u->keep_metadata = strcmp(ob_buf_cstr(&u->field), "1") == 0;
	} else if (u->in_file) {
		finish_file(u);
	}
	u->in_csrf = u->in_keep = u->in_file = false;
	return 0;
}

/* ---- the request ---- */

static int
reporter_case_tx(struct ob_db *db, void *arg)
{
	struct upload *u = arg;
	const char *params[2] = { u->tenant_id, u->case_id };
	PGresult *res = NULL;
	int rc = ob_db_exec(db, "up_reporter_case", 2, params, &res);

	if (rc == 0 &&
	    (PQntuples(res) != 1 ||
		ob_db_unhex(PQgetvalue(res, 0, 0), u->case_pk,
		    sizeof(u->case_pk)) != 0))
		rc = OB_ENOENT;
	PQclear(res);
	return rc;
}

static int
handler_case_tx(struct ob_db *db, void *arg)
{
	struct upload *u = arg;
	const char *params[1] = { u->case_id };
	PGresult *res = NULL;
	int rc = ob_db_exec(db, "up_handler_case", 1, params, &res);

	if (rc == 0 &&
	    (PQntuples(res) != 1 ||
		ob_strlcpy(u->tenant_id, PQgetvalue(res, 0, 0),
		    sizeof(u->tenant_id)) != 0 ||
		ob_db_unhex(PQgetvalue(res, 0, 1), u->case_pk,
		    sizeof(u->case_pk)) != 0))
		rc = OB_ENOENT;
	if (rc == 0) {
		u->keep_unknown = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
		u->flatten_pdf = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	}
	PQclear(res);
	return rc;
}

static int
run(struct upload *u, const char *back)
{
	struct ob_req *r = u->r;
	const struct ob_multipart_cb cb = { on_begin, on_data, on_end };
	struct ob_multipart_limits lim = ob_multipart_default_limits;
	struct ob_app *app = r->app;
	struct ob_multipart *mp = NULL;
	char boundary[OB_MULTIPART_BOUNDARY_MAX + 1], buf[64 * 1024];
	size_t got;
	int rc;

	lim.max_total = app->settings.max_body_bytes;
	if (ob_multipart_boundary(
		r->content_type, boundary, sizeof(boundary)) != 0)
		return OB_EUNSUPP;
	if ((rc = ob_multipart_new(boundary, &lim, &cb, u, &mp)) != 0)
		return rc;
	ob_tctx_set_list(u->ctx, "files");
	do {
		if ((rc = ob_req_read(r, buf, sizeof(buf), &got)) != 0)
			break;
		rc = ob_multipart_feed(mp, buf, got);
	} while (rc == 0 && got > 0);
	if (rc == 0)
		rc = ob_multipart_finish(mp);
	ob_multipart_free(mp);
	if (u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
	}
	if (rc != 0)
		return rc;
	ob_tctx_set(u->ctx, "title", _("Your files"));
	ob_tctx_set(u->ctx, "back", back);
	ob_tctx_set_bool(u->ctx, "any", u->stored + u->refused > 0);
	return ob_page_render(r, u->refused > 0 ? 400 : 200, "upload", u->ctx);
}

static void
upload_init(struct upload *u, struct ob_req *r, bool reporter)
{
	memset(u, 0, sizeof(*u));
	u->r = r;
	u->reporter = reporter;
	u->fd = -1;
	u->ctx = ob_tctx_new(r->arena);
	ob_buf_init(&u->field, FIELD_MAX + 1);
}

int
h_reporter_upload(struct ob_req *r)
{
	const struct ob_reporter *s = ob_reporter_current(r);
	struct upload u;
	char back[128];
	int rc;

	upload_init(&u, r, true);
	snprintf(u.tenant_id, sizeof(u.tenant_id), "%s", s->tenant.id);
	snprintf(u.case_id, sizeof(u.case_id), "%s", s->case_id);
	snprintf(back, sizeof(back), "/t/%s/case", s->tenant.slug);
	u.keep_unknown = s->tenant.keep_unknown;
	u.flatten_pdf = s->tenant.flatten_pdf;
	u.may_keep_metadata = s->tenant.reporter_keeps_metadata;
	if ((rc = ob_reporter_tx(r, reporter_case_tx, &u)) == 0)
		rc = run(&u, back);
	ob_buf_release_secret(&u.field);
	return rc;
}

int
h_handler_upload(struct ob_req *r)
{
	struct ob_auth_user *a = ob_auth_current(r);
	const char *id = ob_req_path_param(r, "id");
	struct upload u;
	char back[64];
	uint64_t v;
	int rc;

	upload_init(&u, r, false);
	if (id == NULL || ob_parse_u64(id, 1, INT64_MAX, &v) != 0)
		return OB_ENOENT;
	snprintf(u.case_id, sizeof(u.case_id), "%llu", (unsigned long long)v);
	snprintf(u.author_id, sizeof(u.author_id), "%s", a->session.user_id);
	snprintf(back, sizeof(back), "/cases/%s", u.case_id);
	if ((rc = ob_auth_tx(r, handler_case_tx, &u)) == 0)
		rc = run(&u, back);
	ob_buf_release_secret(&u.field);
	return rc;
}
