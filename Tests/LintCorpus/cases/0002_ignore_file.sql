-- pgmigrate: lint-ignore-file rename -- no client reads these yet
ALTER TABLE public.orders RENAME COLUMN note TO remark;
ALTER INDEX public.orders_account_id RENAME TO orders_account;

-- expect-trace: 2 trace-lock AccessExclusiveLock on table public.orders
