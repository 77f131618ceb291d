DROP TABLE public.orders;

-- expect: 1 drop-table
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.orders
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.orders_pkey
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.orders_account_id
