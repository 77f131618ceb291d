RESET statement_timeout;
SELECT pg_catalog.set_config('lock_timeout', '0', false);
ALTER TABLE public.accounts ADD COLUMN flag boolean;

-- expect: 1 timeout-override
-- expect: 2 timeout-override
-- expect-trace: 3 trace-lock AccessExclusiveLock on table public.accounts
