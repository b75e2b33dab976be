/*
 * outbox.h - messages that wait in the outbox table until ombud-outbox
 * sends them.
 *
 * Pools queue a message (ob_outbox_queue) inside their own transaction,
 * so a message exists exactly when what it announces was stored.  The
 * daemon takes due messages with FOR UPDATE SKIP LOCKED (several
 * daemons may run), sends each, and marks it sent; a failure is retried
 * with a doubling backoff (30 s, 1 min, 2 min, ... at most 1 h) until
 * the message expires.  Bodies are never logged: an SMS body holds a
 * sign-in code; nor are subjects (they name tenants) or recipients.
 *
 * Channels: "sms" through lib/sms.h, "mail" through lib/mail.h.  Both
 * go through the same loop, text messages first in each batch: they
 * carry sign-in codes that someone is waiting for.  When the mail
 * server cannot be used at all (ob_mail_send's OB_EAGAIN), the rest of
 * the batch's mail is not tried and backs off like the failed message,
 * so an unreachable server costs one timeout per batch, not one per
 * message.
 */
#ifndef OB_OUTBOX_H
#define OB_OUTBOX_H

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/mail.h"
#include "lib/ob.h"
#include "lib/sms.h"

extern const struct ob_stmt ob_outbox_queue_stmts[];
extern const size_t ob_outbox_queue_nstmts;
extern const struct ob_stmt ob_outbox_send_stmts[];
extern const size_t ob_outbox_send_nstmts;

/*
 * Queues a message.  channel "sms" or "mail"; subject may be NULL;
 * ttl_s is how long it is worth sending (a sign-in code: its own
 * lifetime).  Runs in the caller's transaction, if any.
 */
int ob_outbox_queue(struct ob_db *db, const char *tenant_id,
    const char *channel, const char *recipient, const char *subject,
    const char *body, unsigned ttl_s) OB_MUST_CHECK;

/*
 * Sends up to max due messages; *sent and *failed count them (a mail
 * put off because the server is unusable counts as failed).  mail NULL
 * means mail is not configured: mail rows are left alone, queued until
 * a daemon with [mail] sends them or they expire.  OB_EDB when the
 * database fails (the daemon then waits and retries); messages sent
 * before that are sent again with the next batch.
 */
int ob_outbox_send_due(struct ob_db *db, const struct ob_sms_config *sms,
    const struct ob_mail_config *mail, int max, int *sent,
    int *failed) OB_MUST_CHECK;

/*
 * Once a day: queues the digest of deadlines (sql/0009_digest.sql: per
 * handler, per tenant, the counts of cases overdue or due within 2
 * days, and link to sign in; at most once a day however many daemons
 * call it) and deletes messages sent or expired more than a day ago.
 * *digests and *pruned count them.
 */
int ob_outbox_daily(struct ob_db *db, const char *link, int *digests,
    int *pruned) OB_MUST_CHECK;

#endif
