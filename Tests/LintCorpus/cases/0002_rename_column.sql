ALTER TABLE public.accounts RENAME COLUMN name TO full_name;

-- expect: 1 rename
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
