-- pgmigrate: no-transaction
-- PostgreSQL 14.0-14.3 can build a corrupt index concurrently.
CREATE INDEX CONCURRENTLY accounts_name ON public.accounts (name);

-- lint-pg-version: 14.2
-- expect: 3 concurrent-index-pg14-bug
