-- Anonymous reporting (issue 5): the questionnaire, the way a receipt
-- finds its case, the reporter's view of their own case, and the
-- content-free notice to the tenant's handlers.
--
-- The intake role still cannot read cases in general.  It reaches one
-- case in two ways only:
--   - ombud_receipt_case(tenant, lookup): the keyed hash of a typed
--     receipt (lib/receipt.h) gives that case's id, public key and the
--     receipt-wrapped secret key - nothing else; without the receipt
--     the wrapped key is useless;
--   - row-level security on cases and items, bound to the live reporter
--     session whose token hash the request names in `ombud.reporter`
--     (like `ombud.session` for handlers, sql/0004_privileges.sql).

-- ---- the questionnaire ----
-- A tenant's own report categories, one row per category and language.
-- A tenant without any uses the built-in list (services/intake).
CREATE TABLE report_categories (
	tenant_id        bigint NOT NULL REFERENCES tenants,
	key              text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
	lang             text NOT NULL CHECK (lang ~ '^[a-z]{2}$'),
	position         integer NOT NULL DEFAULT 0,
	label            text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
	PRIMARY KEY (tenant_id, key, lang)
);

-- The external reporting channels the tenant lists (EU Directive
-- 2019/1937 art. 9(1)(g)): plain text, shown on its landing page.
ALTER TABLE tenants ADD COLUMN external_channels text NOT NULL DEFAULT ''
	CHECK (length(external_channels) <= 4000);

-- One report per case: intake may add messages, never a second report.
CREATE UNIQUE INDEX items_one_report ON items (tenant_id, case_id)
	WHERE kind = 'report';

-- ---- the receipt finds its case ----
CREATE FUNCTION ombud_receipt_case(p_tenant bigint, p_lookup bytea)
RETURNS TABLE (case_id bigint, public_key bytea, receipt_salt bytea,
	receipt_opslimit bigint, receipt_memlimit bigint,
	sk_wrapped_receipt bytea)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
	SELECT c.id, c.public_key, c.receipt_salt, c.receipt_opslimit,
	       c.receipt_memlimit, c.sk_wrapped_receipt
	FROM cases c
	WHERE c.tenant_id = p_tenant AND c.receipt_lookup = p_lookup
$$;
REVOKE ALL ON FUNCTION ombud_receipt_case(bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_receipt_case(bigint, bytea) TO ombud_intake;

-- ---- the reporter's own case ----
CREATE FUNCTION ombud_reporter_case() RETURNS TABLE (tenant_id bigint,
	case_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
AS $$
	SELECT s.tenant_id, s.case_id FROM reporter_sessions s
	WHERE s.token_hash = decode(nullif(current_setting('ombud.reporter',
	      true), ''), 'hex')
	  AND s.expires_at > now()
$$;
REVOKE ALL ON FUNCTION ombud_reporter_case() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_reporter_case() TO ombud_intake;

-- What the reporter's page shows: no receipt columns, no assignee.
GRANT SELECT (tenant_id, id, status, category, opened_on, closed_on,
	public_key) ON cases TO ombud_intake;
GRANT SELECT (tenant_id, case_id, id, kind, side, key_sealed, ciphertext,
	created_on) ON items TO ombud_intake;
GRANT SELECT ON report_categories TO ombud_intake;
GRANT SELECT (external_channels) ON tenants TO ombud_intake;
-- Idle expiry moves with each request.
GRANT UPDATE (expires_at) ON reporter_sessions TO ombud_intake;

CREATE POLICY reporter_reads ON cases FOR SELECT TO ombud_intake
	USING ((tenant_id, id) IN (SELECT * FROM ombud_reporter_case()));
CREATE POLICY reporter_reads ON items FOR SELECT TO ombud_intake
	USING ((tenant_id, case_id) IN (SELECT * FROM ombud_reporter_case()));
-- A message goes only into the case of the session presented.
ALTER POLICY intake_writes ON items TO ombud_intake
	WITH CHECK (side = 'reporter' AND (kind = 'report' OR
		(kind = 'message' AND (tenant_id, case_id) IN
			(SELECT * FROM ombud_reporter_case()))));

-- ---- the content-free notice to the tenant's handlers ----
-- Intake cannot read who the handlers are; this function queues the
-- mail for each enabled member.  The text names the tenant (and for a
-- message the case number), never content.  The row's time is the day,
-- and the mail leaves after a random delay of 5 to 65 minutes, so the
-- moment a reporter acted is not in the database or in anyone's inbox.
CREATE FUNCTION ombud_notify_handlers(p_tenant bigint, p_case bigint,
	p_what text, p_link text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
	v_tenant text;
	v_number text;
	v_subject text;
	v_body text;
	v_count integer;
BEGIN
	IF p_what NOT IN ('new-report', 'reporter-message') THEN
		RAISE EXCEPTION 'unknown notice %', p_what
			USING ERRCODE = '22023';
	END IF;
	IF p_link !~ '^https://[A-Za-z0-9.:/_-]{1,200}$' THEN
		RAISE EXCEPTION 'bad link' USING ERRCODE = '22023';
	END IF;
	SELECT name INTO STRICT v_tenant FROM tenants WHERE id = p_tenant;
	SELECT number INTO STRICT v_number FROM cases
		WHERE tenant_id = p_tenant AND id = p_case;
	IF p_what = 'new-report' THEN
		v_subject := 'Ombud: a new report is waiting in ' || v_tenant;
		v_body := 'A new report is waiting in ' || v_tenant ||
			'. Sign in to read it: ' || p_link;
	ELSE
		v_subject := 'Ombud: the reporter of case ' || v_number ||
			' has written';
		v_body := 'The reporter of case ' || v_number || ' in ' ||
			v_tenant || ' has written. Sign in to read it: ' ||
			p_link;
	END IF;
	INSERT INTO outbox (tenant_id, channel, recipient, subject, body,
		created_at, next_attempt_at, expires_at)
	SELECT p_tenant, 'mail', u.email, left(v_subject, 200), v_body,
		date_trunc('day', now()),
		now() + make_interval(mins => 5 + floor(random() * 61)::int),
		now() + interval '7 days'
	FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE m.tenant_id = p_tenant AND NOT u.disabled;
	GET DIAGNOSTICS v_count = ROW_COUNT;
	RETURN v_count;
END
$$;
REVOKE ALL ON FUNCTION ombud_notify_handlers(bigint, bigint, text, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ombud_notify_handlers(bigint, bigint, text, text)
	TO ombud_intake;
