-- pgmigrate: no-transaction
-- Safe (generator style).
SET lock_timeout = '5s';
DROP INDEX CONCURRENTLY IF EXISTS public.accounts_email;
