#include "lib/retention.h"

#include <stdio.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/util.h"

/* A warning lists this many cases at most, and counts the rest: the
 * body must stay within outbox.body's 4000 characters. */
#define WARN_LIST "50"

/* A purge may delete a large file's chunks: more time than a request. */
#define PURGE_TIMEOUT_MS "'600000'"

/* Closed cases purged within the next 7 days, not warned about since
 * they were closed (today's are purged now, not announced). */
#define WARN_DUE                                                               \
	"c.status = 'closed' AND (c.purge_warned_on IS NULL OR "               \
	"c.purge_warned_on < c.closed_on) AND ombud_purge_date(c.tenant_id, "  \
	"c.closed_on) BETWEEN current_date + 1 AND current_date + 7"

/* The spent rows the housekeeping deletes. */
#define OTP_SPENT "expires_at <= now()"
#define SESSION_SPENT "expires_at <= now()"
#define OUTBOX_SPENT "sent_at IS NOT NULL OR expires_at <= now()"

const struct ob_stmt ob_retention_stmts[] = {
	{ "ret_read_only",
	    "SELECT set_config('transaction_read_only', 'on', "
	    "true)",
	    0 },
	{ "ret_timeout",
	    "SELECT set_config('statement_timeout', " PURGE_TIMEOUT_MS
	    ", true)",
	    0 },
	/* The expired cases, with what each holds. */
	{ "ret_due",
	    "SELECT c.tenant_id, c.id, t.slug, c.number, "
	    "to_char(c.closed_on, 'YYYY-MM-DD'), "
	    "to_char(ombud_purge_date(c.tenant_id, c.closed_on), "
	    "'YYYY-MM-DD'), "
	    "(SELECT count(*) FROM items i WHERE i.tenant_id = c.tenant_id "
	    "AND i.case_id = c.id), "
	    "(SELECT count(*) FROM files f WHERE f.tenant_id = c.tenant_id "
	    "AND f.case_id = c.id), "
	    "(SELECT count(*) FROM file_chunks k JOIN files f ON f.tenant_id = "
	    "k.tenant_id AND f.id = k.file_id WHERE f.tenant_id = c.tenant_id "
	    "AND f.case_id = c.id), "
	    "(SELECT count(*) FROM case_events e WHERE e.tenant_id = "
	    "c.tenant_id AND e.case_id = c.id) "
	    "FROM cases c JOIN tenants t ON t.id = c.tenant_id "
	    "WHERE (c.tenant_id, c.id) IN (SELECT * FROM "
	    "ombud_expired_cases()) "
	    "ORDER BY t.slug, c.closed_on, c.id",
	    0 },
	/* $1 tenant, $2 case: still expired, and held until the commit (a
	 * file being added to it waits, then finds it gone). */
	{ "ret_lock",
	    "SELECT 1 FROM cases WHERE tenant_id = $1 AND id = $2 "
	    "AND (tenant_id, id) IN (SELECT * FROM ombud_expired_cases()) "
	    "FOR UPDATE",
	    2 },
	/* The stub: the same numbers as the view case_stats computes for
	 * the case (sql/0014_retention.sql); keep the two alike. */
	{ "ret_stub",
	    "INSERT INTO case_stubs (tenant_id, category, opened_month, "
	    "closed_month, outcome, ack_days, feedback_days, ack_in_time, "
	    "feedback_in_time) SELECT tenant_id, category, "
	    "date_trunc('month', opened_on)::date, "
	    "date_trunc('month', closed_on)::date, outcome, "
	    "acknowledged_on - opened_on, "
	    "feedback_on - coalesce(acknowledged_on, opened_on + 7), "
	    "coalesce(acknowledged_on <= ack_due, false), "
	    "coalesce(feedback_on <= feedback_due, false) "
	    "FROM cases WHERE tenant_id = $1 AND id = $2",
	    2 },
	{ "ret_del_chunks",
	    "DELETE FROM file_chunks k USING files f WHERE f.tenant_id = $1 "
	    "AND f.case_id = $2 AND k.tenant_id = f.tenant_id "
	    "AND k.file_id = f.id",
	    2 },
	{ "ret_del_files",
	    "DELETE FROM files WHERE tenant_id = $1 "
	    "AND case_id = $2",
	    2 },
	{ "ret_del_items",
	    "DELETE FROM items WHERE tenant_id = $1 "
	    "AND case_id = $2",
	    2 },
	{ "ret_del_events",
	    "DELETE FROM case_events WHERE tenant_id = $1 AND case_id = $2",
	    2 },
	/* Its reporter sessions go with it (ON DELETE CASCADE). */
	{ "ret_del_case", "DELETE FROM cases WHERE tenant_id = $1 AND id = $2",
	    2 },
	/*
	 * The warning: one mail per tenant and enabled member, naming the
	 * cases and their days, never their content.  $1 the link.  The
	 * cases are marked warned in the same statement.
	 */
	{ "ret_warn",
	    "WITH due AS (UPDATE cases c SET purge_warned_on = current_date "
	    "WHERE " WARN_DUE " RETURNING c.tenant_id, c.number, "
	    "ombud_purge_date(c.tenant_id, c.closed_on) AS purge_on), "
	    "per AS (SELECT d.tenant_id, count(*) AS n, array_to_string(("
	    "array_agg(d.number || ': ' || to_char(d.purge_on, 'YYYY-MM-DD') "
	    "ORDER BY d.purge_on, d.number))[1:" WARN_LIST "], E'\\n') AS list "
	    "FROM due d GROUP BY d.tenant_id), "
	    "mail AS (INSERT INTO outbox (tenant_id, channel, recipient, "
	    "subject, body, expires_at) SELECT p.tenant_id, 'mail', u.email, "
	    "left('Ombud: closed cases in ' || t.name || ' will be deleted', "
	    "200), 'These closed cases in ' || t.name || ' reach the end of "
	    "their retention period (' || t.retention_days || ' days after "
	    "closing) and will be deleted for good on the day shown:' || "
	    "E'\\n\\n' || p.list || CASE WHEN p.n > " WARN_LIST " THEN "
	    "E'\\n... and ' || (p.n - " WARN_LIST ") || ' more' ELSE '' END "
	    "|| E'\\n\\n' || 'Their reports, messages, notes, files and "
	    "history will be deleted; only an anonymous count for the "
	    "statistics remains. Anything the organisation must keep has to "
	    "be kept outside Ombud before then. Sign in to see the cases: ' "
	    "|| $1, now() + interval '7 days' "
	    "FROM per p JOIN tenants t ON t.id = p.tenant_id "
	    "JOIN memberships m ON m.tenant_id = p.tenant_id "
	    "JOIN users u ON u.id = m.user_id AND NOT u.disabled RETURNING 1) "
	    "SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM mail)",
	    1 },
	{ "ret_warn_count",
	    "WITH due AS (SELECT c.tenant_id FROM cases c WHERE " WARN_DUE ") "
	    "SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM "
	    "(SELECT DISTINCT tenant_id FROM due) d JOIN memberships m ON "
	    "m.tenant_id = d.tenant_id JOIN users u ON u.id = m.user_id "
	    "AND NOT u.disabled)",
	    0 },
	/* A session's sign-in challenges go with it (ON DELETE CASCADE). */
	{ "ret_del_otp", "DELETE FROM otp_challenges WHERE " OTP_SPENT, 0 },
	{ "ret_del_sessions", "DELETE FROM sessions WHERE " SESSION_SPENT, 0 },
	{ "ret_del_rsessions",
	    "DELETE FROM reporter_sessions WHERE " SESSION_SPENT, 0 },
	{ "ret_del_outbox", "DELETE FROM outbox WHERE " OUTBOX_SPENT, 0 },
	{ "ret_count_spent",
	    "SELECT (SELECT count(*) FROM otp_challenges WHERE " OTP_SPENT "), "
	    "(SELECT count(*) FROM sessions WHERE " SESSION_SPENT "), "
	    "(SELECT count(*) FROM reporter_sessions WHERE " SESSION_SPENT "), "
	    "(SELECT count(*) FROM outbox WHERE " OUTBOX_SPENT ")",
	    0 },
};
const size_t ob_retention_nstmts = OB_NELEM(ob_retention_stmts);

