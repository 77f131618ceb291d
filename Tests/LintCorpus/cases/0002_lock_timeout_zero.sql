SET lock_timeout = 0;
ALTER TABLE public.accounts ADD COLUMN flag boolean;

-- expect: 1 timeout-override
-- expect-trace: 2 trace-lock AccessExclusiveLock on table public.accounts
