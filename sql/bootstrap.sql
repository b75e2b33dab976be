-- Run once per cluster by a superuser, before the first migration, and
-- again whenever a role is added here (it is idempotent):
--
--   psql -U postgres -d postgres -f sql/bootstrap.sql
--   createdb -U postgres -O ombud_owner -E UTF8 -T template0 ombud
--
-- It makes the roles.  Everything else is in the numbered migrations,
-- which `ombudctl migrate` applies as ombud_owner: the owner of the
-- database and of every object in it, but not a superuser and without
-- CREATEROLE (which in PostgreSQL 15 could grant itself almost
-- anything).  The dev stack runs this file on every `up`.
DO $$
DECLARE
	r text;
BEGIN
	-- The owner inherits: as database owner it is implicitly a member
	-- of pg_database_owner, which owns the public schema.
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ombud_owner') THEN
		CREATE ROLE ombud_owner LOGIN NOSUPERUSER NOCREATEDB
			NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS;
	END IF;
	FOREACH r IN ARRAY ARRAY['ombud_intake', 'ombud_auth', 'ombud_cases',
	                         'ombud_scrub', 'ombud_outbox',
	                         'ombud_retention']
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER '
			               'NOCREATEDB NOCREATEROLE NOINHERIT '
			               'NOREPLICATION NOBYPASSRLS', r);
		END IF;
	END LOOP;
END
$$;
