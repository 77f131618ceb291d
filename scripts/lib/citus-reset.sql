-- Drops what the call-feedback model creates in `public` (tables, functions,
-- enum types; not extension members) and the migration ledger: a clean start
-- for the Citus suite and benchmarks/citus.sh on the cluster's coordinator.
-- Tables are dropped by name (Citus may recreate a table while another is dropped).
DO $reset$
DECLARE r record;
BEGIN
    FOR r IN SELECT pg_catalog.quote_ident(c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') LOOP
        EXECUTE 'DROP TABLE IF EXISTS public.' || r.t || ' CASCADE';
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure::text AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || r.f || ' CASCADE';
    END LOOP;
    FOR r IN SELECT t.oid::regtype::text AS t FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = 'public' AND t.typtype = 'e' LOOP
        EXECUTE 'DROP TYPE IF EXISTS ' || r.t || ' CASCADE';
    END LOOP;
END
$reset$;
DROP SCHEMA IF EXISTS pgmigrate CASCADE;
