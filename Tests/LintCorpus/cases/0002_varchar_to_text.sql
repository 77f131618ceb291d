-- squawk calls this a rewrite; varchar -> text is binary coercible.
ALTER TABLE public.accounts ALTER COLUMN email TYPE text;

-- expect-trace: 2 trace-lock AccessExclusiveLock on table public.accounts
-- expect-trace: 2 trace-lock AccessExclusiveLock on index public.accounts_email
-- expect-trace: 2 trace-lock AccessExclusiveLock on index public.accounts_email_unique
