ALTER TABLE public.accounts ADD COLUMN region text NOT NULL;

-- expect: 1 not-null-column-without-default
-- expect-trace: 1 trace-error 23502
