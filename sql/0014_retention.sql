-- Retention (issue 8 §1): `ombudctl retention run` deletes every case
-- closed longer ago than its tenant's retention_days, leaving a
-- statistics stub, warns the tenant's handlers a week before, and
-- deletes expired sessions, sign-in challenges and spent mail.
--
-- It runs as its own role, ombud_retention (sql/bootstrap.sql), not as
-- the owner: the nightly timer holds no rights to change the schema,
-- read content or rewrite the audit log.  Row-level security is the
-- second wall: under this role a case, and everything of it, can be
-- deleted only once it has expired (ombud_purge_date), whatever the
-- statement says; only closed cases can be seen at all, and of them no
-- keys, receipt columns or ciphertext.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles
	               WHERE rolname = 'ombud_retention') THEN
		RAISE EXCEPTION 'role ombud_retention does not exist: run '
			'sql/bootstrap.sql as a superuser first (docs/ops.md)';
	END IF;
	EXECUTE format('GRANT CONNECT ON DATABASE %I TO ombud_retention',
	               current_database());
END
$$;

-- ---- what is left of a purged case ----
-- Enough for /cases/stats to count it as before: its tenant, category,
-- the months it was opened and closed, its outcome, and how long the
-- acknowledgement and the feedback took, in days (durations, not
-- dates).  No case id or number: nothing links it to the audit log.
CREATE TABLE case_stubs (
	tenant_id        bigint NOT NULL REFERENCES tenants,
	id               bigint GENERATED ALWAYS AS IDENTITY,
	category         text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
	opened_month     date NOT NULL
	                 CHECK (extract(day FROM opened_month) = 1),
	closed_month     date NOT NULL
	                 CHECK (extract(day FROM closed_month) = 1),
	outcome          text NOT NULL CHECK (outcome IN ('action-taken',
	                 'unfounded', 'referred', 'insufficient-information',
	                 'withdrawn')),
	-- acknowledged_on - opened_on; NULL: never acknowledged.
	ack_days         integer,
	-- feedback_on - (acknowledged_on, or opened_on + 7); NULL: none.
	feedback_days    integer,
	ack_in_time      boolean NOT NULL,
	feedback_in_time boolean NOT NULL,
	PRIMARY KEY (tenant_id, id)
);

-- When the handlers were told that the case will go (once per closing).
ALTER TABLE cases ADD COLUMN purge_warned_on date;

-- ---- the one definition of "expired" ----
-- The first day on which a case closed on p_closed is purged: closed
-- longer ago than the tenant's retention_days.
CREATE FUNCTION ombud_purge_date(p_tenant bigint, p_closed date)
RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT p_closed + t.retention_days + 1 FROM public.tenants t
        WHERE t.id = p_tenant);

-- The expired cases the caller can see.  Not SECURITY DEFINER: under
-- ombud_retention it reads cases through that role's own policies.
CREATE FUNCTION ombud_expired_cases() RETURNS TABLE (tenant_id bigint,
	case_id bigint)
LANGUAGE sql STABLE
AS $$
	SELECT c.tenant_id, c.id FROM public.cases c
	WHERE c.status = 'closed'
	  AND public.ombud_purge_date(c.tenant_id, c.closed_on) <= current_date
$$;

REVOKE ALL ON FUNCTION ombud_purge_date(bigint, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION ombud_expired_cases() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_purge_date(bigint, date),
	ombud_expired_cases() TO ombud_retention;

-- ---- statistics over cases and stubs ----
-- What services/cases/stats.c counts, one row per case or stub.  A
-- stub is known by its month only: it counts in a period its month
-- overlaps (opened_first..opened_last), which for whole months, the
-- default, is exact.  ack_fell_due, feedback_fell_due: the duty has
-- fallen due (given, or its deadline passed); a stub's always has (it was
-- closed, which gives feedback, long after its acknowledgement was
-- due).  security_invoker: the reader's own rights and row-level
-- security apply to both tables.
CREATE VIEW case_stats WITH (security_invoker = true) AS
SELECT c.tenant_id, c.category, c.status::text AS status,
	c.opened_on AS opened_first, c.opened_on AS opened_last,
	c.acknowledged_on - c.opened_on AS ack_days,
	c.feedback_on - coalesce(c.acknowledged_on, c.opened_on + 7)
		AS feedback_days,
	c.acknowledged_on IS NOT NULL OR c.ack_due < current_date AS ack_fell_due,
	coalesce(c.acknowledged_on <= c.ack_due, false) AS ack_in_time,
	c.feedback_on IS NOT NULL OR c.feedback_due < current_date
		AS feedback_fell_due,
	coalesce(c.feedback_on <= c.feedback_due, false) AS feedback_in_time
