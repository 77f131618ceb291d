CREATE OR REPLACE FUNCTION shop.order_notes_rules()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    session_status text;
    session_tenant uuid;
    latest timestamp with time zone;
BEGIN
    -- The rules must see events and status changes committed while this
    -- insert waited for the lock; only READ COMMITTED takes a new snapshot
    -- per statement, so other isolation levels are refused.
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'writes to order_notes need READ COMMITTED isolation; this transaction is %', pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'the ordering and status rules compare against events committed by other sessions, which an older snapshot cannot see';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1885826353, pg_catalog.hashtext(NEW.order_id::text));
    SELECT s.state::text, (SELECT max(e.written_at) FROM shop.order_notes e WHERE e.order_id = s.order_id AND e.written_at > NEW.written_at) INTO session_status, latest
FROM shop.orders s WHERE s.order_id = NEW.order_id;
    IF NOT FOUND THEN
        RETURN NEW; -- the foreign key (or row-level security) rejects the row
    END IF;
    IF NOT ((session_status = 'new' AND NEW.kind IN ('remark'))
                     OR (session_status = 'paid' AND NEW.kind IN ('remark', 'refund'))) THEN
        RAISE EXCEPTION 'invalid order_notes.kind: % is not allowed while the order is %', NEW.kind, session_status
            USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                  COLUMN = 'kind', CONSTRAINT = 'order_notes_kind_allowed';
    END IF;
    IF latest IS NOT NULL AND NEW.written_at < latest THEN
        RAISE EXCEPTION 'invalid order_notes.written_at: % is earlier than the session''s latest event (%)', NEW.written_at, latest
            USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                  COLUMN = 'written_at', CONSTRAINT = 'order_notes_written_at_chronological';
    END IF;
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION shop.order_notes_rules() FROM PUBLIC;

COMMENT ON FUNCTION shop.order_notes_rules() IS 'Event type must suit the session status; timestamps never go backwards within a session.';

CREATE OR REPLACE FUNCTION shop.order_notes_rules()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    session_status text;
    session_tenant uuid;
    latest timestamp with time zone;
BEGIN
    -- The rules must see events and status changes committed while this
    -- insert waited for the lock; only READ COMMITTED takes a new snapshot
    -- per statement, so other isolation levels are refused.
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'writes to order_notes need READ COMMITTED isolation; this transaction is %', pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'the ordering and status rules compare against events committed by other sessions, which an older snapshot cannot see';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(1885826353, pg_catalog.hashtext(NEW.order_id::text));
    SELECT s.state::text, s.shop_id, (SELECT max(e.written_at) FROM shop.order_notes e WHERE e.order_id = s.order_id AND e.written_at > NEW.written_at) INTO session_status, session_tenant, latest
FROM shop.orders s WHERE s.order_id = NEW.order_id;
    IF NOT FOUND THEN
        IF NEW.shop_id IS NULL AND NEW.order_id IS NOT NULL THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || '_order_id_fkey'
                USING ERRCODE = 'foreign_key_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                      CONSTRAINT = coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || '_order_id_fkey',
                      DETAIL = 'Key (order_id)=(' || NEW.order_id || ') is not present in table "orders".';
        END IF;
        RETURN NEW; -- the foreign key (or row-level security) rejects the row
    END IF;
    IF NEW.shop_id IS NULL THEN
        NEW.shop_id := session_tenant;
    END IF;
    IF session_tenant IS DISTINCT FROM COALESCE(shop.current_shop(), session_tenant) THEN
        RETURN NEW; -- another tenant's session: row-level security rejects the row; nothing about the session is told
    END IF;
    IF NOT ((session_status = 'new' AND NEW.kind IN ('remark'))
                     OR (session_status = 'paid' AND NEW.kind IN ('remark', 'refund'))) THEN
        RAISE EXCEPTION 'invalid order_notes.kind: % is not allowed while the order is %', NEW.kind, session_status
            USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                  COLUMN = 'kind', CONSTRAINT = 'order_notes_kind_allowed';
    END IF;
    IF latest IS NOT NULL AND NEW.written_at < latest THEN
        RAISE EXCEPTION 'invalid order_notes.written_at: % is earlier than the session''s latest event (%)', NEW.written_at, latest
            USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                  COLUMN = 'written_at', CONSTRAINT = 'order_notes_written_at_chronological';
    END IF;
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION shop.order_notes_rules() FROM PUBLIC;

COMMENT ON FUNCTION shop.order_notes_rules() IS 'Event type must suit the session status; timestamps never go backwards within a session.';

CREATE TRIGGER order_notes_rules
    BEFORE INSERT OR UPDATE OF order_id, kind, written_at ON shop.order_notes
    FOR EACH ROW
    EXECUTE FUNCTION shop.order_notes_rules();

COMMENT ON TRIGGER order_notes_rules ON shop.order_notes IS 'Event type and ordering rules (generated from the model).';
