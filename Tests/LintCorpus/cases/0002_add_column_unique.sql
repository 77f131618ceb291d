ALTER TABLE public.accounts ADD COLUMN code text UNIQUE;

-- expect: 1 unique-without-using-index
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
