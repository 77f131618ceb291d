DROP INDEX public.accounts_email;

-- expect: 1 drop-index-without-concurrently
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.accounts_email
