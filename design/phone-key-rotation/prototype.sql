-- PROTOTYPE (issue 18 parts 2-4), NOT a migration and not built or applied by
-- pgmigrate: the schema and functions key separation and online rotation need,
-- written by hand on top of sql/0001 so the design can be tried and measured
-- (demo.sh). The shipped version must come from the Swift model
-- (EncryptedHashedColumn) through `pgmigrate generate`, as 0010+.
--
-- Settings a session may carry (startup options only):
--   app.phone_encryption_key      the key (old key during a rotation)
--   app.new_phone_encryption_key  the new key, during a rotation
-- Schemes: 1 = legacy (the secret itself: iterated S2K, HMAC under the secret)
--          2 = derived: enc key = hex(HMAC(secret, 'pgmigrate phone encryption v2')),
--              hash key = hex(HMAC(secret, 'pgmigrate phone lookup v2')), s2k-mode=1

ALTER TABLE public.phone_encryption_key_check
    ADD COLUMN generation integer DEFAULT 1 NOT NULL,
    ADD COLUMN scheme smallint DEFAULT 1 NOT NULL,
    ADD COLUMN retiring_check_value bytea,
    ADD COLUMN retiring_generation integer,
    ADD COLUMN retiring_scheme smallint,
    ADD CONSTRAINT phone_encryption_key_check_scheme_known CHECK (scheme IN (1, 2) AND retiring_scheme IN (1, 2)),
    ADD CONSTRAINT phone_encryption_key_check_retiring_complete
        CHECK ((retiring_check_value IS NULL) = (retiring_generation IS NULL) AND (retiring_generation IS NULL) = (retiring_scheme IS NULL)),
    ADD CONSTRAINT phone_encryption_key_check_retiring_older CHECK (retiring_generation < generation);

ALTER TABLE public.call_sessions ADD COLUMN customer_phone_key_generation integer DEFAULT 1 NOT NULL;
CREATE INDEX idx_call_sessions_customer_phone_key_generation
    ON public.call_sessions (customer_phone_key_generation) WHERE customer_phone IS NOT NULL;

CREATE FUNCTION public.phone_key_derive(secret text, scheme smallint, purpose text)
    RETURNS text LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
SELECT CASE WHEN scheme = 1 THEN secret
            ELSE pg_catalog.encode(public.hmac('pgmigrate phone ' || purpose || ' v2', secret, 'sha256'), 'hex') END
$$;
REVOKE ALL ON FUNCTION public.phone_key_derive(text, smallint, text) FROM PUBLIC;