bool
ob_retention_link_ok(const char *link)
{
	size_t n;

	if (!ob_startswith(link, "https://"))
		return false;
	link += strlen("https://");
	n = strlen(link);
	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((link[i] >= 'a' && link[i] <= 'z') ||
			(link[i] >= 'A' && link[i] <= 'Z') ||
			(link[i] >= '0' && link[i] <= '9') ||
			strchr(".:/_-", link[i]) != NULL))
			return false;
	return true;
}

/* Runs stmt; *changed (may be NULL) gets the rows it changed. */
static int
run(struct ob_db *db, const char *stmt, int n, const char *const *params,
    uint64_t *changed, struct ob_buf *err)
{
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, stmt, n, params, &res)) != 0) {
		ob_buf_seterr(
		    err, "%s failed (sqlstate %s)", stmt, ob_db_sqlstate(db));
		return rc;
	}
	if (changed != NULL &&
	    ob_parse_u64(PQcmdTuples(res), 0, UINT64_MAX, changed) != 0) {
		ob_buf_seterr(err, "%s: no row count", stmt);
		rc = OB_EINTERNAL;
	}
	PQclear(res);
	return rc;
}

/* Runs stmt, a SELECT of one row of counts, into out[0..n-1]. */
static int
counts(struct ob_db *db, const char *stmt, int nparams,
    const char *const *params, uint64_t *const *out, int n, struct ob_buf *err)
{
	PGresult *res = NULL;
	int rc;

	if ((rc = ob_db_exec(db, stmt, nparams, params, &res)) != 0) {
		ob_buf_seterr(
		    err, "%s failed (sqlstate %s)", stmt, ob_db_sqlstate(db));
		return rc;
	}
	for (int i = 0; i < n && rc == 0; i++)
		if (PQntuples(res) != 1 || PQnfields(res) < n ||
		    ob_parse_u64(
			PQgetvalue(res, 0, i), 0, UINT64_MAX, out[i]) != 0) {
			ob_buf_seterr(err, "%s: not a count", stmt);
			rc = OB_EINTERNAL;
		}
	PQclear(res);
	return rc;
}

