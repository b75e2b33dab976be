-- Case handling (issue 6): the feedback duty, outcomes, and what the
-- cases pool may read and change.

-- EU Directive 2019/1937 art. 9(1)(f): feedback within 3 months.  It is
-- given by the first reply to the reporter after the acknowledgement,
-- or by closing the case with an outcome; the date is kept for the
-- deadline list and the statistics.
ALTER TABLE cases ADD COLUMN feedback_on date;

-- A closed case says how it ended, from a fixed list (statistics count
-- by it; retention keeps it in the stub).
ALTER TABLE cases ADD CONSTRAINT cases_outcome_known
	CHECK (outcome IS NULL OR outcome IN ('action-taken', 'unfounded',
		'referred', 'insufficient-information', 'withdrawn'));
ALTER TABLE cases ADD CONSTRAINT cases_closed_has_outcome
	CHECK (status <> 'closed' OR outcome IS NOT NULL);

ALTER TABLE case_events DROP CONSTRAINT case_events_field_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_field_check
	CHECK (field IN ('status', 'assignee', 'category', 'acknowledged_on',
		'feedback_on', 'closed_on', 'outcome'));

-- The list: open cases by deadline, and unread reporter messages.
CREATE INDEX items_unread ON items (tenant_id, case_id)
	WHERE side = 'reporter' AND read_on IS NULL;

GRANT SELECT (feedback_on) ON cases TO ombud_cases;
GRANT SELECT ON report_categories TO ombud_cases;
GRANT UPDATE (feedback_on) ON cases TO ombud_cases;
-- Admins read the log (/admin/audit) through this function, which
-- checks that the session named in `ombud.session` is a live, fully
-- signed-in admin's; no role may SELECT the table itself.  Newest first,
-- filtered by actor e-mail, action prefix and tenant, before an id.
CREATE FUNCTION ombud_audit_rows(p_actor text, p_action text,
	p_tenant bigint, p_limit integer, p_before bigint)
RETURNS TABLE (id bigint, at timestamptz, actor text, tenant text,
	case_number text, action text, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
BEGIN
	IF NOT EXISTS (
		SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = decode(nullif(current_setting(
			'ombud.session', true), ''), 'hex')
		  AND s.mfa_done AND s.expires_at > now()
		  AND NOT u.disabled AND u.role = 'admin') THEN
		RAISE EXCEPTION 'the audit log is for admins'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN QUERY
	SELECT a.id, a.at, u.email, t.slug, c.number, a.action, a.detail
	FROM audit_log a
	LEFT JOIN users u ON u.id = a.actor_id
	LEFT JOIN tenants t ON t.id = a.tenant_id
	LEFT JOIN cases c ON c.tenant_id = a.tenant_id AND c.id = a.case_id
	WHERE (p_actor IS NULL OR u.email = lower(p_actor))
	  AND (p_action IS NULL OR starts_with(a.action, p_action))
	  AND (p_tenant IS NULL OR a.tenant_id = p_tenant)
	  AND (p_before IS NULL OR a.id < p_before)
	ORDER BY a.id DESC
	LIMIT least(greatest(p_limit, 1), 500);
END
$$;
REVOKE ALL ON FUNCTION ombud_audit_rows(text, text, bigint, integer, bigint)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_audit_rows(text, text, bigint, integer,
	bigint) TO ombud_cases;
-- The reporter's page shows the feedback date too.
GRANT SELECT (feedback_on) ON cases TO ombud_intake;