-- The keys this session holds, each with the generation and scheme it opens:
-- 55000 when none is set, 22023 when one is neither the current nor the
-- retiring key. A write (for_write) holds the key record FOR KEY SHARE until
-- it commits, as a foreign-key check holds its parent row: the rotation's
-- begin and finish take it FOR UPDATE, so they wait for every write that
-- chose its key before them, and no row can land under a key the rotation
-- has already forgotten. Reads take no lock (they work on a standby too).
CREATE FUNCTION public.phone_encryption_session_keys(for_write boolean DEFAULT false)
    RETURNS TABLE(generation integer, scheme smallint, secret text, is_current boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
    keys text[] := ARRAY[]::text[];
    computed bytea;
    r public.phone_encryption_key_check;
    first_scheme smallint := 2;
BEGIN
    FOREACH k IN ARRAY ARRAY[pg_catalog.current_setting('app.phone_encryption_key', true),
                             pg_catalog.current_setting('app.new_phone_encryption_key', true)] LOOP
        IF k IS NOT NULL AND k <> '' AND NOT k = ANY (keys) THEN keys := keys || k; END IF;
    END LOOP;
    IF pg_catalog.cardinality(keys) = 0 THEN
        RAISE EXCEPTION 'app.phone_encryption_key is not set: customer phone numbers cannot be encrypted, decrypted or looked up'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'send app.phone_encryption_key in the connection''s startup options; never ALTER ROLE or ALTER DATABASE ... SET it';
    END IF;
    IF for_write THEN
        SELECT * INTO r FROM public.phone_encryption_key_check FOR KEY SHARE;
    ELSE
        SELECT * INTO r FROM public.phone_encryption_key_check;
    END IF;
    IF NOT FOUND THEN
        -- First use. Numbers stored without a record (the owner removed it)
        -- are legacy ones and must open with this key; then the database
        -- stays on the legacy scheme until a rotation. Else it starts on v2.
        IF EXISTS (SELECT 1 FROM public.call_sessions t WHERE t.customer_phone IS NOT NULL) THEN
            BEGIN
                PERFORM public.pgp_sym_decrypt(pg_catalog.decode(t.customer_phone, 'base64'), keys[1])
                FROM public.call_sessions t WHERE t.customer_phone IS NOT NULL LIMIT 1;
            EXCEPTION WHEN external_routine_invocation_exception THEN
                RAISE EXCEPTION 'app.phone_encryption_key is not the key this database''s phone numbers are encrypted with (a stored number does not decrypt: %)', SQLERRM
                    USING ERRCODE = 'invalid_parameter_value';
            END;
            first_scheme := 1;
        END IF;
        INSERT INTO public.phone_encryption_key_check (check_value, generation, scheme)
        VALUES (public.hmac('pgmigrate phone encryption key check', keys[1], 'sha256'), 1, first_scheme) ON CONFLICT DO NOTHING;
        SELECT * INTO r FROM public.phone_encryption_key_check FOR KEY SHARE;
    END IF;
    FOREACH k IN ARRAY keys LOOP
        computed := public.hmac('pgmigrate phone encryption key check', k, 'sha256');
        IF computed = r.check_value THEN
            generation := r.generation; scheme := r.scheme; secret := k; is_current := true; RETURN NEXT;
        END IF;
        IF computed = r.retiring_check_value THEN
            generation := r.retiring_generation; scheme := r.retiring_scheme; secret := k; is_current := false; RETURN NEXT;
        END IF;
        IF computed IS DISTINCT FROM r.check_value AND computed IS DISTINCT FROM r.retiring_check_value THEN
            RAISE EXCEPTION 'a phone encryption key of this session is not the key this database''s phone numbers are encrypted with'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'phone_encryption_key_check records the current key (and, during a rotation, the retiring one) as HMACs';
        END IF;
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION public.phone_encryption_session_keys(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.phone_encryption_session_keys(boolean) TO call_service, business_app;

-- Kept for callers of 0001: the session's key for writing (current if held).
CREATE OR REPLACE FUNCTION public.phone_encryption_key()
    RETURNS text LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT k.secret FROM public.phone_encryption_session_keys() k ORDER BY k.is_current DESC LIMIT 1 $$;

CREATE OR REPLACE FUNCTION public.decrypt_customer_phone(ciphertext text, generation integer)
    RETURNS text LANGUAGE plpgsql STABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
DECLARE k record;
BEGIN
    FOR k IN SELECT * FROM public.phone_encryption_session_keys() s WHERE s.generation = decrypt_customer_phone.generation LOOP
        RETURN public.pgp_sym_decrypt(pg_catalog.decode(ciphertext, 'base64'), public.phone_key_derive(k.secret, k.scheme, 'encryption'));
    END LOOP;
    RAISE EXCEPTION 'this session holds no key for phone key generation %', generation
        USING ERRCODE = 'invalid_parameter_value', HINT = 'during a rotation, send both keys';
END
$$;
REVOKE ALL ON FUNCTION public.decrypt_customer_phone(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.decrypt_customer_phone(text, integer) TO call_service;

-- One argument (0001's signature): tries the session's keys, current first.
CREATE OR REPLACE FUNCTION public.decrypt_customer_phone(ciphertext text)
    RETURNS text LANGUAGE plpgsql STABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
DECLARE k record;
BEGIN
    FOR k IN SELECT * FROM public.phone_encryption_session_keys() s ORDER BY s.is_current DESC LOOP
        BEGIN
            RETURN public.pgp_sym_decrypt(pg_catalog.decode(ciphertext, 'base64'), public.phone_key_derive(k.secret, k.scheme, 'encryption'));
        EXCEPTION WHEN external_routine_invocation_exception THEN NULL;
        END;
    END LOOP;
    RAISE EXCEPTION 'no phone encryption key of this session decrypts this number'
        USING ERRCODE = 'invalid_parameter_value', HINT = 'during a rotation, send both keys';
END
$$;

-- Every lookup hash of a number under the session's keys (two during a rotation).
CREATE FUNCTION public.customer_phone_lookup_hashes(phone text)
    RETURNS bytea[] LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
SELECT pg_catalog.array_agg(public.hmac(public.normalize_swedish_phone(phone), public.phone_key_derive(k.secret, k.scheme, 'lookup'), 'sha256'))
FROM public.phone_encryption_session_keys() k
$$;
REVOKE ALL ON FUNCTION public.customer_phone_lookup_hashes(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.customer_phone_lookup_hashes(text) TO call_service;

CREATE OR REPLACE FUNCTION public.customer_phone_lookup_hash(phone text)
    RETURNS bytea LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
SELECT public.hmac(public.normalize_swedish_phone(phone), public.phone_key_derive(k.secret, k.scheme, 'lookup'), 'sha256')
FROM public.phone_encryption_session_keys() k ORDER BY k.is_current DESC LIMIT 1
$$;

CREATE OR REPLACE FUNCTION public.call_sessions_customer_phone_protect()
    RETURNS trigger LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    normalized text;
    k record;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.customer_phone IS NOT DISTINCT FROM OLD.customer_phone THEN
        NEW.customer_phone_hash := OLD.customer_phone_hash; -- the hash and generation only ever follow the number
        NEW.customer_phone_key_generation := OLD.customer_phone_key_generation;
        RETURN NEW;
    END IF;
    IF NEW.customer_phone IS NULL THEN
        IF TG_OP = 'INSERT' THEN
            RAISE EXCEPTION 'null value in column "customer_phone" of relation "call_sessions" violates not-null constraint'
                USING ERRCODE = 'not_null_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'customer_phone';
        END IF;
        NEW.customer_phone_hash := NULL; -- erasure
        RETURN NEW;
    END IF;
    normalized := public.normalize_swedish_phone(NEW.customer_phone);
    -- the current key when the session holds it; else the retiring one (the rotator re-encrypts it)
    SELECT * INTO k FROM public.phone_encryption_session_keys(true) s ORDER BY s.is_current DESC LIMIT 1;
    NEW.customer_phone := pg_catalog.translate(pg_catalog.encode(
        CASE WHEN k.scheme = 1 THEN public.pgp_sym_encrypt(normalized, k.secret, 'cipher-algo=aes256')
             ELSE public.pgp_sym_encrypt(normalized, public.phone_key_derive(k.secret, k.scheme, 'encryption'), 'cipher-algo=aes256, s2k-mode=1') END,
        'base64'), E'\n', '');
    NEW.customer_phone_hash := public.hmac(normalized, public.phone_key_derive(k.secret, k.scheme, 'lookup'), 'sha256');
    NEW.customer_phone_key_generation := k.generation;
    RETURN NEW;
END
$$;

DROP TRIGGER call_sessions_customer_phone_protect ON public.call_sessions;
CREATE TRIGGER call_sessions_customer_phone_protect
    BEFORE INSERT OR UPDATE OF customer_phone, customer_phone_hash, customer_phone_key_generation ON public.call_sessions
    FOR EACH ROW EXECUTE FUNCTION public.call_sessions_customer_phone_protect();

-- erase_customer_data: one change from 0001, the target is every hash of the session's keys.
DO $do$
DECLARE src text := pg_catalog.pg_get_functiondef('public.erase_customer_data(text)'::regprocedure);
BEGIN
    src := replace(src, 'target bytea := public.customer_phone_lookup_hash(phone);', 'targets bytea[] := public.customer_phone_lookup_hashes(phone);');
    src := replace(src, 'WHERE customer_phone_hash = target FOR UPDATE', 'WHERE customer_phone_hash = ANY (targets) FOR UPDATE');
    EXECUTE src;
END
$do$;

-- Rotation, run by the table owner with both keys in the session.
-- begin: refuses (22023) unless app.phone_encryption_key is the current key
-- (or, resuming, the retiring one and the new key the current one).
CREATE FUNCTION public.phone_key_rotation_begin()
    RETURNS TABLE(retiring_generation integer, current_generation integer, resumed boolean)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_key text := pg_catalog.current_setting('app.phone_encryption_key', true);
    new_key text := pg_catalog.current_setting('app.new_phone_encryption_key', true);
    old_check bytea;
    new_check bytea;
    r public.phone_encryption_key_check;
BEGIN
    IF coalesce(old_key, '') = '' OR coalesce(new_key, '') = '' THEN
        RAISE EXCEPTION 'a rotation needs app.phone_encryption_key (old) and app.new_phone_encryption_key (new)'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    old_check := public.hmac('pgmigrate phone encryption key check', old_key, 'sha256');
    new_check := public.hmac('pgmigrate phone encryption key check', new_key, 'sha256');
    SELECT * INTO r FROM public.phone_encryption_key_check FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no phone encryption key is recorded yet: nothing to rotate' USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF r.retiring_generation IS NOT NULL THEN
        IF r.retiring_check_value = old_check AND r.check_value = new_check THEN
            retiring_generation := r.retiring_generation; current_generation := r.generation; resumed := true; RETURN NEXT; RETURN;
        END IF;
        RAISE EXCEPTION 'another phone key rotation is in progress (its old and new keys are not these)'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'finish it with the same two keys';
    END IF;
    IF r.check_value IS DISTINCT FROM old_check THEN
        RAISE EXCEPTION 'the old phone encryption key is not the key this database''s phone numbers are encrypted with'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE public.phone_encryption_key_check
    SET retiring_check_value = check_value, retiring_generation = r.generation, retiring_scheme = r.scheme,
        check_value = new_check, generation = r.generation + 1, scheme = 2,
        registered_at = pg_catalog.now(), registered_by = CURRENT_USER;
    retiring_generation := r.generation; current_generation := r.generation + 1; resumed := false; RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION public.phone_key_rotation_begin() FROM PUBLIC;

-- One batch: re-encrypts up to n numbers still under the retiring key (rows
-- other transactions hold are skipped and picked up by a later batch).
-- Writing the plain number back lets the trigger encrypt and hash it under
-- the current key and record the new generation: a row is either wholly
-- under the old generation or wholly under the new one, never both.
CREATE FUNCTION public.phone_key_rotation_batch(n integer)
    RETURNS integer LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    done integer;
    g integer;
BEGIN
    SELECT c.retiring_generation INTO g FROM public.phone_encryption_key_check c;
    IF g IS NULL THEN RETURN 0; END IF;
    WITH batch AS (
        SELECT t.id FROM public.call_sessions t
        WHERE t.customer_phone IS NOT NULL AND t.customer_phone_key_generation = g
        LIMIT n FOR UPDATE SKIP LOCKED)
    UPDATE public.call_sessions t SET customer_phone = public.decrypt_customer_phone(t.customer_phone, g)
    FROM batch WHERE t.id = batch.id;
    GET DIAGNOSTICS done = ROW_COUNT;
    RETURN done;
END
$$;
REVOKE ALL ON FUNCTION public.phone_key_rotation_batch(integer) FROM PUBLIC;

-- finish: true when no number is left under the retiring key; the retiring
-- key is then forgotten (and refused from now on). The FOR UPDATE waits for
-- every uncommitted write (they hold the record FOR KEY SHARE).
CREATE FUNCTION public.phone_key_rotation_finish()
    RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE r public.phone_encryption_key_check;
BEGIN
    SELECT * INTO r FROM public.phone_encryption_key_check FOR UPDATE;
    IF r.retiring_generation IS NULL THEN RETURN true; END IF;
    IF EXISTS (SELECT 1 FROM public.call_sessions t
               WHERE t.customer_phone IS NOT NULL AND t.customer_phone_key_generation = r.retiring_generation) THEN
        RETURN false;
    END IF;
    UPDATE public.phone_encryption_key_check
    SET retiring_check_value = NULL, retiring_generation = NULL, retiring_scheme = NULL;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION public.phone_key_rotation_finish() FROM PUBLIC;
