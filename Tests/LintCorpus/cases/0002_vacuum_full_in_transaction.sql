-- squawk miss: VACUUM FULL in a transactional file fails (25001).
VACUUM FULL public.orders;

-- expect: 2 vacuum-in-transaction
-- expect-trace: 2 trace-error 25001
