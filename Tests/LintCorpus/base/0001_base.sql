-- The schema every corpus case runs after, with rows, so `--trace` sees
-- real work: 1000 accounts, 2000 orders.
CREATE TYPE public.mood AS ENUM ('happy', 'sad');

CREATE TABLE public.accounts (
    id bigint PRIMARY KEY,
    email varchar(50) NOT NULL,
    name varchar(50),
    nickname text,
    score integer,
    balance numeric(10,2) NOT NULL DEFAULT 0,
    mood public.mood,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.orders (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    total numeric(10,2) NOT NULL,
    note text
);

CREATE INDEX orders_account_id ON public.orders (account_id);
CREATE INDEX accounts_email ON public.accounts (email);
CREATE UNIQUE INDEX accounts_email_unique ON public.accounts (email);

-- A NOT VALID check the way the generator writes it, validated by a later file.
ALTER TABLE public.accounts ADD CONSTRAINT accounts_name_not_null CHECK (name IS NOT NULL) NOT VALID;

INSERT INTO public.accounts (id, email, name, score, mood)
SELECT g, 'user' || g || '@example.com', 'name ' || g, g % 100, 'happy' FROM generate_series(1, 1000) AS g;

INSERT INTO public.orders (id, account_id, total)
SELECT g, 1 + g % 1000, g FROM generate_series(1, 2000) AS g;
