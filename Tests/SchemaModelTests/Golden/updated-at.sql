CREATE OR REPLACE FUNCTION shop.set_changed_at()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    NEW.changed_at := pg_catalog.now();
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION shop.set_changed_at() FROM PUBLIC;

COMMENT ON FUNCTION shop.set_changed_at() IS 'Sets changed_at to now() on every update.';

CREATE TRIGGER orders_set_changed_at
    BEFORE UPDATE ON shop.orders
    FOR EACH ROW
    EXECUTE FUNCTION shop.set_changed_at();

COMMENT ON TRIGGER orders_set_changed_at ON shop.orders IS 'Maintains changed_at.';
