-- Safe: now() is stable, the default is stored once (PostgreSQL 11+).
SET lock_timeout = '5s';
ALTER TABLE public.accounts ADD COLUMN seen_at timestamptz DEFAULT now();

-- expect-trace: 3 trace-lock AccessExclusiveLock on table public.accounts
