ALTER TABLE public.accounts ALTER COLUMN nickname SET DEFAULT '';
-- pgmigrate: lint-ignore-file rename -- too late: not in the header
ALTER TABLE public.orders RENAME COLUMN note TO remark;

-- expect: 2 lint-ignore-misplaced
-- expect: 3 statement-after-access-exclusive
-- expect: 3 rename
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
-- expect-trace: 3 trace-lock AccessExclusiveLock on table public.orders
