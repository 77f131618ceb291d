CREATE OR REPLACE FUNCTION shop.orders_state_transition()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state IS DISTINCT FROM 'new' THEN
            RAISE EXCEPTION 'invalid orders.state on insert: % (a new row starts as new)', NEW.state
                USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'state', CONSTRAINT = 'orders_state_transition';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.state IS NOT DISTINCT FROM OLD.state THEN
        RETURN NEW;
    END IF;
    IF (OLD.state = 'new' AND NEW.state IN ('paid', 'cancelled'))
       OR (OLD.state = 'paid' AND NEW.state IN ('shipped')) THEN
        PERFORM pg_catalog.pg_advisory_xact_lock(1885826353, pg_catalog.hashtext(NEW.order_id::text));
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invalid orders.state transition: % -> %', OLD.state, NEW.state
        USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'state', CONSTRAINT = 'orders_state_transition',
              HINT = 'allowed transitions: new -> paid, new -> cancelled, paid -> shipped';
END
$function$;

REVOKE ALL ON FUNCTION shop.orders_state_transition() FROM PUBLIC;

COMMENT ON FUNCTION shop.orders_state_transition() IS 'Enforces the orders.state state machine (generated from the model).';

CREATE TRIGGER orders_state_transition
    BEFORE INSERT OR UPDATE OF state ON shop.orders
    FOR EACH ROW
    EXECUTE FUNCTION shop.orders_state_transition();

COMMENT ON TRIGGER orders_state_transition ON shop.orders IS 'Status changes must follow the state machine.';

stateDiagram-v2
    [*] --> new
    new --> paid: paid
    new --> cancelled: given up
    paid --> shipped: sent
    shipped --> [*]
    cancelled --> [*]
