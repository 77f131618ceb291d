-- pgmigrate: lint-ignore index-without-concurrency
CREATE INDEX orders_total ON public.orders (total);

-- expect: 1 lint-ignore-unknown-rule
-- expect: 2 index-without-concurrently
-- expect-trace: 2 trace-lock ShareLock on table public.orders
