-- The daily digest of deadlines (issue 6, item 5): every handler with
-- open cases whose acknowledgement or feedback is overdue or due within
-- 2 days gets one mail a day, per tenant counts only - no case content,
-- not even case numbers.  Several outbox daemons may run: the day is
-- claimed in digest_days, so only one of them queues it.
CREATE TABLE digest_days (
	day              date PRIMARY KEY
);

CREATE FUNCTION ombud_queue_digest(p_link text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
	v_count integer;
BEGIN
	IF p_link !~ '^https://[A-Za-z0-9.:/_-]{1,200}$' THEN
		RAISE EXCEPTION 'bad link' USING ERRCODE = '22023';
	END IF;
	INSERT INTO digest_days VALUES (current_date) ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	INSERT INTO outbox (channel, recipient, subject, body, expires_at)
	SELECT 'mail', u.email, 'Ombud: deadlines that need you',
		'Cases with an acknowledgement or feedback overdue or due '
		|| 'within 2 days:' || E'\n\n'
		|| string_agg(format('%s: %s overdue, %s due soon', t.name,
			x.overdue, x.soon), E'\n' ORDER BY t.name)
		|| E'\n\nSign in to see them: ' || p_link,
		now() + interval '1 day'
	FROM (
		SELECT m.user_id, c.tenant_id,
			count(*) FILTER (WHERE
				(c.acknowledged_on IS NULL AND c.ack_due < current_date)
				OR (c.feedback_on IS NULL
				    AND c.feedback_due < current_date)) AS overdue,
			count(*) FILTER (WHERE NOT (
				(c.acknowledged_on IS NULL AND c.ack_due < current_date)
				OR (c.feedback_on IS NULL
				    AND c.feedback_due < current_date))
			    AND ((c.acknowledged_on IS NULL
				  AND c.ack_due <= current_date + 2)
				 OR (c.feedback_on IS NULL
				  AND c.feedback_due <= current_date + 2))) AS soon
		FROM memberships m JOIN cases c ON c.tenant_id = m.tenant_id
		WHERE c.status <> 'closed'
		GROUP BY m.user_id, c.tenant_id
	) x
	JOIN users u ON u.id = x.user_id AND NOT u.disabled
	JOIN tenants t ON t.id = x.tenant_id
	WHERE x.overdue + x.soon > 0
	GROUP BY u.email;
	GET DIAGNOSTICS v_count = ROW_COUNT;
	RETURN v_count;
END
$$;
REVOKE ALL ON FUNCTION ombud_queue_digest(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_queue_digest(text) TO ombud_outbox;
