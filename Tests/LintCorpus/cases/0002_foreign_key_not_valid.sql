-- Safe (generator style).
SET lock_timeout = '5s';
ALTER TABLE public.orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES public.accounts (id) NOT VALID;

-- expect-trace: 3 trace-lock ShareRowExclusiveLock on table public.accounts
-- expect-trace: 3 trace-lock ShareRowExclusiveLock on table public.orders
