ALTER TABLE public.accounts ADD CONSTRAINT accounts_score_range CHECK (score BETWEEN 0 AND 100);

-- expect: 1 check-without-not-valid
-- expect-trace: 1 trace-lock AccessExclusiveLock on table public.accounts
