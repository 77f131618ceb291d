ALTER TABLE public.accounts ALTER COLUMN name TYPE varchar(100);

-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
