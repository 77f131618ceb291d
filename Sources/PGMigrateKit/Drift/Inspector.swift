import Foundation
import PQClient
import SchemaModel

/// What the inspector reads: one schema, minus the host application's
/// tables, plus the existence of the roles the model relies on.
public struct InspectionScope: Sendable, Hashable {
    public var schema: String
    /// Tables in `schema` that are not ours (the model's `isExternal` tables).
    public var externalTables: Set<String>
    /// Cluster roles whose existence is checked.
    public var roles: [String]

    public init(schema: String, externalTables: Set<String> = [], roles: [String] = []) {
        self.schema = schema
        self.externalTables = externalTables
        self.roles = roles
    }

    /// The scope a model manages in `schema`.
    public static func managed(by catalog: Catalog, schema: String) -> InspectionScope {
        InspectionScope(
            schema: schema,
            externalTables: Set(catalog.tables.filter { $0.isExternal && $0.name.schema == schema }.map(\.name.name)),
            roles: catalog.roles.map(\.name))
    }
}

/// Reads a live schema from `pg_catalog` into the same `SchemaModel` values
/// the model is written in. One query per object kind, all in one snapshot,
/// with `search_path = pg_catalog` so every name Postgres prints (types,
/// defaults, policy expressions, index and trigger definitions) is
/// schema-qualified the same way whichever database is read.
///
/// Left out: objects that belong to extensions (`pg_depend` deptype `e`),
/// the scope's external tables, and every other schema (so the migrator's
/// `pgmigrate` ledger schema is never read).
///
/// Not thread-safe: a `Connection` is used by one thread at a time.
public struct Inspector {
    public let connection: Connection

    public init(connection: Connection) {
        self.connection = connection
    }

