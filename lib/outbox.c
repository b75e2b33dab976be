#include "lib/outbox.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

const struct ob_stmt ob_outbox_queue_stmts[] = {
	{ "outbox_queue",
	    "INSERT INTO outbox (tenant_id, channel, recipient, subject, body, "
	    "expires_at) VALUES ($1, $2, $3, $4, $5, now() + make_interval("
	    "secs => $6::int))",
	    6 },
};
const size_t ob_outbox_queue_nstmts = OB_NELEM(ob_outbox_queue_stmts);

const struct ob_stmt ob_outbox_send_stmts[] = {
	/* $2: the channels this daemon can send, "{sms}" or "{sms,mail}";
	 * text messages first (false sorts before true). */
	{ "outbox_due",
	    "SELECT id, channel, recipient, coalesce(subject, ''), body "
	    "FROM outbox WHERE channel = ANY ($2::text[]) AND "
	    "sent_at IS NULL AND next_attempt_at <= now() AND "
	    "expires_at > now() ORDER BY channel <> 'sms', id LIMIT $1 "
	    "FOR UPDATE SKIP LOCKED",
	    2 },
	{ "outbox_sent", "UPDATE outbox SET sent_at = now() WHERE id = $1", 1 },
	{ "outbox_retry",
	    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = "
	    "now() "
	    "+ make_interval(secs => least(3600, 30 * 2 ^ least(attempts, 7))) "
	    "WHERE id = $1",
	    1 },
	{ "outbox_digest", "SELECT ombud_queue_digest($1)", 1 },
	/* A message is kept a day after it was sent or expired, then
	 * goes: it may hold a sign-in code, an address, a tenant's name. */
	{ "outbox_prune",
	    "DELETE FROM outbox WHERE sent_at < now() - interval '1 day' "
	    "OR expires_at < now() - interval '1 day'",
	    0 },
};
const size_t ob_outbox_send_nstmts = OB_NELEM(ob_outbox_send_stmts);

int
ob_outbox_queue(struct ob_db *db, const char *tenant_id, const char *channel,
    const char *recipient, const char *subject, const char *body,
    unsigned ttl_s)
{
	char ttl[16];
	const char *params[6] = { tenant_id, channel, recipient, subject, body,
		ttl };
	PGresult *res = NULL;
	int rc;

	snprintf(ttl, sizeof(ttl), "%u", ttl_s);
	rc = ob_db_exec(db, "outbox_queue", 6, params, &res);
	PQclear(res);
	return rc;
}

struct batch {
	const struct ob_sms_config *sms;
	const struct ob_mail_config *mail; /* NULL: mail not selected */
	int max, sent, failed;
	bool mail_down; /* the server failed as a whole in this batch */
};

static int
mark(struct ob_db *db, const char *stmt, const char *id)
{
	const char *params[1] = { id };

	return ob_db_run(db, stmt, 1, params);
}

/* Sends row i of an outbox_due result through its channel. */
static int
send_row(struct batch *b, PGresult *res, int i, struct ob_buf *err)
{
	const char *channel = PQgetvalue(res, i, 1);
	const char *to = PQgetvalue(res, i, 2), *body = PQgetvalue(res, i, 4);
	int rc;

	if (strcmp(channel, "sms") == 0)
		return ob_sms_send(b->sms, to, body, err);
	if (b->mail_down) {
		ob_buf_seterr(
		    err, "mail: not tried, the server failed just now");
		return OB_EAGAIN;
	}
	rc = ob_mail_send(b->mail, to, PQgetvalue(res, i, 3), body, err);
	if (rc == OB_EAGAIN)
		b->mail_down = true;
	return rc;
}

static int
batch_tx(struct ob_db *db, void *arg)
{
	struct batch *b = arg;
	struct ob_buf err = OB_BUF_INIT(256);
	char max[16];
	const char *params[2] = { max,
		b->mail != NULL ? "{sms,mail}" : "{sms}" };
	PGresult *res = NULL;
	int rc;

	snprintf(max, sizeof(max), "%d", b->max);
	if ((rc = ob_db_exec(db, "outbox_due", 2, params, &res)) != 0)
		goto out;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *id = PQgetvalue(res, i, 0);

		ob_buf_reset(&err);
		if (send_row(b, res, i, &err) == 0) {
			rc = mark(db, "outbox_sent", id);
			b->sent++;
		} else {
			/* The reason, never the recipient, subject or body. */
			ob_log_warn(NULL, "outbox: %s message %s not sent: %s",
			    PQgetvalue(res, i, 1), id, ob_buf_cstr(&err));
			rc = mark(db, "outbox_retry", id);
			b->failed++;
		}
	}
out:
	PQclear(res);
	ob_buf_release(&err);
	return rc;
}

int
ob_outbox_send_due(struct ob_db *db, const struct ob_sms_config *sms,
    const struct ob_mail_config *mail, int max, int *sent, int *failed)
{
	struct batch b = { sms, mail, max, 0, 0, false };
	int rc = ob_db_tx(db, batch_tx, &b);

	*sent = rc == 0 ? b.sent : 0;
	*failed = rc == 0 ? b.failed : 0;
	return rc;
}

int
ob_outbox_daily(struct ob_db *db, const char *link, int *digests, int *pruned)
{
	const char *params[1] = { link };
	PGresult *res = NULL;
	uint64_t n = 0;
	int rc;

	*digests = *pruned = 0;
	if ((rc = ob_db_exec(db, "outbox_digest", 1, params, &res)) != 0)
		goto out;
	if (ob_parse_u64(PQgetvalue(res, 0, 0), 0, INT32_MAX, &n) == 0)
		*digests = (int)n;
	PQclear(res);
	res = NULL;
	if ((rc = ob_db_exec(db, "outbox_prune", 0, NULL, &res)) != 0)
		goto out;
	if (ob_parse_u64(PQcmdTuples(res), 0, INT32_MAX, &n) == 0)
		*pruned = (int)n;
out:
	PQclear(res);
	return rc;
}
