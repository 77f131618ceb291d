SET lock_timeout = '5s';
ALTER TABLE public.accounts ADD COLUMN flag boolean;
UPDATE public.orders SET note = 'migrated' WHERE id < 10;

-- expect: 3 statement-after-access-exclusive
-- expect-trace: 2 trace-lock AccessExclusiveLock on table public.accounts
