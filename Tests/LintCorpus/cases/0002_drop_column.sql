ALTER TABLE public.accounts DROP COLUMN nickname;

-- expect: 1 drop-column
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
