-- pgmigrate: no-transaction
-- Safe (generator style).
SET lock_timeout = '5s';
CREATE UNIQUE INDEX CONCURRENTLY accounts_nickname_key ON public.accounts (nickname);
