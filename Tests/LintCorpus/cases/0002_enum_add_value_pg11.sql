ALTER TYPE public.mood ADD VALUE 'angry';

-- lint-pg-version: 11
-- expect: 1 enum-add-value-in-transaction
