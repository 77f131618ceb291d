-- Safe (generator style): NOT VALID now, VALIDATE in a later file.
SET lock_timeout = '5s';
ALTER TABLE public.accounts ADD CONSTRAINT accounts_score_range CHECK (score BETWEEN 0 AND 100) NOT VALID;

-- expect-trace: 3 trace-lock AccessExclusiveLock on table public.accounts
