/// The statements that change an existing schema, for the planner: the same
/// renderer as the initial migration, so a changed object is spelled exactly
/// as a new one would be.
extension PostgresRenderer {
    func alterTable(_ table: QualifiedName, _ action: String) -> String {
        "ALTER TABLE \(table.sql) \(action)"
    }

    public func renameTable(_ old: QualifiedName, to new: String) -> Statement {
        Statement("table \(old)", alterTable(old, "RENAME TO \(quoteIdentifierIfNeeded(new))"))
    }

    public func renameColumn(_ column: String, on table: QualifiedName, to new: String) -> Statement {
        Statement(
            "table \(table)",
            alterTable(table, "RENAME COLUMN \(quoteIdentifierIfNeeded(column)) TO \(quoteIdentifierIfNeeded(new))"))
    }

    public func renameConstraint(_ name: String, on table: QualifiedName, to new: String) -> Statement {
        Statement(
            "table \(table)",
            alterTable(table, "RENAME CONSTRAINT \(quoteIdentifierIfNeeded(name)) TO \(quoteIdentifierIfNeeded(new))"))
    }

    public func renameIndex(_ name: String, schema: String, to new: String) -> Statement {
        Statement("index \(schema).\(name)", "ALTER INDEX \(QualifiedName(schema, name).sql) RENAME TO \(quoteIdentifierIfNeeded(new))")
    }

    public func renameEnumLabel(_ type: QualifiedName, from old: String, to new: String) -> Statement {
        Statement("type \(type)", "ALTER TYPE \(type.sql) RENAME VALUE \(quoteLiteral(old)) TO \(quoteLiteral(new))")
    }

    /// `ALTER TYPE … ADD VALUE`, placed after its predecessor in the model's order.
    public func addEnumLabel(_ type: QualifiedName, _ label: String, after previous: String?, before next: String?) -> Statement {
        var sql = "ALTER TYPE \(type.sql) ADD VALUE \(quoteLiteral(label))"
        if let previous { sql += " AFTER \(quoteLiteral(previous))" } else if let next { sql += " BEFORE \(quoteLiteral(next))" }
        return Statement("type \(type)", sql)
    }

    public func dropEnum(_ type: QualifiedName) -> Statement {
        Statement("type \(type)", "DROP TYPE \(type.sql)")
    }

    public func dropTable(_ table: QualifiedName) -> Statement {
        Statement("table \(table)", "DROP TABLE \(table.sql)")
    }

    public func addColumn(_ column: Column, to table: QualifiedName) -> Statement {
        Statement("table \(table)", alterTable(table, "ADD COLUMN \(columnDefinition(column))"))
    }

    public func dropColumn(_ column: String, from table: QualifiedName) -> Statement {
        Statement("table \(table)", alterTable(table, "DROP COLUMN \(quoteIdentifierIfNeeded(column))"))
    }

    public func alterColumnType(_ column: Column, on table: QualifiedName) -> Statement {
        let name = quoteIdentifierIfNeeded(column.name)
        var action = "ALTER COLUMN \(name) TYPE \(column.type.sql)"
        if let collation = column.collation { action += " COLLATE \(quoteIdentifier(collation))" }
        action += " USING \(name)::\(column.type.sql)"
        return Statement("table \(table)", alterTable(table, action))
    }

    public func alterColumnDefault(_ column: Column, on table: QualifiedName) -> Statement {
        let name = quoteIdentifierIfNeeded(column.name)
        let action = column.defaultValue.map { "ALTER COLUMN \(name) SET DEFAULT \($0.sql)" } ?? "ALTER COLUMN \(name) DROP DEFAULT"
        return Statement("table \(table)", alterTable(table, action))
    }

    public func alterColumnNullability(_ column: String, on table: QualifiedName, nullable: Bool) -> Statement {
        Statement(
            "table \(table)",
            alterTable(table, "ALTER COLUMN \(quoteIdentifierIfNeeded(column)) \(nullable ? "DROP" : "SET") NOT NULL"))
    }

    public func alterColumnIdentity(_ column: Column, on table: QualifiedName, old: Column.Identity?) -> Statement {
        let name = quoteIdentifierIfNeeded(column.name)
        let action: String
        switch (old, column.identity) {
        case (nil, let new?): action = "ALTER COLUMN \(name) ADD GENERATED \(new.rawValue) AS IDENTITY"
        case (_?, nil): action = "ALTER COLUMN \(name) DROP IDENTITY"
        case (_, let new?): action = "ALTER COLUMN \(name) SET GENERATED \(new.rawValue)"
        case (nil, nil): action = "ALTER COLUMN \(name) DROP IDENTITY IF EXISTS"
        }
        return Statement("table \(table)", alterTable(table, action))
    }

    /// The constraint clause `pg_get_constraintdef()` prints, for `ADD CONSTRAINT`.
    public func constraintClause(_ constraint: TableConstraint) -> String {
        switch constraint {
        case .primaryKey(let pk): return "PRIMARY KEY (\(columnList(pk.columns)))"
        case .unique(let unique): return "UNIQUE (\(columnList(unique.columns)))"
        case .check(let check):
            let sql = check.expression.sql
            return sql.hasPrefix("CHECK ") ? sql : "CHECK (\(sql))"
        case .foreignKey(let fk):
            var line = "FOREIGN KEY (\(columnList(fk.columns))) REFERENCES \(fk.referencedTable.sql) (\(columnList(fk.referencedColumns)))"
            if fk.onUpdate != .noAction { line += " ON UPDATE \(fk.onUpdate.rawValue)" }
            if fk.onDelete != .noAction { line += " ON DELETE \(fk.onDelete.rawValue)" }
            return line
        }
    }

