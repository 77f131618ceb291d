ALTER TABLE public.accounts ADD COLUMN active boolean NOT NULL DEFAULT true;

-- lint-pg-version: 10
-- expect: 1 volatile-default
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
