-- Safe (generator style): validate the NOT VALID IS NOT NULL check of an earlier file,
-- then SET NOT NULL (no scan: the check proves it), then drop the check.
SET lock_timeout = '5s';
ALTER TABLE public.accounts VALIDATE CONSTRAINT accounts_name_not_null;
ALTER TABLE public.accounts ALTER COLUMN name SET NOT NULL;
ALTER TABLE public.accounts DROP CONSTRAINT accounts_name_not_null;

-- expect-trace: 5 trace-lock AccessExclusiveLock on table public.accounts
