REINDEX INDEX public.accounts_email;

-- expect: 1 reindex-without-concurrently
-- expect-trace: 1 trace-lock ShareLock on table public.accounts
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.accounts_email
-- expect-trace: 1 trace-rewrite index public.accounts_email rewritten