    /// Reads the catalog. Inside an open transaction (a shadow database being
    /// populated) it reads within it; otherwise in its own read-only snapshot.
    public func inspect(_ scope: InspectionScope) throws -> Catalog {
        do {
            if connection.transactionStatus == .inTransaction {
                try connection.executeScript("SET LOCAL search_path = pg_catalog")
                return try read(scope)
            }
            return try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
                try connection.executeScript("SET LOCAL search_path = pg_catalog")
                return try read(scope)
            }
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "inspecting schema \(scope.schema) in database \(connection.database)")
        }
    }

    private func read(_ scope: InspectionScope) throws -> Catalog {
        let schema = scope.schema
        let external = try json(scope.externalTables.sorted())
        let parameters: [any PQParameter] = [schema, external]

        var catalog = Catalog()
        catalog.extensions = try connection.execute(Queries.extensions).rows.map { row in
            Extension(try row.decode("extname"), schema: try row.decode("nspname"))
        }
        if let row = try connection.execute(Queries.schema, [schema]).first {
            catalog.schemas = [try row.decode("nspname", as: String.self)]
            // `public` keeps its default ACL; the model grants USAGE only on other schemas.
            catalog.usageGrantees = schema == "public" ? [] : try strings(row, "usage")
        }
        catalog.roles = try connection.execute(Queries.roles, [try json(scope.roles)]).rows.map { row in
            // Roles are created if absent and never altered; what is read is
            // whether they exist and whether row-level security applies to them.
            Role(try row.decode("rolname"), bypassRLS: try row.decode("rolbypassrls"), superuser: try row.decode("rolsuper"))
        }
        catalog.enums = try connection.execute(Queries.enums, [schema]).rows.map { row in
            EnumType(
                QualifiedName(schema, try row.decode("typname")), labels: try strings(row, "labels"),
                comment: try row.decodeIfPresent("comment"))
        }
        let enumNames = Set(catalog.enums.map(\.name))

        var tables: [String: Table] = [:]
        var order: [String] = []
        for row in try connection.execute(Queries.tables, parameters).rows {
            let name: String = try row.decode("relname")
            var table = Table(QualifiedName(schema, name), columns: [], comment: try row.decodeIfPresent("comment"))
            table.rowSecurity = RowSecurity(enabled: try row.decode("relrowsecurity"), forced: try row.decode("relforcerowsecurity"))
            table.grants = try grants(row)
            table.owner = try row.decode("owner")
            if let key: String = try row.decodeIfPresent("partition_key") {
                table.partitioning = Self.partitioning(key)
            }
            tables[name] = table
            order.append(name)
        }
        func update(_ row: Row, _ body: (inout Table) throws -> Void) throws {
            let name: String = try row.decode("relname")
            guard var table = tables[name] else { return }
            try body(&table)
            tables[name] = table
        }

        for row in try connection.execute(Queries.columns, parameters).rows {
            try update(row) { table in
                var defaultValue: String? = try row.decodeIfPresent("default")
                let generated: String = try row.decode("attgenerated")
                if generated == "s", let expression = defaultValue {
                    defaultValue = "GENERATED ALWAYS AS (\(expression)) STORED"
                }
                let identity: String = try row.decode("attidentity")
                table.columns.append(Column(
                    try row.decode("attname"), Self.columnType(try row.decode("type"), enums: enumNames),
                    nullable: !(try row.decode("attnotnull", as: Bool.self)),
                    default: defaultValue.map { SQLExpression($0) },
                    identity: identity == "a" ? .always : identity == "d" ? .byDefault : nil,
                    collation: try row.decodeIfPresent("collation"), comment: try row.decodeIfPresent("comment")))
            }
        }

        for row in try connection.execute(Queries.constraints, parameters).rows {
            try update(row) { table in
                let name: String = try row.decode("conname")
                let columns = try strings(row, "columns")
                let comment: String? = try row.decodeIfPresent("comment")
                switch try row.decode("contype", as: String.self) {
                case "p":
                    table.primaryKey = PrimaryKey(name: name, columns: columns, comment: comment)
                case "u":
                    table.uniques.append(UniqueConstraint(name: name, columns: columns, comment: comment))
                case "f":
                    table.foreignKeys.append(ForeignKey(
                        name: name, columns: columns,
                        references: QualifiedName(try row.decode("ref_schema"), try row.decode("ref_table")),
                        try strings(row, "ref_columns"),
                        onDelete: Self.action(try row.decode("confdeltype")),
                        onUpdate: Self.action(try row.decode("confupdtype")), comment: comment))
                default:
                    // CHECK: kept as `pg_get_constraintdef` prints it.
                    table.checks.append(CheckConstraint(
                        name: name, columns: columns, SQLExpression(try row.decode("definition")), comment: comment))
                }
            }
        }

        for row in try connection.execute(Queries.indexes, parameters).rows {
            try update(row) { table in
                var definition: String = try row.decode("definition")
                if !(try row.decode("indisvalid", as: Bool.self)) { definition += " -- INVALID" }
                table.indexes.append(Index(
                    try row.decode("name"), keys: [], unique: try row.decode("indisunique"),
                    method: Index.Method(rawValue: try row.decode("amname")) ?? .btree,
                    comment: try row.decodeIfPresent("comment"), definition: definition))
            }
        }

        for row in try connection.execute(Queries.triggers, parameters).rows {
            try update(row) { table in
                let type: Int = try row.decode("tgtype")
                let columns = try strings(row, "columns")
                var events: [Trigger.Event] = []
                if type & 4 != 0 { events.append(.insert) }
                if type & 16 != 0 { events.append(.update(of: columns)) }
                if type & 8 != 0 { events.append(.delete) }
                if type & 32 != 0 { events.append(.truncate) }
                let timing: Trigger.Timing = type & 64 != 0 ? .insteadOf : type & 2 != 0 ? .before : .after
                let firing: String = try row.decode("tgenabled")
                table.triggers.append(Trigger(
                    try row.decode("tgname"), timing, events, forEachRow: type & 1 != 0,
                    execute: QualifiedName(try row.decode("fschema"), try row.decode("fname")),
                    comment: try row.decodeIfPresent("comment"),
                    firing: Trigger.Firing(rawValue: firing) ?? .origin,
                    definition: try row.decode("definition")))
            }
        }

        for row in try connection.execute(Queries.policies, parameters).rows {
            try update(row) { table in
                let command: Policy.Command
                switch try row.decode("polcmd", as: String.self) {
                case "r": command = .select
                case "a": command = .insert
                case "w": command = .update
                case "d": command = .delete
                default: command = .all
                }
                let name: String = try row.decode("polname")
                let permissive: Bool = try row.decode("polpermissive")
                let roles = try strings(row, "roles").filter { $0 != "PUBLIC" }
                let using: String? = try row.decodeIfPresent("using")
                let withCheck: String? = try row.decodeIfPresent("with_check")
                let comment: String? = try row.decodeIfPresent("comment")
                table.policies.append(Policy(
                    name, for: command, permissive: permissive, to: roles,
                    using: using.map { SQLExpression($0) }, withCheck: withCheck.map { SQLExpression($0) },
                    comment: comment))
            }
        }
        catalog.tables = order.compactMap { tables[$0] }
        catalog.functions = try connection.execute(Queries.functions, [schema]).rows.map { try function($0, schema: schema, enums: enumNames) }
        return catalog
    }

    private func grants(_ row: Row) throws -> [TableGrant] {
        struct Entry: Decodable {
            let grantee: String
            let privilege: String
        }
        let text: String = try row.decode("grants")
        let entries = try decodeJSON([Entry].self, text, column: "grants")
        var byGrantee: [String: Set<TableGrant.Privilege>] = [:]
        var order: [String] = []
        for entry in entries {
            guard let privilege = TableGrant.Privilege(rawValue: entry.privilege) else { continue }
            if byGrantee[entry.grantee] == nil { order.append(entry.grantee) }
            byGrantee[entry.grantee, default: []].insert(privilege)
        }
        return order.map { TableGrant($0, byGrantee[$0] ?? []) }
    }

    private func function(_ row: Row, schema: String, enums: Set<QualifiedName>) throws -> Function {
        struct Argument: Decodable {
            let name: String
            let type: String
        }
        let arguments = try decodeJSON([Argument].self, try row.decode("arguments"), column: "arguments")
        let volatility: Function.Volatility
        switch try row.decode("provolatile", as: String.self) {
        case "i": volatility = .immutable
        case "s": volatility = .stable
        default: volatility = .volatile
        }
        let config = try row.decodeIfPresent("config", as: String.self).map {
            try decodeJSON([String]?.self, $0, column: "config") ?? []
        } ?? []
        let searchPath = config.first { $0.hasPrefix("search_path=") }.map { entry in
            entry.dropFirst("search_path=".count).split(separator: ",").map {
                String($0).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }.filter { !$0.isEmpty && $0 != "''" }
        }
        let defaultACL: Bool = try row.decode("default_acl")
        return Function(
            QualifiedName(schema, try row.decode("proname")),
            arguments: arguments.map { Function.Argument($0.name, Self.columnType($0.type, enums: enums)) },
            returns: try row.decode("returns"),
            language: Function.Language(rawValue: try row.decode("lanname")),
            volatility: volatility, strict: try row.decode("proisstrict"), securityDefiner: try row.decode("prosecdef"),
            searchPath: searchPath, executeGrantees: defaultACL ? nil : try strings(row, "execute"),
            comment: try row.decodeIfPresent("comment"), body: try row.decode("prosrc"))
    }

    // MARK: - Decoding helpers

    private func strings(_ row: Row, _ column: String) throws -> [String] {
        guard let text: String = try row.decodeIfPresent(column) else { return [] }
        return try decodeJSON([String?].self, text, column: column).compactMap { $0 }
    }

    private func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw PQError(kind: .decoding, message: "cannot decode \(column) from the catalog: \(text.prefix(80))")
        }
    }

    private func json(_ strings: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
    }

    static func action(_ code: String) -> ReferentialAction {
        switch code {
        case "r": return .restrict
        case "c": return .cascade
        case "n": return .setNull
        case "d": return .setDefault
        default: return .noAction
        }
    }

    /// Maps `format_type()` spellings back onto the model's cases; anything
    /// else is kept verbatim as `.other`, which renders the same text.
    static func columnType(_ spelling: String, enums: Set<QualifiedName>) -> ColumnType {
        if spelling.hasSuffix("[]") {
            return .array(columnType(String(spelling.dropLast(2)), enums: enums))
        }
        let simple: [String: ColumnType] = [
            "uuid": .uuid, "text": .text, "boolean": .boolean, "smallint": .smallint, "integer": .integer,
            "bigint": .bigint, "real": .real, "double precision": .doublePrecision, "date": .date,
            "timestamp without time zone": .timestamp, "timestamp with time zone": .timestamptz,
            "interval": .interval, "json": .json, "jsonb": .jsonb, "bytea": .bytea, "character varying": .varchar(nil),
        ]
        if let type = simple[spelling] { return type }
        if let length = parenthesised(spelling, prefix: "character varying"), let n = Int(length) { return .varchar(n) }
        if let arguments = parenthesised(spelling, prefix: "numeric") {
            let parts = arguments.split(separator: ",").compactMap { Int($0) }
            if parts.count == 2 { return .numeric(precision: parts[0], scale: parts[1]) }
        }
        if let dot = spelling.firstIndex(of: "."), !spelling.contains("\"") {
            let name = QualifiedName(String(spelling[..<dot]), String(spelling[spelling.index(after: dot)...]))
            if enums.contains(name) { return .enumType(name) }
        }
        return .other(spelling)
    }

    /// A partitioned table's key as read back: `pg_get_partkeydef` of a
    /// single-column range key (`RANGE ("timestamp")`) gives that column;
    /// any other key (list, hash, several columns, an expression) keeps its
    /// whole definition as the "column", so it differs from every model
    /// value. Interval and premake are not in the catalogue (the model's
    /// defaults are read back; the differ compares the key column only).
    static func partitioning(_ definition: String) -> RangePartitioning {
        if let inner = parenthesised(definition, prefix: "RANGE"), !inner.contains(","), !inner.contains("(") {
            let column = inner.hasPrefix("\"") && inner.hasSuffix("\"") && inner.count >= 2
                ? String(inner.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"") : inner
            if !column.contains(" ") || inner.hasPrefix("\"") { return RangePartitioning(by: column) }
        }
        return RangePartitioning(by: definition)
    }

    private static func parenthesised(_ spelling: String, prefix: String) -> String? {
        guard spelling.hasPrefix(prefix + "("), spelling.hasSuffix(")") else { return nil }
        return String(spelling.dropFirst(prefix.count + 1).dropLast())
    }
}

