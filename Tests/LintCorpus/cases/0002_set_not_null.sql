ALTER TABLE public.accounts ALTER COLUMN score SET NOT NULL;

-- expect: 1 set-not-null
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
