CREATE OR REPLACE FUNCTION shop.retention_notes_archive(batch_size integer DEFAULT 500)
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
    SELECT t.ctid AS row_id FROM shop.order_notes t
    WHERE written_at < pg_catalog.now() - interval '365 days'
    ORDER BY t.written_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
), moved AS (
    DELETE FROM shop.order_notes t WHERE t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
    RETURNING t.*
)
INSERT INTO shop.order_notes_archive (order_id, shop_id, note, written_at, archived_at)
SELECT moved.order_id, moved.shop_id, moved.note, moved.written_at, pg_catalog.now() FROM moved
RETURNING order_id, NULL::text
$batch$, batch_size);
END
$function$;

REVOKE ALL ON FUNCTION shop.retention_notes_archive(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.retention_notes_archive(integer) TO shop_backend;

COMMENT ON FUNCTION shop.retention_notes_archive(integer) IS 'Retention rule notes_archive: Old notes move to the archive. One batch per call.';

CREATE OR REPLACE FUNCTION shop.retention_notes_delete(batch_size integer DEFAULT 500)
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
    SELECT t.ctid AS row_id FROM shop.order_notes t
    WHERE written_at < pg_catalog.now() - interval '730 days' AND note LIKE '%%100%%%%'
    ORDER BY t.written_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
DELETE FROM shop.order_notes t WHERE t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
RETURNING t.order_id, NULL::text
$batch$, batch_size);
END
$function$;

REVOKE ALL ON FUNCTION shop.retention_notes_delete(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.retention_notes_delete(integer) TO shop_backend;

COMMENT ON FUNCTION shop.retention_notes_delete(integer) IS 'Retention rule notes_delete: Very old notes go. One batch per call.';

CREATE OR REPLACE FUNCTION shop.retention_notes_clear(batch_size integer DEFAULT 500)
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
    SELECT t.ctid AS row_id, t.order_id, t.note::text AS old_value FROM shop.order_notes t
    WHERE written_at < pg_catalog.now() - interval '30 days' AND note IS NOT NULL
    ORDER BY t.written_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
), changed AS (
    UPDATE shop.order_notes t SET note = NULL WHERE t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
    RETURNING t.order_id
)
SELECT changed.order_id, batch.old_value FROM changed JOIN batch ON batch.order_id = changed.order_id
$batch$, batch_size);
END
$function$;

REVOKE ALL ON FUNCTION shop.retention_notes_clear(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.retention_notes_clear(integer) TO shop_backend;

COMMENT ON FUNCTION shop.retention_notes_clear(integer) IS 'Retention rule notes_clear: Note texts are cleared. One batch per call.';

CREATE OR REPLACE FUNCTION shop.retention_notes_anonymize(batch_size integer DEFAULT 500)
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
    SELECT t.ctid AS row_id FROM shop.order_notes t
    WHERE written_at < pg_catalog.now() - interval '90 days'
    ORDER BY t.written_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
UPDATE shop.order_notes t
SET note = shop.mask(t.note), written_at = pg_catalog.now()
WHERE t.ctid = ANY (ARRAY(SELECT row_id FROM batch))
RETURNING t.order_id, NULL::text
$batch$, batch_size);
END
$function$;

REVOKE ALL ON FUNCTION shop.retention_notes_anonymize(integer) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.retention_notes_anonymize(integer) TO shop_backend;

COMMENT ON FUNCTION shop.retention_notes_anonymize(integer) IS 'Retention rule notes_anonymize: Notes are masked. One batch per call.';