FROM cases c
UNION ALL
SELECT s.tenant_id, s.category, 'closed',
	s.opened_month, (s.opened_month + interval '1 month - 1 day')::date,
	s.ack_days, s.feedback_days, true, s.ack_in_time, true,
	s.feedback_in_time
FROM case_stubs s;

REVOKE ALL ON case_stubs, case_stats FROM PUBLIC;
GRANT SELECT ON case_stubs, case_stats TO ombud_cases;
ALTER TABLE case_stubs ENABLE ROW LEVEL SECURITY;
CREATE POLICY handler_tenants ON case_stubs TO ombud_cases
	USING (tenant_id IN (SELECT ombud_session_tenants()));

-- ---- ombud_retention: what a run needs, and no more ----
GRANT INSERT (actor_id, tenant_id, case_id, action, detail) ON audit_log
	TO ombud_retention;

GRANT SELECT (id, slug, name, retention_days) ON tenants TO ombud_retention;
CREATE POLICY retention_reads ON tenants FOR SELECT TO ombud_retention
	USING (true);

-- Closed cases, without keys or receipt columns; warned once; deleted
-- only when expired.  SELECT ... FOR UPDATE takes the UPDATE grant.
GRANT SELECT (tenant_id, id, number, status, category, opened_on, ack_due,
	acknowledged_on, feedback_due, feedback_on, closed_on, outcome,
	purge_warned_on) ON cases TO ombud_retention;
GRANT UPDATE (purge_warned_on), DELETE ON cases TO ombud_retention;
CREATE POLICY retention_closed ON cases FOR SELECT TO ombud_retention
	USING (status = 'closed');
CREATE POLICY retention_warns ON cases FOR UPDATE TO ombud_retention
	USING (status = 'closed') WITH CHECK (status = 'closed');
CREATE POLICY retention_purges ON cases FOR DELETE TO ombud_retention
	USING (status = 'closed'
	       AND ombud_purge_date(tenant_id, closed_on) <= current_date);

-- What belongs to an expired case: its key columns to find and count
-- the rows, never their content.
GRANT SELECT (tenant_id, case_id, id), DELETE ON items, files
	TO ombud_retention;
GRANT SELECT (tenant_id, file_id), DELETE ON file_chunks TO ombud_retention;
GRANT SELECT (tenant_id, case_id, id), DELETE ON case_events
	TO ombud_retention;
CREATE POLICY retention_purges ON items TO ombud_retention
	USING ((tenant_id, case_id) IN (SELECT * FROM ombud_expired_cases()));
CREATE POLICY retention_purges ON files TO ombud_retention
	USING ((tenant_id, case_id) IN (SELECT * FROM ombud_expired_cases()));
-- The files this role sees are those of expired cases (above).
CREATE POLICY retention_purges ON file_chunks TO ombud_retention
	USING ((tenant_id, file_id) IN (SELECT f.tenant_id, f.id FROM files f));
CREATE POLICY retention_purges ON case_events TO ombud_retention
	USING ((tenant_id, case_id) IN (SELECT * FROM ombud_expired_cases()));

GRANT INSERT ON case_stubs TO ombud_retention;
CREATE POLICY retention_adds ON case_stubs FOR INSERT TO ombud_retention
	WITH CHECK (true);

-- Reporter sessions: those of an expired case, and expired ones.
GRANT SELECT (tenant_id, case_id, expires_at), DELETE ON reporter_sessions
	TO ombud_retention;
CREATE POLICY retention_purges ON reporter_sessions TO ombud_retention
	USING (expires_at <= now() OR (tenant_id, case_id) IN
	       (SELECT * FROM ombud_expired_cases()));

-- Expired handler sessions and sign-in challenges (a session's
-- challenges go with it: ON DELETE CASCADE).
GRANT SELECT (id, expires_at), DELETE ON sessions TO ombud_retention;
CREATE POLICY retention_expired ON sessions TO ombud_retention
	USING (expires_at <= now());
GRANT SELECT (id, expires_at), DELETE ON otp_challenges TO ombud_retention;

-- Mail: sent or expired messages go; the warning is queued to the
-- tenant's enabled members (e-mail addresses, nothing else of users).
GRANT SELECT (id, sent_at, expires_at), DELETE, INSERT ON outbox
	TO ombud_retention;
GRANT SELECT (tenant_id, user_id) ON memberships TO ombud_retention;
CREATE POLICY retention_members ON memberships FOR SELECT TO ombud_retention
	USING (true);
GRANT SELECT (id, email, disabled) ON users TO ombud_retention;
CREATE POLICY retention_mails ON users FOR SELECT TO ombud_retention
	USING (true);
