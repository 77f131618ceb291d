CREATE DATABASE reporting;

-- expect: 1 database-in-transaction
-- expect-trace: 1 trace-error 25001
