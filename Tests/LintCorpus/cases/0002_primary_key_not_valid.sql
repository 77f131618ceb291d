ALTER TABLE public.orders DROP CONSTRAINT orders_pkey;
ALTER TABLE public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id) NOT VALID;

-- expect: 2 not-valid-on-unique
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.orders
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.orders_pkey
-- expect-trace: 2 trace-error 0A000
