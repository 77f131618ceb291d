-- pgmigrate: lint-ignore drop-table -- nothing is dropped here
ALTER TABLE public.accounts ALTER COLUMN nickname SET DEFAULT '';

-- expect: 1 lint-ignore-unused
-- expect-trace: 2 trace-lock AccessExclusiveLock on table public.accounts
