ALTER TABLE public.orders ALTER COLUMN total TYPE integer USING round(total)::integer;

-- expect: 1 rewriting-type-change
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.orders
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.orders_pkey
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.orders_account_id
-- expect-trace: 1 trace-rewrite table public.orders rewritten
-- expect-trace: 1 trace-rewrite index public.orders_pkey rewritten
-- expect-trace: 1 trace-rewrite index public.orders_account_id rewritten