    /// `ADD CONSTRAINT`; `notValid` for a CHECK or FOREIGN KEY that is validated later.
    public func addConstraint(_ constraint: TableConstraint, to table: QualifiedName, notValid: Bool = false) -> Statement {
        var action = "ADD CONSTRAINT \(quoteIdentifierIfNeeded(constraint.name)) \(constraintClause(constraint))"
        if notValid { action += " NOT VALID" }
        var statement = Statement("table \(table)", alterTable(table, action))
        if case .foreignKey(let fk) = constraint, fk.referencedTable != table { statement.references = [fk.referencedTable.description] }
        return statement
    }

    /// `ADD CONSTRAINT … UNIQUE / PRIMARY KEY USING INDEX`: adopts an index built concurrently.
    public func addConstraintUsingIndex(_ constraint: TableConstraint, to table: QualifiedName) -> Statement {
        let kind = { if case .primaryKey = constraint { return "PRIMARY KEY" } else { return "UNIQUE" } }()
        let name = quoteIdentifierIfNeeded(constraint.name)
        return Statement("table \(table)", alterTable(table, "ADD CONSTRAINT \(name) \(kind) USING INDEX \(name)"))
    }

    public func validateConstraint(_ name: String, on table: QualifiedName) -> Statement {
        Statement("table \(table)", alterTable(table, "VALIDATE CONSTRAINT \(quoteIdentifierIfNeeded(name))"))
    }

    public func dropConstraint(_ name: String, from table: QualifiedName, ifExists: Bool = false) -> Statement {
        Statement("table \(table)", alterTable(table, "DROP CONSTRAINT \(ifExists ? "IF EXISTS " : "")\(quoteIdentifierIfNeeded(name))"))
    }

    public func dropIndex(_ name: String, schema: String, concurrently: Bool) -> Statement {
        Statement(
            "index \(schema).\(name)",
            "DROP INDEX \(concurrently ? "CONCURRENTLY " : "")IF EXISTS \(QualifiedName(schema, name).sql)",
            transactional: !concurrently)
    }

    /// Rebuilds an index read from a database (its `pg_get_indexdef` text) under another name or concurrently.
    public func createIndex(definition: String, name: String, as newName: String, concurrently: Bool) -> Statement? {
        let plain = "INDEX \(quoteIdentifierIfNeeded(name)) ON "
        guard let range = definition.firstRange(of: plain) else { return nil }
        var sql = definition
        sql.replaceSubrange(range, with: "INDEX \(concurrently ? "CONCURRENTLY " : "")\(quoteIdentifierIfNeeded(newName)) ON ")
        return Statement("index \(name)", sql, transactional: !concurrently)
    }

    public func dropTrigger(_ name: String, on table: QualifiedName) -> Statement {
        Statement("trigger \(name) on \(table)", "DROP TRIGGER \(quoteIdentifierIfNeeded(name)) ON \(table.sql)")
    }

    public func dropPolicy(_ name: String, on table: QualifiedName) -> Statement {
        Statement("policy \(name) on \(table)", "DROP POLICY \(quoteIdentifierIfNeeded(name)) ON \(table.sql)")
    }

    public func dropFunction(_ function: Function) -> Statement {
        Statement("function \(function.name)", "DROP FUNCTION \(function.signature)")
    }

    public func revokeAll(on table: QualifiedName, from grantee: String) -> Statement {
        Statement("grant on \(table) to \(grantee)", "REVOKE ALL ON TABLE \(table.sql) FROM \(grantee == "PUBLIC" ? "PUBLIC" : quoteIdentifierIfNeeded(grantee))")
    }

    public func setRowSecurity(_ table: QualifiedName, enabled: Bool) -> Statement {
        Statement("rowsecurity \(table)", alterTable(table, "\(enabled ? "ENABLE" : "DISABLE") ROW LEVEL SECURITY"))
    }

    public func setForcedRowSecurity(_ table: QualifiedName, forced: Bool) -> Statement {
        Statement("rowsecurity \(table)", alterTable(table, "\(forced ? "" : "NO ")FORCE ROW LEVEL SECURITY"))
    }

    /// `COMMENT ON <what> IS …`, or `IS NULL` to remove it.
    public func comment(on what: String, _ comment: String?) -> Statement {
        Statement(what, "COMMENT ON \(what) IS \(comment.map(quoteLiteral) ?? "NULL")")
    }

    public func createSchema(_ schema: String) -> Statement {
        Statement("schema \(schema)", "CREATE SCHEMA IF NOT EXISTS \(quoteIdentifierIfNeeded(schema))")
    }

    public func schemaUsage(_ schema: String, grant: Bool, role: String) -> Statement {
        let s = quoteIdentifierIfNeeded(schema)
        let r = quoteIdentifierIfNeeded(role)
        return Statement("schema \(schema)", grant ? "GRANT USAGE ON SCHEMA \(s) TO \(r)" : "REVOKE USAGE ON SCHEMA \(s) FROM \(r)")
    }
}
