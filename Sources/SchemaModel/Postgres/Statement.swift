/// One rendered SQL statement, without a trailing semicolon.
public struct Statement: Hashable, Sendable {
    /// What the statement creates or changes, e.g. `table public.orders`.
    public var object: String
    public var sql: String
    /// False for statements that cannot run inside a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, `ALTER TYPE … ADD VALUE` before PG 12, …).
    public var isTransactional: Bool
    /// Other tables the statement locks (a foreign key's referenced table:
    /// SHARE ROW EXCLUSIVE), as `schema.name`.
    public var references: [String] = []

    public init(_ object: String, _ sql: String, transactional: Bool = true) {
        self.object = object
        self.sql = sql
        self.isTransactional = transactional
    }
}

extension Array where Element == Statement {
    /// The statements as a script: each ends with `;`, separated by a blank line.
    public var script: String {
        map { $0.sql + ";\n" }.joined(separator: "\n")
    }
}
