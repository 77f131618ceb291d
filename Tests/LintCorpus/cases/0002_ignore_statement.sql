-- pgmigrate: lint-ignore index-without-concurrently -- orders is tiny and written once a day
CREATE INDEX orders_total ON public.orders (total);

-- expect-trace: 2 trace-lock ShareLock on table public.orders
