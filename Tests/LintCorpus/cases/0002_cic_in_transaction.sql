-- squawk miss: a lone CREATE INDEX CONCURRENTLY in a transactional file fails (25001).
CREATE INDEX CONCURRENTLY accounts_name ON public.accounts (name);

-- expect: 2 concurrently-in-transaction
-- expect-trace: 2 trace-error 25001
