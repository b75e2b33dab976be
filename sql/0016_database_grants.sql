-- Who may connect, in one place that travels with the database.
--
-- CONNECT is a privilege of the database itself, which pg_dump (without
-- --create) does not carry: a restored database would let no service
-- in.  0001 and 0014 granted it inline; from here on this function is
-- the list, it is dumped and restored with everything else, and
-- `ombudctl backup restore` calls it on the new database.  A migration
-- that adds a service role replaces the function and calls it.
CREATE FUNCTION ombud_database_grants() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC',
	               current_database());
	FOREACH r IN ARRAY ARRAY['ombud_intake', 'ombud_auth', 'ombud_cases',
	                         'ombud_scrub', 'ombud_outbox',
	                         'ombud_retention']
	LOOP
		EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I',
		               current_database(), r);
	END LOOP;
END
$$;
REVOKE ALL ON FUNCTION ombud_database_grants() FROM PUBLIC;

SELECT ombud_database_grants();
