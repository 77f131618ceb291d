CREATE OR REPLACE FUNCTION shop.set_shop_id_from_orders()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF NEW.shop_id IS NULL THEN
        SELECT p.shop_id INTO NEW.shop_id FROM shop.orders p WHERE p.order_id = NEW.order_id;
        IF NOT FOUND AND NEW.order_id IS NOT NULL THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || '_order_id_fkey'
                USING ERRCODE = 'foreign_key_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                      CONSTRAINT = coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || '_order_id_fkey',
                      DETAIL = 'Key (order_id)=(' || NEW.order_id || ') is not present in table "orders".';
        END IF;
    END IF;
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION shop.set_shop_id_from_orders() FROM PUBLIC;

COMMENT ON FUNCTION shop.set_shop_id_from_orders() IS 'Fills shop_id from the parent orders row when the insert omits it.';

CREATE TRIGGER order_lines_shop_id_default
    BEFORE INSERT ON shop.order_lines
    FOR EACH ROW
    WHEN (NEW.shop_id IS NULL)
    EXECUTE FUNCTION shop.set_shop_id_from_orders();

COMMENT ON TRIGGER order_lines_shop_id_default ON shop.order_lines IS 'Fills shop_id from the orders row when the insert omits it.';
