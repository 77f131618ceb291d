/// A schema-qualified object name. Objects refer to each other by name, never
/// by embedding, so a catalog read back from a live database has the same shape.
public struct QualifiedName: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public var schema: String
    public var name: String

    public init(_ schema: String, _ name: String) {
        self.schema = schema
        self.name = name
    }

    /// `schema.name`, each part quoted only when needed.
    public var sql: String { quoteIdentifierIfNeeded(schema) + "." + quoteIdentifierIfNeeded(name) }
    public var description: String { schema + "." + name }

    public static func < (lhs: QualifiedName, rhs: QualifiedName) -> Bool {
        (lhs.schema, lhs.name) < (rhs.schema, rhs.name)
    }
}

/// Everything pgmigrate manages in a database, as plain values: what the
/// model declares, and (later) what the inspector reads from `pg_catalog`.
/// Diffing two catalogs is a pure function of two values.
public struct Catalog: Hashable, Sendable, Codable {
    public var schemas: [String]
    public var extensions: [Extension]
    public var enums: [EnumType]
    public var roles: [Role]
    public var tables: [Table]
    public var functions: [Function]
    /// Roles granted USAGE on every non-`public` schema of the catalog.
    public var usageGrantees: [String]
    /// The first line of a generated migration: what the model is and where
    /// it lives (`nil`: a generic line). Not part of the database.
    public var origin: String?
    /// Placement on a Citus cluster (`--target citus`); nil on one server.
    public var citus: CitusLayout?

    public init(
        schemas: [String] = [], extensions: [Extension] = [], enums: [EnumType] = [],
        roles: [Role] = [], tables: [Table] = [], functions: [Function] = [], usageGrantees: [String] = []
    ) {
        self.usageGrantees = usageGrantees
        self.schemas = schemas
        self.extensions = extensions
        self.enums = enums
        self.roles = roles
        self.tables = tables
        self.functions = functions
    }

    public func table(_ name: QualifiedName) -> Table? { tables.first { $0.name == name } }
    public func table(named name: String) -> Table? { tables.first { $0.name.name == name } }
    public func enumType(_ name: QualifiedName) -> EnumType? { enums.first { $0.name == name } }
    /// Tables the model manages (not the host application's external ones).
    public var managedTables: [Table] { tables.filter { !$0.isExternal } }
}

/// `CREATE EXTENSION IF NOT EXISTS name`.
public struct Extension: Hashable, Sendable, Codable {
    public var name: String
    public var schema: String?
    public init(_ name: String, schema: String? = nil) {
        self.name = name
        self.schema = schema
    }
}

/// A PostgreSQL enum type; labels in their declared (sort) order.
public struct EnumType: Hashable, Sendable, Codable {
    public var name: QualifiedName
    public var labels: [String]
    public var comment: String?
    /// Labels renamed in the model, new label → previous label: `generate`
    /// plans `ALTER TYPE … RENAME VALUE` for each whose old label still exists.
    public var labelsRenamedFrom: [String: String]
    public init(_ name: QualifiedName, labels: [String], comment: String? = nil, labelsRenamedFrom: [String: String] = [:]) {
        self.labelsRenamedFrom = labelsRenamedFrom
        self.name = name
        self.labels = labels
        self.comment = comment
    }
}

/// A cluster role the schema relies on; created only if absent (roles are
/// cluster-wide and may be managed elsewhere).
public struct Role: Hashable, Sendable, Codable {
    public var name: String
    public var canLogin: Bool
    /// Whether the role bypasses row-level security (`BYPASSRLS`).
    public var bypassRLS: Bool
    /// Whether the role is a superuser (which also bypasses row-level security).
    public var superuser: Bool
    public var comment: String?
    public init(_ name: String, canLogin: Bool = false, bypassRLS: Bool = false, superuser: Bool = false,
                comment: String? = nil) {
        self.name = name
        self.canLogin = canLogin
        self.bypassRLS = bypassRLS
        self.superuser = superuser
        self.comment = comment
    }
}
