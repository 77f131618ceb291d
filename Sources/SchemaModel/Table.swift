/// A table with its columns, constraints, indexes, triggers, row-level
/// security and privileges: the shape `pg_class` and friends describe.
public struct Table: Hashable, Sendable, Codable {
    public var name: QualifiedName
    public var columns: [Column]
    public var primaryKey: PrimaryKey?
    public var foreignKeys: [ForeignKey]
    public var uniques: [UniqueConstraint]
    public var checks: [CheckConstraint]
    public var indexes: [Index]
    public var triggers: [Trigger]
    public var rowSecurity: RowSecurity
    public var policies: [Policy]
    public var grants: [TableGrant]
    public var comment: String?
    /// Owned by the host application: created minimally only if absent,
    /// never altered, ignored by drift checks.
    public var isExternal: Bool
    /// The owning role as read from a database; nil in the model, where the
    /// role that runs the migration owns what it creates. Drift reports a
    /// table owned by a role its policies apply to: an owner bypasses
    /// row-level security that is not forced.
    public var owner: String?
    /// The table's previous name (same schema), declared so `generate` plans
    /// `ALTER TABLE … RENAME TO` instead of a drop and a create. Ignored when
    /// no table of that name exists any more, so it can stay in the model.
    public var renamedFrom: String?
    /// Range partitioning by a time column (nil: a plain table).
    public var partitioning: RangePartitioning?

    public init(
        _ name: QualifiedName, columns: [Column], primaryKey: PrimaryKey? = nil,
        foreignKeys: [ForeignKey] = [], uniques: [UniqueConstraint] = [], checks: [CheckConstraint] = [],
        indexes: [Index] = [], triggers: [Trigger] = [], rowSecurity: RowSecurity = .disabled,
        policies: [Policy] = [], grants: [TableGrant] = [], comment: String? = nil, isExternal: Bool = false,
        renamedFrom: String? = nil, partitioning: RangePartitioning? = nil
    ) {
        self.partitioning = partitioning
        self.renamedFrom = renamedFrom
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
        self.foreignKeys = foreignKeys
        self.uniques = uniques
        self.checks = checks
        self.indexes = indexes
        self.triggers = triggers
        self.rowSecurity = rowSecurity
        self.policies = policies
        self.grants = grants
        self.comment = comment
        self.isExternal = isExternal
    }

    public func column(_ name: String) -> Column? { columns.first { $0.name == name } }
}

public struct Column: Hashable, Sendable, Codable {
    public var name: String
    public var type: ColumnType
    public var isNullable: Bool
    public var defaultValue: SQLExpression?
    public var identity: Identity?
    public var collation: String?
    public var comment: String?
    /// The column's previous name: `generate` plans `RENAME COLUMN` (see `Table.renamedFrom`).
    public var renamedFrom: String?

    public enum Identity: String, Hashable, Sendable, Codable { case always = "ALWAYS", byDefault = "BY DEFAULT" }

    public init(
        _ name: String, _ type: ColumnType, nullable: Bool = false, default defaultValue: SQLExpression? = nil,
        identity: Identity? = nil, collation: String? = nil, comment: String? = nil, renamedFrom: String? = nil
    ) {
        self.renamedFrom = renamedFrom
        self.name = name
        self.type = type
        self.isNullable = nullable
        self.defaultValue = defaultValue
        self.identity = identity
        self.collation = collation
        self.comment = comment
    }
}

/// A column type. `sql` is the spelling `format_type()` prints, so a type
/// read back from the catalog compares equal to the declared one.
public indirect enum ColumnType: Hashable, Sendable, Codable {
    case uuid, text, boolean, smallint, integer, bigint, real, doublePrecision
    case date, timestamp, timestamptz, interval
    case json, jsonb, bytea
    case varchar(Int?)
    case numeric(precision: Int, scale: Int)
    case enumType(QualifiedName)
    case array(ColumnType)
    /// Anything else, spelled exactly as `format_type()` prints it.
    case other(String)

    /// The enum type this column type uses, directly or as an array element.
    public var enumName: QualifiedName? {
        switch self {
        case .enumType(let name): return name
        case .array(let element): return element.enumName
        default: return nil
        }
    }

    public var sql: String {
        switch self {
        case .uuid: return "uuid"
        case .text: return "text"
        case .boolean: return "boolean"
        case .smallint: return "smallint"
        case .integer: return "integer"
        case .bigint: return "bigint"
        case .real: return "real"
        case .doublePrecision: return "double precision"
        case .date: return "date"
        case .timestamp: return "timestamp without time zone"
        case .timestamptz: return "timestamp with time zone"
        case .interval: return "interval"
        case .json: return "json"
        case .jsonb: return "jsonb"
        case .bytea: return "bytea"
        case .varchar(let length): return length.map { "character varying(\($0))" } ?? "character varying"
        case .numeric(let precision, let scale): return "numeric(\(precision),\(scale))"
        case .enumType(let name): return name.sql
        case .array(let element): return element.sql + "[]"
        case .other(let spelling): return spelling
        }
    }
}

/// A SQL expression kept as text (defaults, CHECK bodies, policy and index
/// predicates). The model writes it the way Postgres prints it back.
public struct SQLExpression: Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var sql: String
    public init(_ sql: String) { self.sql = sql }
    public init(stringLiteral value: String) { self.sql = value }
    public var description: String { sql }

    public static let now: SQLExpression = "now()"
    public static let genRandomUUID: SQLExpression = "gen_random_uuid()"
    public static let `true`: SQLExpression = "true"
    public static let `false`: SQLExpression = "false"
    public static func integer(_ value: Int) -> SQLExpression { SQLExpression(String(value)) }
    public static func literal(_ value: String, as type: ColumnType) -> SQLExpression {
        SQLExpression(quoteLiteral(value) + "::" + type.sql)
    }
}

