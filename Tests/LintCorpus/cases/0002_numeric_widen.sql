ALTER TABLE public.accounts ALTER COLUMN balance TYPE numeric(12,2);

-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
