-- Safe: the table is new, nothing waits on it.
CREATE TABLE public.invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES public.accounts (id), amount numeric(10,2));
CREATE INDEX invoices_account_id ON public.invoices (account_id);
ALTER TABLE public.invoices ADD CONSTRAINT invoices_amount_positive CHECK (amount > 0);
ALTER TABLE public.invoices ALTER COLUMN amount SET NOT NULL;
ALTER TABLE public.invoices ADD CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES public.accounts (id);

-- expect-trace: 2 trace-lock ShareRowExclusiveLock on table public.accounts
