CREATE OR REPLACE FUNCTION shop.normalize_email(raw text)
    RETURNS text
    LANGUAGE sql
    IMMUTABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
SELECT pg_catalog.lower(pg_catalog.btrim(raw))
$function$;

REVOKE ALL ON FUNCTION shop.normalize_email(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.normalize_email(text) TO shop_backend;

COMMENT ON FUNCTION shop.normalize_email(text) IS 'Lower-cases an e-mail address.';

CREATE OR REPLACE FUNCTION shop.email_key()
    RETURNS text
    LANGUAGE plpgsql
    VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    key text := pg_catalog.current_setting('shop.email_key', true);
    computed bytea;
    recorded bytea;
BEGIN
    IF key IS NULL OR key = '' THEN
        RAISE EXCEPTION 'shop.email_key is not set: customer e-mail addresses cannot be encrypted, decrypted or looked up'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'send shop.email_key in the connection''s startup options (libpq options=''-c shop.email_key=...''); never ALTER ROLE or ALTER DATABASE ... SET it (every role can read those) nor SET it in a statement (logged)';
    END IF;
    computed := crypto.hmac('shop email key check', key, 'sha256');
    SELECT c.check_value INTO recorded FROM shop.email_key_check c;
    IF recorded IS NULL THEN
        -- Numbers already stored (before the record, or after the owner
        -- removed it) must open with the key about to be recorded.
        BEGIN
            PERFORM crypto.pgp_sym_decrypt(pg_catalog.decode(t.email, 'base64'), key)
            FROM shop.orders t WHERE t.email IS NOT NULL LIMIT 1;
        EXCEPTION WHEN external_routine_invocation_exception THEN
            RAISE EXCEPTION 'shop.email_key is not the key this database''s e-mail addresses are encrypted with (a stored address does not decrypt: %)', SQLERRM
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'set the key the addresss were stored with';
        END;
        -- The first key used becomes the database's key; a concurrent
        -- first use with another key waits here and is then refused.
        INSERT INTO shop.email_key_check (check_value) VALUES (computed) ON CONFLICT DO NOTHING;
        SELECT c.check_value INTO recorded FROM shop.email_key_check c;
    END IF;
    IF recorded IS DISTINCT FROM computed THEN
        RAISE EXCEPTION 'shop.email_key is not the key this database''s e-mail addresses are encrypted with'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'set the key the addresss were stored with; email_key_check records it (as an HMAC) since the first address was stored';
    END IF;
    RETURN key;
END
$function$;

REVOKE ALL ON FUNCTION shop.email_key() FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.email_key() TO shop_backend;

GRANT EXECUTE ON FUNCTION shop.email_key() TO shop_clerk;

COMMENT ON FUNCTION shop.email_key() IS 'The key in shop.email_key: raises 55000 when it is not set and 22023 when it is not the key the stored addresss use (the first key used is recorded in email_key_check).';

CREATE OR REPLACE FUNCTION shop.decrypt_email(ciphertext text)
    RETURNS text
    LANGUAGE sql
    STABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
SELECT crypto.pgp_sym_decrypt(pg_catalog.decode(ciphertext, 'base64'), shop.email_key())
$function$;

REVOKE ALL ON FUNCTION shop.decrypt_email(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.decrypt_email(text) TO shop_backend;

COMMENT ON FUNCTION shop.decrypt_email(text) IS 'Decrypts a stored orders.email with the key in shop.email_key.';

CREATE OR REPLACE FUNCTION shop.email_lookup_hash(email text)
    RETURNS bytea
    LANGUAGE sql
    STABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $function$
SELECT crypto.hmac(shop.normalize_email(email), shop.email_key(), 'sha256')
$function$;

REVOKE ALL ON FUNCTION shop.email_lookup_hash(text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.email_lookup_hash(text) TO shop_backend;

COMMENT ON FUNCTION shop.email_lookup_hash(text) IS 'The keyed hash stored in orders.email_hash for an e-mail address.';

CREATE OR REPLACE FUNCTION shop.orders_email_protect()
    RETURNS trigger
    LANGUAGE plpgsql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    normalized text;
    key text;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.email IS NOT DISTINCT FROM OLD.email THEN
        NEW.email_hash := OLD.email_hash; -- the hash only ever follows the number
        RETURN NEW;
    END IF;
    IF NEW.email IS NULL THEN
        IF TG_OP = 'INSERT' THEN
            RAISE EXCEPTION 'null value in column "email" of relation "orders" violates not-null constraint'
                USING ERRCODE = 'not_null_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'email';
        END IF;
        NEW.email_hash := NULL; -- erasure
        RETURN NEW;
    END IF;
    normalized := shop.normalize_email(NEW.email);
    key := shop.email_key();
    NEW.email := pg_catalog.translate(pg_catalog.encode(crypto.pgp_sym_encrypt(normalized, key, 'cipher-algo=aes256'), 'base64'), E'\n', '');
    NEW.email_hash := crypto.hmac(normalized, key, 'sha256');
    RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION shop.orders_email_protect() FROM PUBLIC;

COMMENT ON FUNCTION shop.orders_email_protect() IS 'Normalises, validates and encrypts orders.email; keeps its keyed hash in email_hash.';

CREATE TRIGGER orders_email_protect
    BEFORE INSERT OR UPDATE OF email, email_hash ON shop.orders
    FOR EACH ROW
    EXECUTE FUNCTION shop.orders_email_protect();

COMMENT ON TRIGGER orders_email_protect ON shop.orders IS 'Encrypts the e-mail address at rest.';
