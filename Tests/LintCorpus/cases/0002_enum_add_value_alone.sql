-- Safe (generator style): the label in a file of its own.
ALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'angry';
