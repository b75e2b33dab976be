-- What /healthz asks the database (issue 8, monitoring; lib/health.h).
--
-- No pool role may read ombud_migrations or the outbox's rows (the
-- outbox holds addresses and sign-in codes), so one function answers
-- for them with two numbers and nothing else: the newest migration
-- applied, and how many seconds the oldest message that is due, unsent
-- and not expired has waited since it first fell due.
--
-- "First fell due" needs a column: next_attempt_at moves forward with
-- every failed attempt (30 s, 1 min, ... 1 h), so a mail server that
-- refuses every message would otherwise never look late.  due_at is
-- next_attempt_at as it was queued - for a notice already the random
-- 5-65 minutes after the reporter's action (0006_reporting.sql), so it
-- says nothing next_attempt_at did not say before, and a message still
-- inside that delay is not due and never counts as late.

ALTER TABLE outbox ADD COLUMN due_at timestamptz;
UPDATE outbox SET due_at = next_attempt_at;
ALTER TABLE outbox ALTER COLUMN due_at SET NOT NULL;

-- Whatever an INSERT says, due_at is the first next_attempt_at.
CREATE FUNCTION ombud_outbox_due_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
BEGIN
	NEW.due_at := NEW.next_attempt_at;
	RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION ombud_outbox_due_at() FROM PUBLIC;
CREATE TRIGGER outbox_due_at BEFORE INSERT ON outbox
	FOR EACH ROW EXECUTE FUNCTION ombud_outbox_due_at();

CREATE INDEX outbox_unsent_due ON outbox (due_at) WHERE sent_at IS NULL;

CREATE FUNCTION ombud_health(OUT schema_version text,
	OUT outbox_overdue_s bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
	SELECT (SELECT max(version) FROM ombud_migrations),
		(SELECT floor(extract(epoch FROM now() - min(due_at)))::bigint
		 FROM outbox
		 WHERE sent_at IS NULL AND due_at <= now() AND expires_at > now())
$$;
REVOKE ALL ON FUNCTION ombud_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_health()
	TO ombud_intake, ombud_auth, ombud_cases, ombud_scrub, ombud_outbox;
