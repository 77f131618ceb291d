/// Renders a catalog as a reviewed, versioned migration file.
public struct GeneratedMigration: Hashable, Sendable {
    public var version: Int
    public var name: String
    public var contents: String

    /// `0001_initial_schema.sql`
    public var fileName: String { MigrationFileName.format(version: Int64(version), name: name) }

    /// The initial migration: every statement of the model, in order.
    public static func initial(_ catalog: Catalog, renderer: PostgresRenderer = PostgresRenderer()) -> GeneratedMigration {
        let statements = renderer.statements(for: catalog)
        var text = """
            -- \(catalog.origin ?? "This schema, generated from a pgmigrate Swift model.")
            -- Do not edit by hand: change the model, run `pgmigrate generate`, review the diff.
            -- CI runs `pgmigrate generate --check`, which fails when this file and the model disagree.
            -- Objects: \(catalog.managedTables.count) tables, \(catalog.enums.count) enum types, \(catalog.functions.count) functions, \(statements.count) statements.


            """
        var section = ""
        var previousWasComment = false
        for statement in statements {
            let isComment = statement.sql.hasPrefix("COMMENT ON ")
            let title = sectionTitle(String(statement.object.prefix(while: { $0 != " " })))
            if title != section {
                if previousWasComment { text += "\n" }
                previousWasComment = false
                text += "-- \(title)\n\n"
                section = title
            }
            if previousWasComment && !isComment { text += "\n" }
            text += statement.sql + (isComment ? ";\n" : ";\n\n")
            previousWasComment = isComment
        }
        while text.hasSuffix("\n\n") { text.removeLast() }
        if !text.hasSuffix("\n") { text += "\n" }
        return GeneratedMigration(version: 1, name: "initial_schema", contents: text)
    }

    static func sectionTitle(_ kind: String) -> String {
        switch kind {
        case "extension": return "Extensions"
        case "schema": return "Schemas"
        case "type": return "Enum types"
        case "role": return "Roles (created only if absent)"
        case "table", "index": return "Tables, comments and indexes"
        case "function": return "Functions"
        case "trigger": return "Triggers"
        case "policy", "rowsecurity": return "Row-level security"
        case "grant": return "Privileges"
        case "citus": return "Citus (--target citus): the extension check, then the tables' placement"
        default: return kind
        }
    }
}