/* Row i of a ret_due result as a case. */
static int
due_case(PGresult *res, int i, struct ob_retention_case *c)
{
	c->tenant = PQgetvalue(res, i, 2);
	c->number = PQgetvalue(res, i, 3);
	c->closed_on = PQgetvalue(res, i, 4);
	c->purge_on = PQgetvalue(res, i, 5);
	if (ob_parse_u64(PQgetvalue(res, i, 6), 0, UINT64_MAX, &c->items) !=
		0 ||
	    ob_parse_u64(PQgetvalue(res, i, 7), 0, UINT64_MAX, &c->files) !=
		0 ||
	    ob_parse_u64(PQgetvalue(res, i, 8), 0, UINT64_MAX, &c->chunks) !=
		0 ||
	    ob_parse_u64(PQgetvalue(res, i, 9), 0, UINT64_MAX, &c->events) != 0)
		return OB_EINTERNAL;
	return 0;
}

struct purge {
	const char *params[2]; /* tenant id, case id */
	struct ob_retention_case *c; /* counts replaced by what went */
	bool purged; /* false: no longer expired, left alone */
	struct ob_buf *err;
};

static int
purge_tx(struct ob_db *db, void *arg)
{
	struct purge *p = arg;
	struct ob_retention_case *c = p->c;
	PGresult *res = NULL;
	uint64_t gone = 0;
	char detail[160];
	int rc;

	p->purged = false;
	if ((rc = run(db, "ret_timeout", 0, NULL, NULL, p->err)) != 0)
		return rc;
	if ((rc = ob_db_exec(db, "ret_lock", 2, p->params, &res)) != 0) {
		ob_buf_seterr(p->err, "cannot lock case %s (sqlstate %s)",
		    c->number, ob_db_sqlstate(db));
		return rc;
	}
	rc = PQntuples(res);
	PQclear(res);
	if (rc == 0)
		return 0;
	if ((rc = run(db, "ret_stub", 2, p->params, NULL, p->err)) != 0 ||
	    (rc = run(db, "ret_del_chunks", 2, p->params, &c->chunks,
		 p->err)) != 0 ||
	    (rc = run(db, "ret_del_files", 2, p->params, &c->files, p->err)) !=
		0 ||
	    (rc = run(db, "ret_del_items", 2, p->params, &c->items, p->err)) !=
		0 ||
	    (rc = run(db, "ret_del_events", 2, p->params, &c->events,
		 p->err)) != 0 ||
	    (rc = run(db, "ret_del_case", 2, p->params, &gone, p->err)) != 0)
		return rc;
	if (gone != 1) {
		/* Row-level security refused: not expired after all. */
		ob_buf_seterr(p->err, "case %s was not deleted", c->number);
		return OB_EINTERNAL;
	}
	snprintf(detail, sizeof(detail),
	    "items=%llu files=%llu chunks=%llu events=%llu",
	    (unsigned long long)c->items, (unsigned long long)c->files,
	    (unsigned long long)c->chunks, (unsigned long long)c->events);
	if ((rc = ob_audit(db, NULL, p->params[0], p->params[1],
		 "retention.purge", detail)) != 0) {
		ob_buf_seterr(p->err,
		    "the audit row was not written "
		    "(sqlstate %s)",
		    ob_db_sqlstate(db));
		return rc;
	}
	p->purged = true;
	return 0;
}