/// The catalog queries, one per object kind. `$1` is the schema, `$2` a JSON
/// array of external table names.
enum Queries {
    static func notMember(_ catalog: String, _ oid: String) -> String {
        "NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = '\(catalog)'::regclass AND d.objid = \(oid) AND d.deptype = 'e')"
    }

    /// The managed tables: ordinary and partitioned tables of the schema, not
    /// their partitions (drift checks the partition set apart: `PartitionSetCheck`).
    static let managedTables = """
        WITH t AS (
            SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND c.relname NOT IN (SELECT json_array_elements_text($2::json))
              AND \(notMember("pg_class", "c.oid"))
        )
        """

    static let extensions = """
        SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1
        """

    static let schema = """
        SELECT n.nspname,
            to_json(array(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
                FROM aclexplode(n.nspacl) a WHERE a.privilege_type = 'USAGE' AND a.grantee <> n.nspowner ORDER BY 1))::text AS usage
        FROM pg_namespace n WHERE n.nspname = $1
        """

    static let roles = """
        SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname IN (SELECT json_array_elements_text($1::json)) ORDER BY 1
        """

    static let enums = """
        SELECT t.typname,
            to_json(array(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder))::text AS labels,
            obj_description(t.oid, 'pg_type') AS comment
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = $1 AND t.typtype = 'e' AND \(notMember("pg_type", "t.oid"))
        ORDER BY 1
        """

