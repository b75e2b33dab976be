-- Least privilege for each service role, and row-level security by
-- tenant as a second wall behind the application's own checks.
--
-- Nobody but the owner (the role ombudctl migrates as) may do anything
-- not granted here.  The audit log takes INSERT only, from every role.
-- Handler-side reads of tenant data are bound by RLS to the tenants of
-- the user whose live session token the request presents: the cases
-- pool sets `ombud.session` to the hex of the session's token hash
-- (sessions.token_hash; lib/crypto.h) for each transaction, so even a
-- hand-written query under the role sees only the tenants that
-- session's user belongs to, and nothing without a live session.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;

-- ---- every role: audit, INSERT only ----
GRANT INSERT (actor_id, tenant_id, case_id, action, detail) ON audit_log
	TO ombud_intake, ombud_auth, ombud_cases, ombud_scrub, ombud_outbox;

-- ---- the tenants of the session presented in ombud.session ----
CREATE FUNCTION ombud_session_tenants() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
	SELECT m.tenant_id
	FROM sessions s JOIN memberships m ON m.user_id = s.user_id
	JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = decode(nullif(current_setting('ombud.session', true), ''), 'hex')
	  AND s.mfa_done AND s.expires_at > now() AND NOT u.disabled
$$;
REVOKE ALL ON FUNCTION ombud_session_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_session_tenants() TO ombud_cases, ombud_scrub;

-- ---- intake: reporters file cases and write into them ----
-- It reads only what a tenant's public page shows, and writes
-- ciphertext; it cannot read cases, items or files back.
GRANT SELECT (id, slug, name, retention_days, settings, public_key)
	ON tenants TO ombud_intake;
GRANT INSERT ON cases, items TO ombud_intake;
-- Ids are reserved before the row is written: keys are bound to them.
GRANT USAGE ON SEQUENCE cases_id_seq, items_id_seq TO ombud_intake;
GRANT SELECT, INSERT, DELETE ON reporter_sessions TO ombud_intake;
GRANT INSERT ON outbox TO ombud_intake;

-- ---- auth: handler sign-in ----
GRANT SELECT, UPDATE (pw_salt, pw_opslimit, pw_memlimit, pw_verifier,
	sk_wrapped, mfa, totp_wrapped, failed_logins, locked_until)
	ON users TO ombud_auth;
GRANT SELECT (tenant_id, user_id) ON memberships TO ombud_auth;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, otp_challenges
	TO ombud_auth;
GRANT INSERT ON outbox TO ombud_auth;

-- ---- cases: the handlers' workplace ----
GRANT SELECT (id, slug, name, retention_days, settings, public_key)
	ON tenants TO ombud_cases;
GRANT SELECT (id, email, role, public_key, disabled) ON users
	TO ombud_cases;
GRANT SELECT (id, user_id, token_hash, sk_wrapped, mfa_done, created_at,
	expires_at, last_seen_at) ON sessions TO ombud_cases;
GRANT UPDATE (last_seen_at, expires_at) ON sessions TO ombud_cases;
GRANT SELECT ON memberships TO ombud_cases;
-- Not the receipt columns: handlers never need them.
GRANT SELECT (tenant_id, id, number, status, category, opened_on, ack_due,
	acknowledged_on, feedback_due, closed_on, outcome, assignee_id,
	public_key, sk_sealed_tenant) ON cases TO ombud_cases;
GRANT UPDATE (status, category, acknowledged_on, closed_on, outcome,
	assignee_id) ON cases TO ombud_cases;
GRANT SELECT, INSERT, UPDATE (read_on) ON items TO ombud_cases;
GRANT USAGE ON SEQUENCE items_id_seq TO ombud_cases;
GRANT SELECT ON files, file_chunks TO ombud_cases;
GRANT SELECT, INSERT ON case_events TO ombud_cases;
GRANT INSERT ON outbox TO ombud_cases;

-- ---- scrub: adds files to cases, nothing else ----
GRANT SELECT (tenant_id, id, public_key) ON cases TO ombud_scrub;
GRANT SELECT (tenant_id, case_id, token_hash, expires_at)
	ON reporter_sessions TO ombud_scrub;
GRANT INSERT ON files, file_chunks TO ombud_scrub;
GRANT USAGE ON SEQUENCE files_id_seq TO ombud_scrub;
GRANT UPDATE (size_bytes, chunks, complete) ON files TO ombud_scrub;

-- ---- outbox: sends what is queued ----
GRANT SELECT, UPDATE (next_attempt_at, attempts, sent_at), DELETE
	ON outbox TO ombud_outbox;

-- ---- row-level security by tenant ----
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE files ENABLE ROW LEVEL SECURITY;
ALTER TABLE file_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE reporter_sessions ENABLE ROW LEVEL SECURITY;

-- Handlers: the tenants of the presented session, for every command.
CREATE POLICY handler_tenants ON memberships TO ombud_cases
	USING (tenant_id IN (SELECT ombud_session_tenants()));
CREATE POLICY handler_tenants ON cases TO ombud_cases
	USING (tenant_id IN (SELECT ombud_session_tenants()));
CREATE POLICY handler_tenants ON items TO ombud_cases
	USING (tenant_id IN (SELECT ombud_session_tenants()));
CREATE POLICY handler_tenants ON files TO ombud_cases, ombud_scrub
	USING (tenant_id IN (SELECT ombud_session_tenants()));
CREATE POLICY handler_tenants ON file_chunks TO ombud_cases
	USING (tenant_id IN (SELECT ombud_session_tenants()));
CREATE POLICY handler_tenants ON case_events TO ombud_cases
	USING (tenant_id IN (SELECT ombud_session_tenants()));
-- auth lists a user's own memberships only (RLS by user, not tenant).
CREATE POLICY own_memberships ON memberships TO ombud_auth USING (true);

-- Intake writes new rows and reads none back.
CREATE POLICY intake_writes ON cases FOR INSERT TO ombud_intake
	WITH CHECK (true);
CREATE POLICY intake_writes ON items FOR INSERT TO ombud_intake
	WITH CHECK (side = 'reporter' AND kind IN ('report', 'message'));
CREATE POLICY intake_sessions ON reporter_sessions TO ombud_intake
	USING (true) WITH CHECK (true);

-- Scrub: a reporter's upload needs the case's public key and the
-- reporter session; a handler's upload goes through the session wall.
CREATE POLICY scrub_cases ON cases FOR SELECT TO ombud_scrub USING (true);
CREATE POLICY scrub_sessions ON reporter_sessions FOR SELECT TO ombud_scrub
	USING (true);
CREATE POLICY scrub_writes ON files FOR INSERT TO ombud_scrub
	WITH CHECK (true);
CREATE POLICY scrub_chunks ON file_chunks FOR INSERT TO ombud_scrub
	WITH CHECK (true);
