DO $role$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'shop_backend') THEN
        CREATE ROLE shop_backend NOLOGIN;
    END IF;
END
$role$;

DO $role$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'shop_clerk') THEN
        CREATE ROLE shop_clerk NOLOGIN;
    END IF;
END
$role$;

CREATE OR REPLACE FUNCTION shop.current_shop()
    RETURNS uuid
    LANGUAGE sql
    STABLE
AS $function$
SELECT CASE WHEN pg_catalog.current_setting('shop.current_id', true) OPERATOR(pg_catalog.=) ''
            THEN NULL
            ELSE pg_catalog.current_setting('shop.current_id', true)::pg_catalog.uuid END
$function$;

REVOKE ALL ON FUNCTION shop.current_shop() FROM PUBLIC;

GRANT EXECUTE ON FUNCTION shop.current_shop() TO shop_backend;

GRANT EXECUTE ON FUNCTION shop.current_shop() TO shop_clerk;

COMMENT ON FUNCTION shop.current_shop() IS 'The tenant of this session: shop.current_id as uuid, NULL when unset or empty. Every name in the body is schema-qualified (no SET search_path), so it is safe under any search_path and PostgreSQL inlines it into the policies.';

CREATE POLICY orders_tenant_isolation ON shop.orders
    AS PERMISSIVE
    FOR ALL
    TO shop_clerk
    USING (shop_id = (SELECT shop.current_shop()))
    WITH CHECK (shop_id = (SELECT shop.current_shop()));

COMMENT ON POLICY orders_tenant_isolation ON shop.orders IS 'A tenant reads and writes only rows of its own tenant.';

CREATE POLICY orders_system_access ON shop.orders
    AS PERMISSIVE
    FOR ALL
    TO shop_backend
    USING (true)
    WITH CHECK (true);

COMMENT ON POLICY orders_system_access ON shop.orders IS 'The system service reads and writes all rows.';

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE shop.orders TO shop_backend;

GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE shop.orders TO shop_clerk;
