-- A swap in one transaction: the old table gives up its name and a new table
-- takes it, so clients that name it find the new one; not a breaking rename.
-- The renamed table is the one already locked: a later statement on it is not
-- reported as waiting for another table.
ALTER TABLE public.orders RENAME TO orders_old;
CREATE TABLE public.orders (LIKE public.orders_old INCLUDING DEFAULTS);
ALTER TABLE public.orders_old DROP COLUMN note;

-- expect: 7 drop-column
-- expect-trace: 5 trace-lock AccessExclusiveLock on table public.orders
