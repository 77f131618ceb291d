-- squawk miss: the new label is used in the transaction that added it (55P04).
ALTER TYPE public.mood ADD VALUE 'angry';
UPDATE public.accounts SET mood = 'angry' WHERE id = 1;

-- expect: 3 enum-value-used-in-same-transaction
-- expect-trace: 3 trace-error 55P04
