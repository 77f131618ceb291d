DROP INDEX CONCURRENTLY public.accounts_email;

-- expect: 1 concurrently-in-transaction
-- expect-trace: 1 trace-error 25001
