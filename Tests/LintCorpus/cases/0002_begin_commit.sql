BEGIN;
ALTER TABLE public.accounts ADD COLUMN nickname2 text;
COMMIT;

-- expect: 1 transaction-control
-- expect: 3 transaction-control
-- expect-trace: 2 trace-lock AccessExclusiveLock on table public.accounts
