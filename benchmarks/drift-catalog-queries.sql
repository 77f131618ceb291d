-- The catalog queries `pgmigrate drift` runs against one database, with the

-- parameters filled in (schema public, the model's two external tables).

-- Generated from Sources/PGMigrateKit/Drift/Inspector.swift for benchmarks/drift.sh.

BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;

SET LOCAL search_path = pg_catalog;

-- extensions
SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1;

-- schema
SELECT n.nspname,
    to_json(array(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
        FROM aclexplode(n.nspacl) a WHERE a.privilege_type = 'USAGE' AND a.grantee <> n.nspowner ORDER BY 1))::text AS usage
FROM pg_namespace n WHERE n.nspname = 'public';

-- roles
SELECT rolname FROM pg_roles WHERE rolname IN (SELECT json_array_elements_text('["call_service","business_app"]'::json)) ORDER BY 1;

-- enums
SELECT t.typname,
    to_json(array(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder))::text AS labels,
    obj_description(t.oid, 'pg_type') AS comment
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = 'public' AND t.typtype = 'e' AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1;

-- tables
WITH t AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND c.relname NOT IN (SELECT json_array_elements_text('["businesses","customer_verifications"]'::json))
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT t.relname, c.relrowsecurity, c.relforcerowsecurity, obj_description(c.oid, 'pg_class') AS comment,
    coalesce((SELECT json_agg(json_build_object(
            'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
            'privilege', a.privilege_type) ORDER BY a.grantee, a.privilege_type)
        FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner), '[]')::text AS grants
FROM t JOIN pg_class c ON c.oid = t.oid
ORDER BY 1;

-- columns
WITH t AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND c.relname NOT IN (SELECT json_array_elements_text('["businesses","customer_verifications"]'::json))
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT t.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
    pg_get_expr(ad.adbin, ad.adrelid) AS default, a.attidentity::text, a.attgenerated::text,
    CASE WHEN a.attcollation <> ty.typcollation THEN co.collname END AS collation,
    col_description(a.attrelid, a.attnum) AS comment
FROM t
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type ty ON ty.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
ORDER BY t.relname, a.attnum;

-- constraints
WITH t AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND c.relname NOT IN (SELECT json_array_elements_text('["businesses","customer_verifications"]'::json))
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT t.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid) AS definition,
    to_json(array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i))::text AS columns,
    to_json(array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i))::text AS ref_columns,
    rn.nspname AS ref_schema, rc.relname AS ref_table, con.confdeltype::text, con.confupdtype::text,
    obj_description(con.oid, 'pg_constraint') AS comment
FROM t JOIN pg_constraint con ON con.conrelid = t.oid
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'f', 'u', 'c')
ORDER BY 1, 2;

-- indexes
WITH t AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND c.relname NOT IN (SELECT json_array_elements_text('["businesses","customer_verifications"]'::json))
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT t.relname, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisunique, i.indisvalid,
    am.amname, obj_description(i.indexrelid, 'pg_class') AS comment
FROM t JOIN pg_index i ON i.indrelid = t.oid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE NOT EXISTS (SELECT FROM pg_constraint con
    WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY 1, 2;

-- triggers
WITH t AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND c.relname NOT IN (SELECT json_array_elements_text('["businesses","customer_verifications"]'::json))
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT t.relname, tg.tgname, pg_get_triggerdef(tg.oid) AS definition, tg.tgenabled::text, tg.tgtype::int,
    pn.nspname AS fschema, p.proname AS fname,
    to_json(array(SELECT a.attname FROM unnest(tg.tgattr::int2[]) WITH ORDINALITY k(n, i)
        JOIN pg_attribute a ON a.attrelid = tg.tgrelid AND a.attnum = k.n ORDER BY k.i))::text AS columns,
    obj_description(tg.oid, 'pg_trigger') AS comment
FROM t JOIN pg_trigger tg ON tg.tgrelid = t.oid AND NOT tg.tgisinternal
JOIN pg_proc p ON p.oid = tg.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
ORDER BY 1, 2;

-- policies
WITH t AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND c.relname NOT IN (SELECT json_array_elements_text('["businesses","customer_verifications"]'::json))
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
)
SELECT t.relname, p.polname, p.polcmd::text, p.polpermissive,
    to_json(array(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END FROM unnest(p.polroles) r ORDER BY 1))::text AS roles,
    pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS with_check,
    obj_description(p.oid, 'pg_policy') AS comment
FROM t JOIN pg_policy p ON p.polrelid = t.oid
ORDER BY 1, 2;

-- functions
SELECT p.proname,
    to_json(array(
        SELECT json_build_object('name', coalesce(names.n, ''), 'type', format_type(types.t, NULL))
        FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) WITH ORDINALITY types(t, i)
        LEFT JOIN unnest(p.proargnames) WITH ORDINALITY names(n, i) USING (i)
        LEFT JOIN unnest(p.proargmodes) WITH ORDINALITY modes(m, i) USING (i)
        WHERE coalesce(modes.m::text, 'i') IN ('i', 'b', 'v')
        ORDER BY i))::text AS arguments,
    pg_get_function_result(p.oid) AS returns, l.lanname, p.prosrc, p.provolatile::text, p.proisstrict, p.prosecdef,
    to_json(p.proconfig)::text AS config, p.proacl IS NULL AS default_acl,
    to_json(array(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
        FROM aclexplode(p.proacl) a WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner ORDER BY 1))::text AS execute,
    obj_description(p.oid, 'pg_proc') AS comment
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY p.oid::regprocedure::text;

COMMIT;
