ALTER SYSTEM SET work_mem = '64MB';

-- expect: 1 alter-system-in-transaction
-- expect-trace: 1 trace-error 25001
