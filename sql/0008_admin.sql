-- The admin pages (issue 6, item 6) run in the cases pool: tenants,
-- their questionnaire and external channels, handlers, grants.
--
-- The cases role gets the writes those pages need, and row-level
-- security makes each of them conditional on the transaction naming a
-- live, fully signed-in admin's session in `ombud.session` - the same
-- setting the handler walls read (0004_privileges.sql).  A handler
-- session, a half-signed-in one or none can write nothing here, also
-- by a query typed by hand under the role.  Grants are the exception
-- that proves the rule: a member may also seal a tenant's key to a new
-- member of that tenant (re-granting after a lost password).

CREATE FUNCTION ombud_session_admin() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
	SELECT u.id FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = decode(nullif(current_setting('ombud.session',
	      true), ''), 'hex')
	  AND s.mfa_done AND s.expires_at > now() AND NOT u.disabled
	  AND u.role = 'admin'
$$;
REVOKE ALL ON FUNCTION ombud_session_admin() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_session_admin() TO ombud_cases;

-- The user of the session in `ombud.session`, if it is live.
CREATE FUNCTION ombud_session_user() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
	SELECT s.user_id FROM sessions s
	WHERE s.token_hash = decode(nullif(current_setting('ombud.session',
	      true), ''), 'hex')
	  AND s.expires_at > now()
$$;
REVOKE ALL ON FUNCTION ombud_session_user() FROM PUBLIC;

-- ---- the audit log names the admin ----
-- A row written without an actor inside a transaction that names a
-- session (the admin pages call the same library as ombudctl) is that
-- session's user's; ombudctl names none and stays the operator.
CREATE OR REPLACE FUNCTION ombud_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
DECLARE
	last bytea;
BEGIN
	-- One writer at a time, so ids follow the chain.
	PERFORM pg_advisory_xact_lock(7477617564697400);
	SELECT hash INTO last FROM audit_log ORDER BY id DESC LIMIT 1;
	NEW.id := nextval('audit_log_id_seq');
	NEW.at := now();
	NEW.actor_id := coalesce(NEW.actor_id, ombud_session_user());
	NEW.prev_hash := coalesce(last, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
	NEW.hash := ombud_audit_hash_v1(NEW.prev_hash, NEW.id, NEW.at,
	                                NEW.actor_id, NEW.tenant_id,
	                                NEW.case_id, NEW.action, NEW.detail);
	RETURN NEW;
END
$$;

-- ---- what the admin pages read and write ----
GRANT SELECT (recovery_public_key, recovery_sealed, created_on,
	external_channels) ON tenants TO ombud_cases;
GRANT INSERT (id, slug, name, retention_days, public_key,
	recovery_public_key, recovery_sealed) ON tenants TO ombud_cases;
GRANT UPDATE (name, retention_days, external_channels) ON tenants
	TO ombud_cases;
GRANT USAGE ON SEQUENCE tenants_id_seq, users_id_seq TO ombud_cases;
GRANT SELECT (phone, mfa, failed_logins, locked_until, created_at)
	ON users TO ombud_cases;
GRANT INSERT (id, email, phone, role, pw_salt, pw_opslimit, pw_memlimit,
	pw_verifier, public_key, sk_wrapped) ON users TO ombud_cases;
GRANT UPDATE (disabled, failed_logins, locked_until, mfa, totp_wrapped,
	totp_pending, totp_last_step) ON users TO ombud_cases;
GRANT INSERT ON memberships TO ombud_cases;
GRANT DELETE ON sessions TO ombud_cases;
GRANT INSERT, UPDATE, DELETE ON report_categories TO ombud_cases;

-- ---- the second wall ----
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone_reads ON tenants FOR SELECT
	TO ombud_intake, ombud_cases USING (true);
CREATE POLICY admin_adds ON tenants FOR INSERT TO ombud_cases
	WITH CHECK (ombud_session_admin() IS NOT NULL);
CREATE POLICY admin_changes ON tenants FOR UPDATE TO ombud_cases
	USING (ombud_session_admin() IS NOT NULL);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY auth_signs_in ON users TO ombud_auth
	USING (true) WITH CHECK (true);
CREATE POLICY cases_reads ON users FOR SELECT TO ombud_cases USING (true);
CREATE POLICY admin_adds ON users FOR INSERT TO ombud_cases
	WITH CHECK (ombud_session_admin() IS NOT NULL);
CREATE POLICY admin_changes ON users FOR UPDATE TO ombud_cases
	USING (ombud_session_admin() IS NOT NULL);

CREATE POLICY admin_grants ON memberships FOR INSERT TO ombud_cases
	WITH CHECK (ombud_session_admin() IS NOT NULL);
-- Who belongs where (a tenant-user to one tenant only): the rows hold
-- keys sealed to their members, of no use to anyone else.
CREATE POLICY admin_reads ON memberships FOR SELECT TO ombud_cases
	USING (ombud_session_admin() IS NOT NULL);

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY auth_sessions ON sessions TO ombud_auth
	USING (true) WITH CHECK (true);
CREATE POLICY cases_sessions ON sessions FOR SELECT TO ombud_cases
	USING (true);
CREATE POLICY cases_touch ON sessions FOR UPDATE TO ombud_cases
	USING (true);
CREATE POLICY admin_ends ON sessions FOR DELETE TO ombud_cases
	USING (ombud_session_admin() IS NOT NULL);

ALTER TABLE report_categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY everyone_reads ON report_categories FOR SELECT
	TO ombud_intake, ombud_cases USING (true);
CREATE POLICY admin_writes ON report_categories FOR INSERT TO ombud_cases
	WITH CHECK (ombud_session_admin() IS NOT NULL);
CREATE POLICY admin_changes ON report_categories FOR UPDATE TO ombud_cases
	USING (ombud_session_admin() IS NOT NULL);
CREATE POLICY admin_removes ON report_categories FOR DELETE TO ombud_cases
	USING (ombud_session_admin() IS NOT NULL);
