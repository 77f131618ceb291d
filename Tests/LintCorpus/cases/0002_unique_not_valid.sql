ALTER TABLE public.accounts ADD CONSTRAINT accounts_email_key UNIQUE (email) NOT VALID;

-- expect: 1 not-valid-on-unique
-- expect-trace: 1 trace-error 0A000