public struct PrimaryKey: Hashable, Sendable, Codable {
    public var name: String
    public var columns: [String]
    public var comment: String?
    public init(name: String, columns: [String], comment: String? = nil) {
        self.name = name
        self.columns = columns
        self.comment = comment
    }
}

public enum ReferentialAction: String, Hashable, Sendable, Codable {
    case noAction = "NO ACTION", restrict = "RESTRICT", cascade = "CASCADE"
    case setNull = "SET NULL", setDefault = "SET DEFAULT"
}

public struct ForeignKey: Hashable, Sendable, Codable {
    public var name: String
    public var columns: [String]
    public var referencedTable: QualifiedName
    public var referencedColumns: [String]
    public var onDelete: ReferentialAction
    public var onUpdate: ReferentialAction
    public var comment: String?
    /// The constraint's previous name: `generate` plans `RENAME CONSTRAINT`.
    public var renamedFrom: String?

    public init(
        name: String, columns: [String], references table: QualifiedName, _ referencedColumns: [String],
        onDelete: ReferentialAction, onUpdate: ReferentialAction = .noAction, comment: String? = nil,
        renamedFrom: String? = nil
    ) {
        self.renamedFrom = renamedFrom
        self.comment = comment
        self.name = name
        self.columns = columns
        self.referencedTable = table
        self.referencedColumns = referencedColumns
        self.onDelete = onDelete
        self.onUpdate = onUpdate
    }
}

public struct UniqueConstraint: Hashable, Sendable, Codable {
    public var name: String
    public var columns: [String]
    public var comment: String?
    /// The constraint's previous name: `generate` plans `RENAME CONSTRAINT`.
    public var renamedFrom: String?
    public init(name: String, columns: [String], comment: String? = nil, renamedFrom: String? = nil) {
        self.renamedFrom = renamedFrom
        self.name = name
        self.columns = columns
        self.comment = comment
    }
}

/// A named CHECK constraint. `columns` lists the columns the expression
/// reads (as `pg_constraint.conkey` does), so the model can be validated
/// without parsing SQL.
public struct CheckConstraint: Hashable, Sendable, Codable {
    public var name: String
    public var columns: [String]
    public var expression: SQLExpression
    /// The rule in words, rendered as the constraint's comment.
    public var comment: String?
    /// The constraint's previous name: `generate` plans `RENAME CONSTRAINT`.
    public var renamedFrom: String?

    public init(name: String, columns: [String], _ expression: SQLExpression, comment: String? = nil, renamedFrom: String? = nil) {
        self.renamedFrom = renamedFrom
        self.name = name
        self.columns = columns
        self.expression = expression
        self.comment = comment
    }
}

public struct Index: Hashable, Sendable, Codable {
    public enum Method: String, Hashable, Sendable, Codable { case btree, hash, gin, gist, brin }

    /// A key: a column, or an expression over `columns`.
    public enum Key: Hashable, Sendable, Codable {
        case column(String)
        case expression(SQLExpression, columns: [String])

        public var columns: [String] {
            switch self {
            case .column(let name): return [name]
            case .expression(_, let columns): return columns
            }
        }
    }

    public var name: String
    public var keys: [Key]
    public var isUnique: Bool
    public var method: Method
    public var include: [String]
    /// A partial index predicate, and the columns it reads.
    public var predicate: SQLExpression?
    public var predicateColumns: [String]
    public var comment: String?
    /// The definition as `pg_get_indexdef()` prints it, when read from a
    /// database; drift compares indexes by this text when both sides have it.
    public var definition: String?
    /// The index's previous name: `generate` plans `ALTER INDEX … RENAME TO`.
    public var renamedFrom: String?

    public init(
        _ name: String, on columns: [String], unique: Bool = false, method: Method = .btree,
        include: [String] = [], where predicate: SQLExpression? = nil, predicateColumns: [String] = [],
        comment: String? = nil, renamedFrom: String? = nil
    ) {
        self.init(
            name, keys: columns.map(Key.column), unique: unique, method: method, include: include,
            where: predicate, predicateColumns: predicateColumns, comment: comment, renamedFrom: renamedFrom)
    }

    public init(
        _ name: String, keys: [Key], unique: Bool = false, method: Method = .btree,
        include: [String] = [], where predicate: SQLExpression? = nil, predicateColumns: [String] = [],
        comment: String? = nil, definition: String? = nil, renamedFrom: String? = nil
    ) {
        self.renamedFrom = renamedFrom
        self.definition = definition
        self.name = name
        self.keys = keys
        self.isUnique = unique
        self.method = method
        self.include = include
        self.predicate = predicate
        self.predicateColumns = predicateColumns
        self.comment = comment
    }

    /// The plain columns leading the index, up to the first expression key.
    public var leadingColumns: [String] {
        var result: [String] = []
        for key in keys {
            guard case .column(let name) = key else { break }
            result.append(name)
        }
        return result
    }
}

/// `ALTER TABLE … ENABLE / FORCE ROW LEVEL SECURITY`.
public struct RowSecurity: Hashable, Sendable, Codable {
    public var enabled: Bool
    public var forced: Bool
    public init(enabled: Bool, forced: Bool) {
        self.enabled = enabled
        self.forced = forced
    }
    public static let disabled = RowSecurity(enabled: false, forced: false)
    public static let enabled = RowSecurity(enabled: true, forced: false)
    public static let enabledAndForced = RowSecurity(enabled: true, forced: true)
}
