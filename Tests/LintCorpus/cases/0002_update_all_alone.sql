-- Not next to DDL: a data migration of its own is not flagged.
UPDATE public.accounts SET nickname = name;
