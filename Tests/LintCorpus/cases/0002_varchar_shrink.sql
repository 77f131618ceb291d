ALTER TABLE public.accounts ALTER COLUMN name TYPE varchar(20);

-- expect: 1 rewriting-type-change
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.accounts_pkey
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.accounts_email
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.accounts_email_unique
-- expect-trace: 1 trace-rewrite table public.accounts rewritten
-- expect-trace: 1 trace-rewrite index public.accounts_pkey rewritten
-- expect-trace: 1 trace-rewrite index public.accounts_email rewritten
-- expect-trace: 1 trace-rewrite index public.accounts_email_unique rewritten
