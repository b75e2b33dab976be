-- Only the service roles may connect (the roles themselves are made by
-- sql/bootstrap.sql, as superuser), and nobody but the owner creates
-- objects in the public schema.  Each role is granted what it needs by
-- the later migrations.
DO $$
DECLARE
	r text;
BEGIN
	EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC',
	               current_database());
	FOREACH r IN ARRAY ARRAY['ombud_intake', 'ombud_auth', 'ombud_cases',
	                         'ombud_scrub', 'ombud_outbox']
	LOOP
		EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I',
		               current_database(), r);
	END LOOP;
END
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
