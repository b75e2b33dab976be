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
 * sign-in code.
 *
 * Channels: "sms" through lib/sms.h.  Mail (issue 6) is queued the same
 * way and waits for its sender.
 */
#ifndef OB_OUTBOX_H
#define OB_OUTBOX_H

#include "lib/buf.h"
#include "lib/db.h"
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
 * Sends up to max due SMS messages; *sent and *failed count them.
 * OB_EDB when the database fails (the daemon then waits and retries).
 */
int ob_outbox_send_due(struct ob_db *db, const struct ob_sms_config *sms,
    int max, int *sent, int *failed) OB_MUST_CHECK;

#endif
