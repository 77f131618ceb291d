ALTER TABLE public.accounts ADD CONSTRAINT accounts_score_small CHECK (score < 50);

-- expect: 1 check-without-not-valid
-- expect-trace: 1 trace-error 23514