struct housekeeping {
	const char *link;
	struct ob_retention_counts *n;
	bool incomplete; /* a case failed: say so in the audit row */
	struct ob_buf *err;
};

static int
housekeeping_tx(struct ob_db *db, void *arg)
{
	struct housekeeping *h = arg;
	struct ob_retention_counts *n = h->n;
	uint64_t *const warn[2] = { &n->warned, &n->mails };
	const char *params[1] = { h->link };
	char detail[400];
	int rc;

	if ((rc = counts(db, "ret_warn", 1, params, warn, 2, h->err)) != 0 ||
	    (rc = run(db, "ret_del_otp", 0, NULL, &n->otp, h->err)) != 0 ||
	    (rc = run(db, "ret_del_sessions", 0, NULL, &n->sessions, h->err)) !=
		0 ||
	    (rc = run(db, "ret_del_rsessions", 0, NULL, &n->reporter_sessions,
		 h->err)) != 0 ||
	    (rc = run(db, "ret_del_outbox", 0, NULL, &n->outbox, h->err)) != 0)
		return rc;
	snprintf(detail, sizeof(detail),
	    "cases=%llu items=%llu files=%llu chunks=%llu events=%llu "
	    "warned=%llu mails=%llu sessions=%llu reporter_sessions=%llu "
	    "otp=%llu outbox=%llu%s",
	    (unsigned long long)n->cases, (unsigned long long)n->items,
	    (unsigned long long)n->files, (unsigned long long)n->chunks,
	    (unsigned long long)n->events, (unsigned long long)n->warned,
	    (unsigned long long)n->mails, (unsigned long long)n->sessions,
	    (unsigned long long)n->reporter_sessions,
	    (unsigned long long)n->otp, (unsigned long long)n->outbox,
	    h->incomplete ? " incomplete" : "");
	if ((rc = ob_audit(db, NULL, NULL, NULL, "retention.run", detail)) != 0)
		ob_buf_seterr(h->err,
		    "the audit row was not written "
		    "(sqlstate %s)",
		    ob_db_sqlstate(db));
	return rc;
}

