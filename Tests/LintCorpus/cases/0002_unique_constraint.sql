ALTER TABLE public.accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);

-- expect: 1 unique-without-using-index
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
