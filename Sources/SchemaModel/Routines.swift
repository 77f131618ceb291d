/// A function (the catalog's `pg_proc`): trigger functions, policy helpers,
/// retention jobs.
public struct Function: Hashable, Sendable, Codable {
    /// A procedural language, by name (`pg_language.lanname`). A struct rather
    /// than an enum so functions in any language can be read back.
    public struct Language: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let sql = Language(rawValue: "sql")
        public static let plpgsql = Language(rawValue: "plpgsql")
        public var description: String { rawValue }
    }
    public enum Volatility: String, Hashable, Sendable, Codable { case immutable = "IMMUTABLE", stable = "STABLE", volatile = "VOLATILE" }

    public struct Argument: Hashable, Sendable, Codable {
        public var name: String
        public var type: ColumnType
        public var defaultValue: SQLExpression?
        public init(_ name: String, _ type: ColumnType, default defaultValue: SQLExpression? = nil) {
            self.name = name
            self.type = type
            self.defaultValue = defaultValue
        }
    }

    public var name: QualifiedName
    public var arguments: [Argument]
    /// The return type as SQL: `trigger`, `uuid`, `TABLE(...)`, `void`, …
    public var returns: String
    public var language: Language
    public var body: String
    public var volatility: Volatility
    public var isStrict: Bool
    public var securityDefiner: Bool
    /// Pinned `search_path` (`SET search_path = …`); `nil` leaves it to the caller.
    public var searchPath: [String]?
    /// Roles that may execute it. When non-nil, EXECUTE is revoked from
    /// PUBLIC and granted to exactly these roles.
    public var executeGrantees: [String]?
    public var comment: String?

    public init(
        _ name: QualifiedName, arguments: [Argument] = [], returns: String, language: Language,
        volatility: Volatility = .volatile, strict: Bool = false, securityDefiner: Bool = false,
        searchPath: [String]? = nil, executeGrantees: [String]? = nil, comment: String? = nil, body: String
    ) {
        self.name = name
        self.arguments = arguments
        self.returns = returns
        self.language = language
        self.body = body
        self.volatility = volatility
        self.isStrict = strict
        self.securityDefiner = securityDefiner
        self.searchPath = searchPath
        self.executeGrantees = executeGrantees
        self.comment = comment
    }

    /// `schema.name(type, type)`: how GRANT, COMMENT and DROP name it.
    public var signature: String {
        name.sql + "(" + arguments.map(\.type.sql).joined(separator: ", ") + ")"
    }
}

/// A trigger on a table (`pg_trigger`).
public struct Trigger: Hashable, Sendable, Codable {
    public enum Timing: String, Hashable, Sendable, Codable { case before = "BEFORE", after = "AFTER", insteadOf = "INSTEAD OF" }
    public enum Event: Hashable, Sendable, Codable {
        case insert, delete, truncate
        case update(of: [String])
        public static let update = Event.update(of: [])
        var sql: String {
            switch self {
            case .insert: return "INSERT"
            case .delete: return "DELETE"
            case .truncate: return "TRUNCATE"
            case .update(let columns):
                return columns.isEmpty ? "UPDATE" : "UPDATE OF " + columns.map(quoteIdentifierIfNeeded).joined(separator: ", ")
            }
        }
    }

    public var name: String
    public var timing: Timing
    public var events: [Event]
    public var forEachRow: Bool
    public var function: QualifiedName
    public var when: SQLExpression?
    public var comment: String?
    /// When the trigger fires (`pg_trigger.tgenabled`); a disabled trigger is drift.
    public var firing: Firing
    /// The definition as `pg_get_triggerdef()` prints it, when read from a
    /// database; drift compares triggers by this text when both sides have it.
    public var definition: String?

    /// `pg_trigger.tgenabled`: `ALTER TABLE … ENABLE / DISABLE / ENABLE REPLICA / ENABLE ALWAYS TRIGGER`.
    public enum Firing: String, Hashable, Sendable, Codable {
        case origin = "O", disabled = "D", replica = "R", always = "A"
        public var sql: String {
            switch self {
            case .origin: return "ENABLE"
            case .disabled: return "DISABLE"
            case .replica: return "ENABLE REPLICA"
            case .always: return "ENABLE ALWAYS"
            }
        }
    }

    public init(
        _ name: String, _ timing: Timing, _ events: [Event], forEachRow: Bool = true,
        execute function: QualifiedName, when: SQLExpression? = nil, comment: String? = nil,
        firing: Firing = .origin, definition: String? = nil
    ) {
        self.firing = firing
        self.definition = definition
        self.name = name
        self.timing = timing
        self.events = events
        self.forEachRow = forEachRow
        self.function = function
        self.when = when
        self.comment = comment
    }
}

/// A row-level security policy (`pg_policy`).
public struct Policy: Hashable, Sendable, Codable {
    public enum Command: String, Hashable, Sendable, Codable {
        case all = "ALL", select = "SELECT", insert = "INSERT", update = "UPDATE", delete = "DELETE"
    }

    public var name: String
    public var command: Command
    public var permissive: Bool
    /// Empty means PUBLIC.
    public var roles: [String]
    public var using: SQLExpression?
    public var withCheck: SQLExpression?
    public var comment: String?

    public init(
        _ name: String, for command: Command = .all, permissive: Bool = true, to roles: [String] = [],
        using: SQLExpression? = nil, withCheck: SQLExpression? = nil, comment: String? = nil
    ) {
        self.name = name
        self.command = command
        self.permissive = permissive
        self.roles = roles
        self.using = using
        self.withCheck = withCheck
        self.comment = comment
    }
}

/// Table privileges granted to one role.
public struct TableGrant: Hashable, Sendable, Codable {
    public enum Privilege: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
        case select = "SELECT", insert = "INSERT", update = "UPDATE", delete = "DELETE"
        case truncate = "TRUNCATE", references = "REFERENCES", trigger = "TRIGGER"
        public static func < (lhs: Privilege, rhs: Privilege) -> Bool {
            allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
        }
    }

    public var grantee: String
    public var privileges: Set<Privilege>

    public init(_ grantee: String, _ privileges: Set<Privilege>) {
        self.grantee = grantee
        self.privileges = privileges
    }
}
