/// Renders a `Catalog` into ordered PostgreSQL statements, deterministic byte
/// for byte. Every identifier goes through `quoteIdentifierIfNeeded`, every
/// string through `quoteLiteral`.
///
/// Order: extensions, schemas, enum types, roles, tables (each followed by its
/// comments and indexes; tables ordered so that referenced tables come
/// first), functions, triggers, row-level security and policies, grants.
public struct PostgresRenderer: Sendable {
    public init() {}

    public func statements(for catalog: Catalog) -> [Statement] {
        var out: [Statement] = catalog.citus?.preamble ?? []
        for ext in catalog.extensions { out.append(createExtension(ext)) }
        for schema in catalog.schemas where schema != "public" {
            out.append(Statement("schema \(schema)", "CREATE SCHEMA IF NOT EXISTS \(quoteIdentifierIfNeeded(schema))"))
        }
        for type in catalog.enums {
            out.append(createEnum(type))
            if let comment = type.comment {
                out.append(Statement("type \(type.name)", "COMMENT ON TYPE \(type.name.sql) IS \(quoteLiteral(comment))"))
            }
        }
        for role in catalog.roles { out.append(createRole(role)) }
        // On Citus, foreign keys and comments come after the tables are
        // placed: a foreign key to a reference table would first turn a new
        // table into a Citus local table, and distributing one drops its comments.
        var afterPlacement: [Statement] = []
        for table in ordered(catalog.tables) {
            var created = table
            if catalog.citus != nil && !table.isExternal {
                created.foreignKeys = []
                afterPlacement += table.foreignKeys.map { addConstraint(.foreignKey($0), to: table.name) }
            }
            out.append(createTable(created))
            if table.isExternal { continue }
            if let statement = createPartitionsAhead(table) { out.append(statement) }
            if let statement = createDefaultPartition(table) { out.append(statement) }
            var tableStatements = comments(on: table)
            for index in table.indexes { tableStatements += createIndex(index, on: table.name) }
            if catalog.citus != nil {
                out += tableStatements.filter { !$0.sql.hasPrefix("COMMENT ON ") }
                afterPlacement += tableStatements.filter { $0.sql.hasPrefix("COMMENT ON ") }
            } else {
                out += tableStatements
            }
        }
        if let citus = catalog.citus { out += citus.placementStatements(ordered(catalog.tables)) + afterPlacement }
        for function in catalog.functions { out += createFunction(function) }
        if let citus = catalog.citus, catalog.managedTables.contains(where: { !$0.triggers.isEmpty }) { out.append(citus.beforeTriggers) }
        for table in catalog.managedTables {
            for trigger in table.triggers { out += createTrigger(trigger, on: table.name) }
        }
        for table in catalog.managedTables {
            out += rowSecurity(table)
            for policy in table.policies { out += createPolicy(policy, on: table.name) }
        }
        for schema in catalog.schemas where schema != "public" {
            for role in catalog.usageGrantees {
                out.append(Statement(
                    "grant on schema \(schema) to \(role)",
                    "GRANT USAGE ON SCHEMA \(quoteIdentifierIfNeeded(schema)) TO \(quoteIdentifierIfNeeded(role))"))
            }
        }
        for table in catalog.managedTables {
            for grant in table.grants { out.append(self.grant(grant, on: table.name)) }
        }
        return out
    }

    // MARK: - Objects

    public func createExtension(_ ext: Extension) -> Statement {
        var sql = "CREATE EXTENSION IF NOT EXISTS \(quoteIdentifierIfNeeded(ext.name))"
        if let schema = ext.schema { sql += " WITH SCHEMA \(quoteIdentifierIfNeeded(schema))" }
        return Statement("extension \(ext.name)", sql)
    }

    public func createEnum(_ type: EnumType) -> Statement {
        let labels = type.labels.map { "    " + quoteLiteral($0) }.joined(separator: ",\n")
        return Statement("type \(type.name)", "CREATE TYPE \(type.name.sql) AS ENUM (\n\(labels)\n)")
    }

    /// Roles are cluster-wide and may already exist (another database, or a
    /// DBA created them): create only if absent, never alter.
    public func createRole(_ role: Role) -> Statement {
        var options = [role.canLogin ? "LOGIN" : "NOLOGIN"]
        if role.bypassRLS { options.append("BYPASSRLS") }
        let body = """
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = \(quoteLiteral(role.name))) THEN
                    CREATE ROLE \(quoteIdentifierIfNeeded(role.name)) \(options.joined(separator: " "));
                END IF;
            END
            """
        let tag = dollarTag(for: body, preferred: "role")
        let sql = "DO \(tag)\n\(body)\n\(tag)"
        return Statement("role \(role.name)", sql)
    }