    static let tables = managedTables + """

        SELECT t.relname, c.relrowsecurity, c.relforcerowsecurity, obj_description(c.oid, 'pg_class') AS comment,
            pg_get_userbyid(c.relowner) AS owner,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
            coalesce((SELECT json_agg(json_build_object(
                    'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                    'privilege', a.privilege_type) ORDER BY a.grantee, a.privilege_type)
                FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner), '[]')::text AS grants
        FROM t JOIN pg_class c ON c.oid = t.oid
        ORDER BY 1
        """

    static let columns = managedTables + """

        SELECT t.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
            pg_get_expr(ad.adbin, ad.adrelid) AS default, a.attidentity::text, a.attgenerated::text,
            CASE WHEN a.attcollation <> ty.typcollation THEN co.collname END AS collation,
            col_description(a.attrelid, a.attnum) AS comment
        FROM t
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type ty ON ty.oid = a.atttypid
        LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        ORDER BY t.relname, a.attnum
        """

    static let constraints = managedTables + """

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
        ORDER BY 1, 2
        """

    /// Indexes not backing a constraint (those are compared as constraints).
    static let indexes = managedTables + """

        SELECT t.relname, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition, i.indisunique, i.indisvalid,
            am.amname, obj_description(i.indexrelid, 'pg_class') AS comment
        FROM t JOIN pg_index i ON i.indrelid = t.oid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_am am ON am.oid = ic.relam
        WHERE NOT EXISTS (SELECT FROM pg_constraint con
            WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
        ORDER BY 1, 2
        """

    static let triggers = managedTables + """

        SELECT t.relname, tg.tgname, pg_get_triggerdef(tg.oid) AS definition, tg.tgenabled::text, tg.tgtype::int,
            pn.nspname AS fschema, p.proname AS fname,
            to_json(array(SELECT a.attname FROM unnest(tg.tgattr::int2[]) WITH ORDINALITY k(n, i)
                JOIN pg_attribute a ON a.attrelid = tg.tgrelid AND a.attnum = k.n ORDER BY k.i))::text AS columns,
            obj_description(tg.oid, 'pg_trigger') AS comment
        FROM t JOIN pg_trigger tg ON tg.tgrelid = t.oid AND NOT tg.tgisinternal
        JOIN pg_proc p ON p.oid = tg.tgfoid
        JOIN pg_namespace pn ON pn.oid = p.pronamespace
        ORDER BY 1, 2
        """

    static let policies = managedTables + """

        SELECT t.relname, p.polname, p.polcmd::text, p.polpermissive,
            to_json(array(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END FROM unnest(p.polroles) r ORDER BY 1))::text AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS with_check,
            obj_description(p.oid, 'pg_policy') AS comment
        FROM t JOIN pg_policy p ON p.polrelid = t.oid
        ORDER BY 1, 2
        """

    static let functions = """
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
        WHERE n.nspname = $1 AND p.prokind IN ('f', 'p') AND \(notMember("pg_proc", "p.oid"))
        ORDER BY p.oid::regprocedure::text
        """
}
