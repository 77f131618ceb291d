/// A constraint of a table, whatever its kind, as the differ and the
/// planner pair them: by name, across kinds.
public enum TableConstraint: Hashable, Sendable {
    case primaryKey(PrimaryKey)
    case foreignKey(ForeignKey)
    case unique(UniqueConstraint)
    case check(CheckConstraint)

    public var name: String {
        switch self {
        case .primaryKey(let c): return c.name
        case .foreignKey(let c): return c.name
        case .unique(let c): return c.name
        case .check(let c): return c.name
        }
    }

    public var comment: String? {
        switch self {
        case .primaryKey(let c): return c.comment
        case .foreignKey(let c): return c.comment
        case .unique(let c): return c.comment
        case .check(let c): return c.comment
        }
    }

    /// The previous name the model declares, if any.
    public var renamedFrom: String? {
        switch self {
        case .primaryKey: return nil
        case .foreignKey(let c): return c.renamedFrom
        case .unique(let c): return c.renamedFrom
        case .check(let c): return c.renamedFrom
        }
    }

    /// Every constraint of a table, in the order the renderer declares them.
    public static func all(of table: Table) -> [TableConstraint] {
        (table.primaryKey.map { [.primaryKey($0)] } ?? []) + table.foreignKeys.map(TableConstraint.foreignKey)
            + table.uniques.map(TableConstraint.unique) + table.checks.map(TableConstraint.check)
    }
}

/// The value a change is about: the object as the model declares it (new)
/// or as the database has it (old).
public enum SchemaValue: Hashable, Sendable {
    case `extension`(Extension)
    case role(Role)
    case schema(String)
    case enumType(EnumType)
    case table(Table)
    case function(Function)
    case column(Column)
    case constraint(TableConstraint)
    case index(Index)
    case trigger(Trigger)
    case policy(Policy)
    case grant(TableGrant)
}

/// One typed difference between the desired catalog (the model) and the
/// actual one (a database): an object to add, to drop, or to alter, with
/// both values. `differences` is how drift reports it (one line each);
/// the planner reads the values.
public struct CatalogChange: Hashable, Sendable, CustomStringConvertible {
    public enum Action: String, Hashable, Sendable { case add, drop, alter }

    public var action: Action
    public var object: SchemaObject
    /// The value in the database (nil for an add).
    public var old: SchemaValue?
    /// The value in the model (nil for a drop).
    public var new: SchemaValue?
    /// The drift report lines this change stands for.
    public var differences: [SchemaChange]

    public init(_ action: Action, _ object: SchemaObject, old: SchemaValue?, new: SchemaValue?, differences: [SchemaChange]) {
        self.action = action
        self.object = object
        self.old = old
        self.new = new
        self.differences = differences
    }

    /// The table the object belongs to, for objects on a table.
    public var table: QualifiedName? { object.table }

    /// Whether one of the differences is about `attribute`.
    public func differs(in attribute: SchemaAttribute) -> Bool {
        differences.contains { change in
            if case .changed(_, let a, _, _) = change { return a == attribute }
            return false
        }
    }

    public var description: String { differences.map(\.description).joined(separator: "; ") }
}
