ALTER TABLE public.accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();

-- expect: 1 volatile-default
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.accounts_pkey
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.accounts_email
-- expect-trace: 1 trace-lock AccessExclusiveLock on index public.accounts_email_unique
-- expect-trace: 1 trace-rewrite table public.accounts rewritten
-- expect-trace: 1 trace-rewrite index public.accounts_pkey rewritten
-- expect-trace: 1 trace-rewrite index public.accounts_email rewritten
-- expect-trace: 1 trace-rewrite index public.accounts_email_unique rewritten
