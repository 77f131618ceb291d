CREATE INDEX accounts_name ON public.accounts (name);

-- expect: 1 index-without-concurrently
-- expect-trace: 1 trace-lock ShareLock on table public.accounts
