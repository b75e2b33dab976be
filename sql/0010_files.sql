-- Files (issue 7): the scrub pool stores uploads of reporters and
-- handlers; handlers download them; reporters list their own.
--
-- The scrub pool authorizes like the pool whose pages post to it: a
-- reporter's upload by the reporter session (intake's rules), a
-- handler's by the handler session (the cases pool's).  It may add a
-- file only to the case that session may reach - the reporter's own
-- case, or a case of one of the handler's tenants - and read nothing
-- back but the case's public key.

-- ---- what authorizing needs ----
GRANT SELECT (id, slug, name, public_key, external_channels) ON tenants
	TO ombud_scrub;
ALTER POLICY everyone_reads ON tenants TO ombud_intake, ombud_cases,
	ombud_scrub;
GRANT UPDATE (expires_at) ON reporter_sessions TO ombud_scrub;
CREATE POLICY scrub_touches ON reporter_sessions FOR UPDATE TO ombud_scrub
	USING (true);
GRANT SELECT (id, user_id, token_hash, sk_wrapped, mfa_done, created_at,
	expires_at, last_seen_at) ON sessions TO ombud_scrub;
GRANT UPDATE (last_seen_at, expires_at) ON sessions TO ombud_scrub;
CREATE POLICY scrub_sessions ON sessions FOR SELECT TO ombud_scrub
	USING (true);
CREATE POLICY scrub_touch ON sessions FOR UPDATE TO ombud_scrub
	USING (true);
GRANT SELECT (id, email, role, public_key, disabled) ON users
	TO ombud_scrub;
CREATE POLICY scrub_reads ON users FOR SELECT TO ombud_scrub USING (true);
GRANT EXECUTE ON FUNCTION ombud_reporter_case() TO ombud_scrub;

-- ---- where a file may go ----
-- The case's public key, for the case the session reaches.
DROP POLICY scrub_cases ON cases;
CREATE POLICY scrub_cases ON cases FOR SELECT TO ombud_scrub
	USING ((tenant_id, id) IN (SELECT * FROM ombud_reporter_case())
	       OR tenant_id IN (SELECT ombud_session_tenants()));
DROP POLICY scrub_writes ON files;
CREATE POLICY scrub_writes ON files FOR INSERT TO ombud_scrub
	WITH CHECK (
		(side = 'reporter' AND author_id IS NULL AND (tenant_id, case_id)
		 IN (SELECT * FROM ombud_reporter_case()))
		OR (side = 'handler' AND tenant_id IN
		    (SELECT ombud_session_tenants())));
-- Finishing a file it just wrote (size, chunk count, complete): the
-- UPDATE finds the row by its key, which takes reading those columns.
GRANT SELECT (tenant_id, case_id, id, side, complete) ON files
	TO ombud_scrub;
CREATE POLICY scrub_sees_new ON files FOR SELECT TO ombud_scrub
	USING (NOT complete AND (
		(tenant_id, case_id) IN (SELECT * FROM ombud_reporter_case())
		OR tenant_id IN (SELECT ombud_session_tenants())));
CREATE POLICY scrub_finishes ON files FOR UPDATE TO ombud_scrub
	USING (NOT complete);
-- A handler's upload goes through the session wall (0004) as well:
-- handler_tenants on files already names ombud_scrub for SELECT.

-- ---- the reporter sees their own uploads ----
GRANT SELECT (tenant_id, case_id, id, side, key_sealed, meta_ciphertext,
	size_bytes, chunks, complete, created_on) ON files TO ombud_intake;
CREATE POLICY reporter_reads ON files FOR SELECT TO ombud_intake
	USING ((tenant_id, case_id) IN (SELECT * FROM ombud_reporter_case()));
