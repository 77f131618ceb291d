ALTER TABLE public.orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES public.accounts (id);

-- expect: 1 foreign-key-without-not-valid
-- expect-trace: 1 trace-lock ShareRowExclusiveLock on table public.accounts
-- expect-trace: 1 trace-lock ShareRowExclusiveLock on table public.orders
