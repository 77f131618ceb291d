ALTER TABLE public.accounts ALTER COLUMN nickname SET NOT NULL;

-- expect: 1 set-not-null
-- expect-trace: 1 trace-error 23502
