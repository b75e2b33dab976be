/*
 * retention.h - keeping records no longer than needed (EU Directive
 * 2019/1937 art. 18, GDPR art. 5(1)(e); issue 8): what `ombudctl
 * retention run` does, nightly from a timer.
 *
 * A case closed longer ago than its tenant's retention_days (default
 * 60) is purged: its items, files and their chunks, history, reporter
 * sessions, and the case row with its keys and receipt hash.  What is
 * left is a statistics stub (tenant, category, months opened and
 * closed, outcome, days to acknowledgement and feedback) that
 * /cases/stats counts like the case (sql/0014_retention.sql).  Open
 * cases never expire.  Each case goes in a transaction of its own with
 * its audit row "retention.purge", so a run that stops half-way leaves
 * every case whole or gone, and the next run goes on.
 *
 * Then, in one more transaction: the handlers of each tenant get one
 * content-free mail naming the cases that will be purged within 7 days
 * (case numbers and days; once per case), expired handler and reporter
 * sessions, expired sign-in challenges and sent or expired mail are
 * deleted, and an audit row "retention.run" records the counts.
 *
 * The database role is ombud_retention ([retention] user): it sees
 * closed cases without keys or content, and row-level security lets it
 * delete only expired ones.  Register ob_retention_stmts and
 * ob_audit_stmts before connecting.
 */
#ifndef OB_RETENTION_H
#define OB_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/ob.h"

extern const struct ob_stmt ob_retention_stmts[];
extern const size_t ob_retention_nstmts;

/* What a run did, or in a dry run would do. */
struct ob_retention_counts {
	uint64_t cases; /* purged */
	uint64_t items, files, chunks, events; /* of those cases */
	uint64_t warned; /* cases whose purge was announced */
	uint64_t mails; /* warnings queued for their handlers */
	uint64_t sessions, reporter_sessions, otp, outbox; /* expired */
};

/* One purged case, for the operator's output.  Strings live as long as
 * the call to the callback. */
struct ob_retention_case {
	const char *tenant; /* slug */
	const char *number;
	const char *closed_on, *purge_on; /* YYYY-MM-DD */
	uint64_t items, files, chunks, events;
};

/*
 * Runs retention.  link is where the warning sends handlers (the site's
 * https:// address and /cases/; OB_EINVAL if it is not such a link).
 * each (may be NULL) is called for every case purged, after its
 * transaction committed, or in a dry run for every case that would be.
 * A dry run reads only, in a read-only transaction: it counts what a
 * run would purge, warn and delete, and writes nothing, not even an
 * audit row.  *out holds the counts, also of a run that failed part
 * way (the cases purged until then).  OB_EDB with a message in err when
 * the database refused.
 */
int ob_retention_run(struct ob_db *db, const char *link, bool dry_run,
    void (*each)(const struct ob_retention_case *c, void *arg), void *arg,
    struct ob_retention_counts *out, struct ob_buf *err) OB_MUST_CHECK;

/* True when link is an https:// address the warning may carry: at most
 * 200 characters of [A-Za-z0-9.:/_-] after the scheme. */
bool ob_retention_link_ok(const char *link);

#endif
