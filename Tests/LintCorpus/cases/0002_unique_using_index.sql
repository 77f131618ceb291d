-- Safe (generator style): the index was built concurrently by an earlier file.
SET lock_timeout = '5s';
ALTER TABLE public.accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_unique;

-- expect-trace: 3 trace-lock AccessExclusiveLock on table public.accounts