    public func createTable(_ table: Table) -> Statement {
        var lines = table.columns.map { "    " + columnDefinition($0) }
        if let pk = table.primaryKey {
            lines.append("    CONSTRAINT \(quoteIdentifierIfNeeded(pk.name)) PRIMARY KEY (\(columnList(pk.columns)))")
        }
        for fk in table.foreignKeys {
            var line = "    CONSTRAINT \(quoteIdentifierIfNeeded(fk.name)) FOREIGN KEY (\(columnList(fk.columns)))"
            line += " REFERENCES \(fk.referencedTable.sql) (\(columnList(fk.referencedColumns)))"
            if fk.onUpdate != .noAction { line += " ON UPDATE \(fk.onUpdate.rawValue)" }
            if fk.onDelete != .noAction { line += " ON DELETE \(fk.onDelete.rawValue)" }
            lines.append(line)
        }
        for unique in table.uniques {
            lines.append("    CONSTRAINT \(quoteIdentifierIfNeeded(unique.name)) UNIQUE (\(columnList(unique.columns)))")
        }
        for check in table.checks {
            lines.append("    CONSTRAINT \(quoteIdentifierIfNeeded(check.name)) CHECK (\(check.expression.sql))")
        }
        let ifNotExists = table.isExternal ? "IF NOT EXISTS " : ""
        var sql = "CREATE TABLE \(ifNotExists)\(table.name.sql) (\n\(lines.joined(separator: ",\n"))\n)"
        if let partitioning = table.partitioning, !table.isExternal {
            sql += " PARTITION BY RANGE (\(quoteIdentifierIfNeeded(partitioning.column)))"
        }
        var statement = Statement("table \(table.name)", sql)
        statement.references = table.foreignKeys.map(\.referencedTable.description).filter { $0 != table.name.description }
        return statement
    }

    /// The default partition of a partitioned table: no grants, no policies
    /// of its own (indexes, constraints and row triggers come from the parent).
    public func createDefaultPartition(_ table: Table) -> Statement? {
        guard let partitioning = table.partitioning, partitioning.hasDefaultPartition, !table.isExternal else { return nil }
        let partition = partitioning.defaultPartitionName(of: table.name)
        return Statement("table \(table.name)", "CREATE TABLE \(partition.sql) PARTITION OF \(table.name.sql) DEFAULT")
    }

    /// With `premakeOnCreate`: the partitions of the current interval (UTC,
    /// when the statement runs) and `premake` after it, named and bounded as
    /// maintenance makes them (`IF NOT EXISTS`, so a later run adds only
    /// what is missing). `notBefore` is an SQL `date` expression: no
    /// partition starts before it (a converted table's legacy bound).
    public func createPartitionsAhead(_ table: Table, notBefore: String? = nil) -> Statement? {
        guard let partitioning = table.partitioning, partitioning.premakeOnCreate, !table.isExternal,
            let key = table.column(partitioning.column)
        else { return nil }
        let suffix: String
        switch key.type {
        case .date: suffix = ""
        case .timestamp: suffix = " 00:00:00"
        default: suffix = " 00:00:00+00"
        }
        let unit = partitioning.interval.rawValue
        var start = "pg_catalog.date_trunc(\(quoteLiteral(unit)), (pg_catalog.now() AT TIME ZONE 'UTC')::date)::date"
        var last = "(\(start) + \(partitioning.premake) * interval \(quoteLiteral("1 " + unit)))::date"
        if let notBefore { start = "greatest(\(start), \(notBefore))" }
        last = "greatest(\(last), \(start))"
        let body = """
            DECLARE
                first date := \(start);
                last date := \(last);
                next date;
            BEGIN
                WHILE first <= last LOOP
                    next := (first + interval \(quoteLiteral("1 " + unit)))::date;
                    EXECUTE pg_catalog.format(
                        'CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF \(table.name.sql) FOR VALUES FROM (%L) TO (%L)',
                        \(quoteLiteral(table.name.schema)), \(quoteLiteral(table.name.name + "_p")) || pg_catalog.to_char(first, 'YYYYMMDD'),
                        pg_catalog.to_char(first, 'YYYY-MM-DD') || \(quoteLiteral(suffix)), pg_catalog.to_char(next, 'YYYY-MM-DD') || \(quoteLiteral(suffix)));
                    first := next;
                END LOOP;
            END
            """
        let tag = dollarTag(for: body, preferred: "partitions")
        return Statement("table \(table.name)", "DO \(tag)\n\(body)\n\(tag)")
    }

