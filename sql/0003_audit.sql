-- The audit log: every handler action, append-only and hash-chained.
--
-- Each row carries the SHA-256 of the previous row's hash and its own
-- content, computed here (not by the caller) under a lock, so the chain
-- is the order of insertion.  A changed row no longer matches its hash;
-- a deleted row breaks the link of the next one.  Service roles may only
-- INSERT (0004_privileges.sql); ombud_audit_verify() names the first
-- broken row.  Removing the newest rows can only be seen against a copy
-- of the head: `ombudctl audit verify` prints it for safekeeping.

CREATE TABLE audit_log (
	id        bigint PRIMARY KEY,
	at        timestamptz NOT NULL,
	actor_id  bigint,
	tenant_id bigint,
	case_id   bigint,
	action    text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
	detail    text NOT NULL DEFAULT '' CHECK (length(detail) <= 2000),
	prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
	hash      bytea NOT NULL CHECK (length(hash) = 32)
);
CREATE SEQUENCE audit_log_id_seq AS bigint;

-- The canonical bytes a row's hash covers.  Any change to this function
-- is a change to every hash: it is versioned by its name.
CREATE FUNCTION ombud_audit_hash_v1(prev bytea, id bigint, at timestamptz,
                                    actor bigint, tenant bigint, kase bigint,
                                    action text, detail text)
RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN sha256(prev || convert_to(
	concat_ws(E'\x1f', 'v1', id::text,
	          to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	          coalesce(actor::text, '-'), coalesce(tenant::text, '-'),
	          coalesce(kase::text, '-'), action, detail),
	'UTF8'));

CREATE FUNCTION ombud_audit_chain() RETURNS trigger
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
	NEW.prev_hash := coalesce(last, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
	NEW.hash := ombud_audit_hash_v1(NEW.prev_hash, NEW.id, NEW.at,
	                                NEW.actor_id, NEW.tenant_id,
	                                NEW.case_id, NEW.action, NEW.detail);
	RETURN NEW;
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
	FOR EACH ROW EXECUTE FUNCTION ombud_audit_chain();

-- Walks the chain; returns the id of the first row whose link or hash
-- is wrong (for a deleted row: the row after the gap), or NULL when the
-- whole chain is intact.
CREATE FUNCTION ombud_audit_verify(OUT bad_id bigint, OUT rows bigint,
                                   OUT head bytea)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
	r record;
	prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
BEGIN
	rows := 0;
	FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
		IF r.prev_hash IS DISTINCT FROM prev
		   OR r.hash IS DISTINCT FROM ombud_audit_hash_v1(r.prev_hash,
			r.id, r.at, r.actor_id, r.tenant_id, r.case_id, r.action,
			r.detail) THEN
			bad_id := r.id;
			RETURN;
		END IF;
		prev := r.hash;
		rows := rows + 1;
	END LOOP;
	head := prev;
END
$$;
