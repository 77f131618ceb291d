ALTER TABLE public.orders RENAME TO purchases;

-- expect: 1 rename
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.orders
