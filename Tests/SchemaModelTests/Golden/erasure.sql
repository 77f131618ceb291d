CREATE OR REPLACE FUNCTION shop.forget_customer(email text)
    RETURNS TABLE(orders integer, notes integer, parcels integer)
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    target bytea := shop.email_lookup_hash(email);
    ids uuid[];
BEGIN
    SELECT coalesce(array_agg(s.order_id), '{}') INTO ids
    FROM (SELECT order_id FROM shop.orders WHERE email_hash = target FOR UPDATE) s;
    orders := pg_catalog.cardinality(ids);
    IF orders = 0 THEN
        -- (A wrong key never gets here: the lookup hash refuses it, 22023.)
        notes := 0; parcels := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    UPDATE shop.orders SET email = NULL, delivery_address = NULL
    WHERE order_id = ANY (ids);
    UPDATE shop.order_notes SET note = ''
    WHERE order_id = ANY (ids);
    GET DIAGNOSTICS notes = ROW_COUNT;
    UPDATE shop.parcels
    SET recipient_name = '[erased]', recipient_phone = NULL,
        courier_instructions = CASE WHEN delivered THEN NULL ELSE '[erased]' END
    WHERE order_id = ANY (ids);
    GET DIAGNOSTICS parcels = ROW_COUNT;
    INSERT INTO shop.forget_log (orders, notes, parcels)
    VALUES (orders, notes, parcels);
    RETURN NEXT;
END
$function$;

REVOKE ALL ON FUNCTION shop.forget_customer(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.forget_customer(text) TO shop_backend;

COMMENT ON FUNCTION shop.forget_customer(text) IS 'Forgets a customer.';