struct dry {
	void (*each)(const struct ob_retention_case *c, void *arg);
	void *arg;
	struct ob_retention_counts *n;
	struct ob_buf *err;
};

static int
dry_tx(struct ob_db *db, void *arg)
{
	struct dry *d = arg;
	struct ob_retention_counts *n = d->n;
	uint64_t *const warn[2] = { &n->warned, &n->mails };
	uint64_t *const spent[4] = { &n->otp, &n->sessions,
		&n->reporter_sessions, &n->outbox };
	struct ob_retention_case c;
	PGresult *res = NULL;
	int rc;

	if ((rc = run(db, "ret_read_only", 0, NULL, NULL, d->err)) != 0)
		return rc;
	if ((rc = ob_db_exec(db, "ret_due", 0, NULL, &res)) != 0) {
		ob_buf_seterr(d->err,
		    "cannot list the expired cases "
		    "(sqlstate %s)",
		    ob_db_sqlstate(db));
		return rc;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		if ((rc = due_case(res, i, &c)) != 0) {
			ob_buf_seterr(d->err, "ret_due: not a count");
			goto out;
		}
		n->cases++;
		n->items += c.items;
		n->files += c.files;
		n->chunks += c.chunks;
		n->events += c.events;
		if (d->each != NULL)
			d->each(&c, d->arg);
	}
	if ((rc = counts(db, "ret_warn_count", 0, NULL, warn, 2, d->err)) !=
		0 ||
	    (rc = counts(db, "ret_count_spent", 0, NULL, spent, 4, d->err)) !=
		0)
		goto out;
out:
	PQclear(res);
	return rc;
}

int
ob_retention_run(struct ob_db *db, const char *link, bool dry_run,
    void (*each)(const struct ob_retention_case *c, void *arg), void *arg,
    struct ob_retention_counts *out, struct ob_buf *err)
{
	struct ob_retention_counts *n = out;
	struct housekeeping h = { link, out, false, err };
	struct ob_retention_case c;
	PGresult *due = NULL;
	int rc, failed = 0;

	memset(out, 0, sizeof(*out));
	if (!ob_retention_link_ok(link)) {
		ob_buf_seterr(err,
		    "the link for the warning is not an https:// address "
		    "of at most 200 characters of A-Z a-z 0-9 . : / _ -");
		return OB_EINVAL;
	}
	if (dry_run) {
		struct dry d = { each, arg, out, err };

		return ob_db_tx(db, dry_tx, &d);
	}

	/* The list is read once; each case is checked again under its
	 * lock, in its own transaction. */
	if ((rc = ob_db_exec(db, "ret_due", 0, NULL, &due)) != 0) {
		ob_buf_seterr(err,
		    "cannot list the expired cases (sqlstate %s)",
		    ob_db_sqlstate(db));
		return rc;
	}
	for (int i = 0; i < PQntuples(due); i++) {
		struct purge p = { { PQgetvalue(due, i, 0),
				       PQgetvalue(due, i, 1) },
			&c, false, err };

		if ((rc = due_case(due, i, &c)) != 0) {
			ob_buf_seterr(err, "ret_due: not a count");
			failed = rc;
			break;
		}
		if ((rc = ob_db_tx(db, purge_tx, &p)) != 0) {
			failed = rc;
			break;
		}
		if (!p.purged)
			continue;
		n->cases++;
		n->items += c.items;
		n->files += c.files;
		n->chunks += c.chunks;
		n->events += c.events;
		if (each != NULL)
			each(&c, arg);
	}
	PQclear(due);

	/* Even after a failure the run is recorded with what it did;
	 * the first error is the one reported. */
	h.incomplete = failed != 0;
	if (failed != 0) {
		struct ob_buf ignored = OB_BUF_INIT(512);

		h.err = &ignored;
		if (ob_db_tx(db, housekeeping_tx, &h) != 0)
			ob_buf_errf(err, "; the run was not recorded either");
		ob_buf_release(&ignored);
		return failed;
	}
	return ob_db_tx(db, housekeeping_tx, &h);
}
