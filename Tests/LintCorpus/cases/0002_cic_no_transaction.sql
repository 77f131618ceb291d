-- pgmigrate: no-transaction
-- Safe (generator style): alone in a no-transaction file, with its own lock_timeout.
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_name ON public.accounts (name);