    /// One time partition of a partitioned table, `[from, to)`.
    public func createPartition(of table: Table, from: CivilDay, to: CivilDay) -> Statement? {
        guard let partitioning = table.partitioning, let key = table.column(partitioning.column) else { return nil }
        let partition = partitioning.partitionName(of: table.name, startingOn: from)
        return Statement(
            "table \(table.name)",
            "CREATE TABLE \(partition.sql) PARTITION OF \(table.name.sql) FOR VALUES FROM ("
                + partitioning.boundLiteral(from, for: key.type) + ") TO (" + partitioning.boundLiteral(to, for: key.type) + ")")
    }

    public func columnDefinition(_ column: Column) -> String {
        var parts = [quoteIdentifierIfNeeded(column.name), column.type.sql]
        if let collation = column.collation { parts.append("COLLATE \(quoteIdentifier(collation))") }
        if let identity = column.identity { parts.append("GENERATED \(identity.rawValue) AS IDENTITY") }
        if let value = column.defaultValue { parts.append("DEFAULT \(value.sql)") }
        if !column.isNullable { parts.append("NOT NULL") }
        return parts.joined(separator: " ")
    }

    public func comments(on table: Table) -> [Statement] {
        let object = "table \(table.name)"
        var out: [Statement] = []
        if let comment = table.comment {
            out.append(Statement(object, "COMMENT ON TABLE \(table.name.sql) IS \(quoteLiteral(comment))"))
        }
        for column in table.columns {
            if let comment = column.comment {
                out.append(Statement(
                    object, "COMMENT ON COLUMN \(table.name.sql).\(quoteIdentifierIfNeeded(column.name)) IS \(quoteLiteral(comment))"))
            }
        }
        for check in table.checks {
            if let comment = check.comment {
                out.append(Statement(
                    object, "COMMENT ON CONSTRAINT \(quoteIdentifierIfNeeded(check.name)) ON \(table.name.sql) IS \(quoteLiteral(comment))"))
            }
        }
        return out
    }

    public func createIndex(_ index: Index, on table: QualifiedName, concurrently: Bool = false) -> [Statement] {
        let object = "index \(table.schema).\(index.name)"
        var sql = "CREATE \(index.isUnique ? "UNIQUE " : "")INDEX \(concurrently ? "CONCURRENTLY " : "")"
        sql += "\(quoteIdentifierIfNeeded(index.name)) ON \(table.sql)"
        if index.method != .btree { sql += " USING \(index.method.rawValue)" }
        let keys = index.keys.map { key -> String in
            switch key {
            case .column(let name): return quoteIdentifierIfNeeded(name)
            case .expression(let expression, _): return "(\(expression.sql))"
            }
        }
        sql += " (\(keys.joined(separator: ", ")))"
        if !index.include.isEmpty { sql += " INCLUDE (\(columnList(index.include)))" }
        if let predicate = index.predicate { sql += " WHERE \(predicate.sql)" }
        var out = [Statement(object, sql, transactional: !concurrently)]
        if let comment = index.comment {
            out.append(Statement(
                object, "COMMENT ON INDEX \(QualifiedName(table.schema, index.name).sql) IS \(quoteLiteral(comment))"))
        }
        return out
    }

    public func createFunction(_ function: Function) -> [Statement] {
        let object = "function \(function.name)"
        let arguments = function.arguments.map { argument -> String in
            var text = "\(quoteIdentifierIfNeeded(argument.name)) \(argument.type.sql)"
            if let value = argument.defaultValue { text += " DEFAULT \(value.sql)" }
            return text
        }
        var sql = "CREATE OR REPLACE FUNCTION \(function.name.sql)(\(arguments.joined(separator: ", ")))\n"
        sql += "    RETURNS \(function.returns)\n"
        sql += "    LANGUAGE \(function.language.rawValue)\n"
        sql += "    \(function.volatility.rawValue)"
        if function.isStrict { sql += " STRICT" }
        if function.securityDefiner { sql += " SECURITY DEFINER" }
        sql += "\n"
        if let path = function.searchPath {
            sql += "    SET search_path = \(path.isEmpty ? "''" : path.map(quoteIdentifierIfNeeded).joined(separator: ", "))\n"
        }
        let tag = dollarTag(for: function.body, preferred: "function")
        sql += "AS \(tag)\n\(function.body.trimmingTrailingNewlines())\n\(tag)"
        var out = [Statement(object, sql)]
        if let grantees = function.executeGrantees {
            out.append(Statement(object, "REVOKE ALL ON FUNCTION \(function.signature) FROM PUBLIC"))
            for role in grantees {
                out.append(Statement(object, "GRANT EXECUTE ON FUNCTION \(function.signature) TO \(quoteIdentifierIfNeeded(role))"))
            }
        }
        if let comment = function.comment {
            out.append(Statement(object, "COMMENT ON FUNCTION \(function.signature) IS \(quoteLiteral(comment))"))
        }
        return out
    }

