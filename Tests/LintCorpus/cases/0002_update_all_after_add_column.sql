ALTER TABLE public.accounts ADD COLUMN flag boolean;
UPDATE public.accounts SET flag = false;

-- expect: 2 statement-after-access-exclusive
-- expect: 2 unbounded-dml-with-ddl
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
