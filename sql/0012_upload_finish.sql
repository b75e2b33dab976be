-- The scrub pool finishes a file it wrote (0010_files.sql).  An UPDATE
-- that reads the row checks the new row against the SELECT policies as
-- well as its own: the row it leaves is finished, so neither may ask
-- it to be unfinished still.  Scrub sees only the key columns of the
-- files of the session's case (0010's grant) - no content, no key.
ALTER POLICY scrub_finishes ON files USING (NOT complete) WITH CHECK (true);
ALTER POLICY scrub_sees_new ON files USING (
	(tenant_id, case_id) IN (SELECT * FROM ombud_reporter_case())
	OR tenant_id IN (SELECT ombud_session_tenants()));