    public func createTrigger(_ trigger: Trigger, on table: QualifiedName) -> [Statement] {
        let object = "trigger \(trigger.name) on \(table)"
        var sql = "CREATE TRIGGER \(quoteIdentifierIfNeeded(trigger.name))\n"
        sql += "    \(trigger.timing.rawValue) \(trigger.events.map(\.sql).joined(separator: " OR ")) ON \(table.sql)\n"
        sql += "    FOR EACH \(trigger.forEachRow ? "ROW" : "STATEMENT")\n"
        if let when = trigger.when { sql += "    WHEN (\(when.sql))\n" }
        sql += "    EXECUTE FUNCTION \(trigger.function.sql)()"
        var out = [Statement(object, sql)]
        if let comment = trigger.comment {
            out.append(Statement(
                object, "COMMENT ON TRIGGER \(quoteIdentifierIfNeeded(trigger.name)) ON \(table.sql) IS \(quoteLiteral(comment))"))
        }
        return out
    }

    public func rowSecurity(_ table: Table) -> [Statement] {
        let object = "rowsecurity \(table.name)"
        var out: [Statement] = []
        if table.rowSecurity.enabled {
            out.append(Statement(object, "ALTER TABLE \(table.name.sql) ENABLE ROW LEVEL SECURITY"))
        }
        if table.rowSecurity.forced {
            out.append(Statement(object, "ALTER TABLE \(table.name.sql) FORCE ROW LEVEL SECURITY"))
        }
        return out
    }

    public func createPolicy(_ policy: Policy, on table: QualifiedName) -> [Statement] {
        let object = "policy \(policy.name) on \(table)"
        var sql = "CREATE POLICY \(quoteIdentifierIfNeeded(policy.name)) ON \(table.sql)\n"
        sql += "    AS \(policy.permissive ? "PERMISSIVE" : "RESTRICTIVE")\n"
        sql += "    FOR \(policy.command.rawValue)\n"
        sql += "    TO \(policy.roles.isEmpty ? "PUBLIC" : policy.roles.map(quoteIdentifierIfNeeded).joined(separator: ", "))"
        if let using = policy.using { sql += "\n    USING (\(using.sql))" }
        if let check = policy.withCheck { sql += "\n    WITH CHECK (\(check.sql))" }
        var out = [Statement(object, sql)]
        if let comment = policy.comment {
            out.append(Statement(
                object, "COMMENT ON POLICY \(quoteIdentifierIfNeeded(policy.name)) ON \(table.sql) IS \(quoteLiteral(comment))"))
        }
        return out
    }

    public func grant(_ grant: TableGrant, on table: QualifiedName) -> Statement {
        let privileges = grant.privileges.sorted().map(\.rawValue).joined(separator: ", ")
        return Statement(
            "grant on \(table) to \(grant.grantee)",
            "GRANT \(privileges) ON TABLE \(table.sql) TO \(quoteIdentifierIfNeeded(grant.grantee))")
    }

    // MARK: - Helpers

    func columnList(_ columns: [String]) -> String {
        columns.map(quoteIdentifierIfNeeded).joined(separator: ", ")
    }

    /// Tables ordered so every referenced table precedes the tables that
    /// reference it; otherwise declaration order. A reference cycle keeps
    /// declaration order for the tables in it (validation reports cycles).
    func ordered(_ tables: [Table]) -> [Table] {
        var placed = Set<QualifiedName>()
        var result: [Table] = []
        var remaining = tables
        while !remaining.isEmpty {
            let known = Set(tables.map(\.name))
            guard let next = remaining.firstIndex(where: { table in
                table.foreignKeys.allSatisfy { fk in
                    fk.referencedTable == table.name || placed.contains(fk.referencedTable) || !known.contains(fk.referencedTable)
                }
            }) else {
                result += remaining
                break
            }
            let table = remaining.remove(at: next)
            placed.insert(table.name)
            result.append(table)
        }
        return result
    }

    /// A dollar-quote tag that does not occur in the body.
    func dollarTag(for body: String, preferred: String) -> String {
        var tag = "$\(preferred)$"
        var n = 1
        while body.contains(tag) {
            tag = "$\(preferred)\(n)$"
            n += 1
        }
        return tag
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last.isNewline { text.removeLast() }
        return String(text)
    }
}
