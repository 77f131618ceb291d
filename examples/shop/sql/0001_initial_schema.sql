-- The shop schema, generated from the Swift model in examples/shop/Sources/ShopModel.
-- Do not edit by hand: change the model, run `pgmigrate generate`, review the diff.
-- CI runs `pgmigrate generate --check`, which fails when this file and the model disagree.
-- Objects: 2 tables, 1 enum types, 4 functions, 43 statements.

-- Extensions

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Schemas

CREATE SCHEMA IF NOT EXISTS shop;

-- Enum types

CREATE TYPE shop.order_status AS ENUM (
    'new',
    'paid',
    'shipped',
    'cancelled'
);

COMMENT ON TYPE shop.order_status IS 'Lifecycle of an order.';

-- Tables, comments and indexes

CREATE TABLE shop.customers (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT customers_pkey PRIMARY KEY (id),
    CONSTRAINT customers_name_present CHECK (name <> '')
);

COMMENT ON TABLE shop.customers IS 'People who order.';
COMMENT ON COLUMN shop.customers.id IS 'Primary key.';
COMMENT ON COLUMN shop.customers.name IS 'The customer''s name.';
COMMENT ON COLUMN shop.customers.created_at IS 'When the row was created.';
COMMENT ON COLUMN shop.customers.updated_at IS 'When the row was last updated.';
COMMENT ON CONSTRAINT customers_name_present ON shop.customers IS 'A customer has a name.';

CREATE TABLE shop.orders (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    customer_id uuid NOT NULL,
    status shop.order_status DEFAULT 'new'::shop.order_status NOT NULL,
    total_cents integer NOT NULL,
    delivery_note text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES shop.customers (id) ON DELETE CASCADE,
    CONSTRAINT orders_total_cents_non_negative CHECK (total_cents >= 0)
);

COMMENT ON TABLE shop.orders IS 'Orders; deleted with their customer.';
COMMENT ON COLUMN shop.orders.id IS 'Primary key.';
COMMENT ON COLUMN shop.orders.customer_id IS 'Who ordered.';
COMMENT ON COLUMN shop.orders.status IS 'Follows the state machine.';
COMMENT ON COLUMN shop.orders.total_cents IS 'The order total, never negative.';
COMMENT ON COLUMN shop.orders.delivery_note IS 'Free text for the courier; cleared after a year.';
COMMENT ON COLUMN shop.orders.created_at IS 'When the row was created.';
COMMENT ON COLUMN shop.orders.updated_at IS 'When the row was last updated.';
COMMENT ON CONSTRAINT orders_total_cents_non_negative ON shop.orders IS 'Totals are never negative.';

CREATE INDEX idx_orders_customer_id ON shop.orders (customer_id);

COMMENT ON INDEX shop.idx_orders_customer_id IS 'Covers the foreign key.';

CREATE INDEX idx_orders_created_at ON shop.orders (created_at);

COMMENT ON INDEX shop.idx_orders_created_at IS 'Retention scans by age.';

-- Functions

CREATE OR REPLACE FUNCTION shop.orders_status_transition()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status IS DISTINCT FROM 'new' THEN
            RAISE EXCEPTION 'invalid orders.status on insert: % (a new row starts as new)', NEW.status
                USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'status', CONSTRAINT = 'orders_status_transition';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    IF (OLD.status = 'new' AND NEW.status IN ('paid', 'cancelled'))
       OR (OLD.status = 'paid' AND NEW.status IN ('shipped')) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invalid orders.status transition: % -> %', OLD.status, NEW.status
        USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'status', CONSTRAINT = 'orders_status_transition',
              HINT = 'allowed transitions: new -> paid, new -> cancelled, paid -> shipped';
END
$function$;

REVOKE ALL ON FUNCTION shop.orders_status_transition() FROM PUBLIC;

COMMENT ON FUNCTION shop.orders_status_transition() IS 'Enforces the orders.status state machine (generated from the model).';

CREATE OR REPLACE FUNCTION shop.set_updated_at()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION shop.set_updated_at() FROM PUBLIC;

COMMENT ON FUNCTION shop.set_updated_at() IS 'Sets updated_at to now() on every update.';

CREATE OR REPLACE FUNCTION shop.retention_cancelled_orders_purge(batch_size integer DEFAULT 500)
    RETURNS TABLE(affected_id uuid, detail text)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format($batch$
WITH batch AS (
    SELECT t.ctid AS row_id FROM shop.orders t
    WHERE created_at < pg_catalog.now() - interval '30 days' AND status = 'cancelled'::shop.order_status
    ORDER BY t.created_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM shop.orders t WHERE t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
RETURNING t.id, NULL::text
$batch$, batch_size);
END
$function$;

REVOKE ALL ON FUNCTION shop.retention_cancelled_orders_purge(integer) FROM PUBLIC;

COMMENT ON FUNCTION shop.retention_cancelled_orders_purge(integer) IS 'Retention rule cancelled_orders_purge: Cancelled orders older than 30 days are deleted. One batch per call.';

CREATE OR REPLACE FUNCTION shop.retention_delivery_notes_clear(batch_size integer DEFAULT 500)
    RETURNS TABLE(affected_id uuid, detail text)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF batch_size IS NULL OR batch_size < 1 THEN
        RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format($batch$
WITH batch AS (
    SELECT t.ctid AS row_id, t.id, NULL::text AS old_value FROM shop.orders t
    WHERE created_at < pg_catalog.now() - interval '365 days' AND delivery_note IS NOT NULL
    ORDER BY t.created_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
), changed AS (
    UPDATE shop.orders t SET delivery_note = NULL WHERE t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
    RETURNING t.id
)
SELECT changed.id, batch.old_value FROM changed JOIN batch ON batch.id = changed.id
$batch$, batch_size);
END
$function$;

REVOKE ALL ON FUNCTION shop.retention_delivery_notes_clear(integer) FROM PUBLIC;

COMMENT ON FUNCTION shop.retention_delivery_notes_clear(integer) IS 'Retention rule delivery_notes_clear: Delivery notes are cleared after a year. One batch per call.';

-- Triggers

CREATE TRIGGER customers_set_updated_at
    BEFORE UPDATE ON shop.customers
    FOR EACH ROW
    EXECUTE FUNCTION shop.set_updated_at();

COMMENT ON TRIGGER customers_set_updated_at ON shop.customers IS 'Maintains updated_at.';

CREATE TRIGGER orders_set_updated_at
    BEFORE UPDATE ON shop.orders
    FOR EACH ROW
    EXECUTE FUNCTION shop.set_updated_at();

COMMENT ON TRIGGER orders_set_updated_at ON shop.orders IS 'Maintains updated_at.';

CREATE TRIGGER orders_status_transition
    BEFORE INSERT OR UPDATE OF status ON shop.orders
    FOR EACH ROW
    EXECUTE FUNCTION shop.orders_status_transition();

COMMENT ON TRIGGER orders_status_transition ON shop.orders IS 'Status changes must follow the state machine.';
