-- One login role per service, each granted only what it needs by later
-- migrations (issue 3 adds tables and grants).  Roles are cluster-wide,
-- so they are created only when missing; the database-level CONNECT
-- grant names the current database.
DO $$
DECLARE
	r text;
BEGIN
	-- Only the roles granted below may connect.
	EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC',
	               current_database());
	FOREACH r IN ARRAY ARRAY['ombud_intake', 'ombud_auth', 'ombud_cases',
	                         'ombud_scrub', 'ombud_outbox']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER '
			               'NOCREATEDB NOCREATEROLE NOINHERIT', r);
		END IF;
		EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I',
		               current_database(), r);
	END LOOP;
END
$$;

-- Nobody but the owner creates objects in the public schema.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
