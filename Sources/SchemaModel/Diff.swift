/// One object a difference is about: its kind and its qualified name
/// (`public.orders.status` for a column, `public.idx_x` for an index).
public struct SchemaObject: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Object kinds, in the order differences are reported.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case `extension`, role, schema, type, label, table, column, constraint, index
        case function, trigger, rowSecurity = "row security", policy, grant
    }

    public var kind: Kind
    public var name: String
    /// The table the object belongs to (columns, constraints, indexes,
    /// triggers, policies, grants, row security), for `--ignore 'table …'`.
    public var table: QualifiedName?

    public init(_ kind: Kind, _ name: String, table: QualifiedName? = nil) {
        self.kind = kind
        self.name = name
        self.table = table
    }

    /// `kind name`, e.g. `column public.orders.status`: what `--ignore` globs match.
    public var description: String { kind.rawValue + " " + name }

    public static func < (lhs: SchemaObject, rhs: SchemaObject) -> Bool {
        let l = Kind.allCases.firstIndex(of: lhs.kind) ?? 0
        let r = Kind.allCases.firstIndex(of: rhs.kind) ?? 0
        return (l, lhs.name) < (r, rhs.name)
    }
}

/// Which property of an object differs.
public enum SchemaAttribute: String, Hashable, Sendable, CaseIterable {
    case definition, labelOrder = "label order", comment
    case type, nullability, `default`, collation, identity
    case enabled, forced
    case command, permissive, roles, using, withCheck = "with check"
    case firing
    case arguments, returns, language, body, volatility, strict, securityDefiner = "security definer"
    case searchPath = "search_path", execute
    case privileges, usage
    case attributes, owner
    case partitioning
}

/// One difference between the desired catalog (the model) and the actual
/// one (the database). A closed set: an object is missing, extra, or one of
/// its attributes changed; each names its object.
public enum SchemaChange: Hashable, Sendable, CustomStringConvertible {
    /// In the model, not in the database.
    case missing(SchemaObject, definition: String)
    /// In the database, not in the model.
    case extra(SchemaObject, definition: String)
    /// In both, with one attribute differing.
    case changed(SchemaObject, SchemaAttribute, expected: String, actual: String)

    public var object: SchemaObject {
        switch self {
        case .missing(let object, _), .extra(let object, _), .changed(let object, _, _, _): return object
        }
    }

    public var description: String {
        switch self {
        case .missing(let object, let definition): return "missing \(object): \(definition)"
        case .extra(let object, let definition): return "extra \(object): \(definition)"
        case .changed(let object, let attribute, let expected, let actual):
            return "changed \(object) \(attribute.rawValue): expected \(expected), actual \(actual)"
        }
    }

    fileprivate var sortKey: (SchemaObject, Int, String) {
        switch self {
        case .missing(let object, _): return (object, 0, "")
        case .extra(let object, _): return (object, 1, "")
        case .changed(let object, let attribute, _, _):
            return (object, 2, String(SchemaAttribute.allCases.firstIndex(of: attribute) ?? 0).leftPadded(3))
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

/// Compares two catalogs: a pure function of two values. Objects are matched
/// by name; the result is sorted by object kind, name, then change.
public struct SchemaDiffer: Sendable {
    public let renderer: PostgresRenderer

    public init(renderer: PostgresRenderer = PostgresRenderer()) {
        self.renderer = renderer
    }

    public func diff(desired: Catalog, actual: Catalog) -> [SchemaChange] {
        changes(desired: desired, actual: actual).flatMap(\.differences).sorted { $0.sortKey < $1.sortKey }
    }

    /// The typed changes that turn `actual` into `desired`, in catalog order
    /// (extensions, roles, schemas, types, tables and what is on them,
    /// functions). `diff` is these changes' report lines, sorted.
    public func changes(desired: Catalog, actual: Catalog) -> [CatalogChange] {
        var out: [CatalogChange] = []
        out += matchByName(
            desired.extensions, actual.extensions, key: \.name,
            object: { SchemaObject(.extension, $0.name) }, value: SchemaValue.extension,
            definition: { renderer.createExtension($0).sql }
        ) { expected, actual, object in
            expected.schema == actual.schema
                ? [] : [.changed(object, .definition, expected: renderer.createExtension(expected).sql, actual: renderer.createExtension(actual).sql)]
        }
        out += matchByName(
            desired.roles, actual.roles, key: \.name, object: { SchemaObject(.role, $0.name) }, value: SchemaValue.role,
            definition: { "ROLE \(quoteIdentifierIfNeeded($0.name))" }
        ) { expected, actual, object in
            // Only what weakens row-level security: LOGIN and the rest are the DBA's business.
            roleAttributes(expected) == roleAttributes(actual)
                ? [] : [.changed(object, .attributes, expected: roleAttributes(expected), actual: roleAttributes(actual))]
        }
        out += diffSchemas(desired, actual)
        out += matchByName(
            desired.enums, actual.enums, key: \.name.description, object: { SchemaObject(.type, $0.name.description) },
            value: SchemaValue.enumType, definition: { renderer.createEnum($0).sql.oneLine }, compare: diffEnum)
        out += matchByName(
            desired.tables.filter { !$0.isExternal }, actual.tables.filter { !$0.isExternal },
            key: \.name.description, object: { SchemaObject(.table, $0.name.description) }, value: SchemaValue.table,
            definition: { "TABLE \($0.name.sql) (\($0.columns.map(\.name).map(quoteIdentifierIfNeeded).joined(separator: ", ")))" },
            compare: diffTableAttributes, nested: diffTableObjects)
        out += matchByName(
            desired.functions, actual.functions, key: \.signature, object: { SchemaObject(.function, $0.signature) },
            value: SchemaValue.function, definition: { functionHeader($0) }, compare: diffFunction)
        return out
    }

    // MARK: - Kinds

    func diffSchemas(_ desired: Catalog, _ actual: Catalog) -> [CatalogChange] {
        var out = matchByName(
            desired.schemas, actual.schemas, key: { $0 }, object: { SchemaObject(.schema, $0) }, value: SchemaValue.schema,
            definition: { "CREATE SCHEMA \(quoteIdentifierIfNeeded($0))" }, compare: { _, _, _ in [] })
        for schema in desired.schemas where schema != "public" && actual.schemas.contains(schema) {
            let expected = desired.usageGrantees.sorted()
            let found = actual.usageGrantees.sorted()
            if expected != found {
                let object = SchemaObject(.schema, schema)
                out.append(CatalogChange(
                    .alter, object, old: .schema(schema), new: .schema(schema),
                    differences: [.changed(object, .usage, expected: list(expected), actual: list(found))]))
            }
        }
        return out
    }

    func diffEnum(_ expected: EnumType, _ actual: EnumType, _ object: SchemaObject) -> [SchemaChange] {
        var out: [SchemaChange] = []
        for label in expected.labels where !actual.labels.contains(label) {
            out.append(.missing(SchemaObject(.label, "\(expected.name).\(label)"), definition: quoteLiteral(label)))
        }
        for label in actual.labels where !expected.labels.contains(label) {
            out.append(.extra(SchemaObject(.label, "\(expected.name).\(label)"), definition: quoteLiteral(label)))
        }
        let common = Set(expected.labels).intersection(actual.labels)
        let expectedOrder = expected.labels.filter(common.contains)
        let actualOrder = actual.labels.filter(common.contains)
        if expectedOrder != actualOrder {
            out.append(.changed(object, .labelOrder, expected: labels(expected.labels), actual: labels(actual.labels)))
        }
        out += compareComment(expected.comment, actual.comment, object)
        return out
    }

    /// What differs on the table itself: comment, row security, owner.
    func diffTableAttributes(_ expected: Table, _ actual: Table, _ object: SchemaObject) -> [SchemaChange] {
        let table = expected.name
        var out = compareComment(expected.comment, actual.comment, object)
        let rls = SchemaObject(.rowSecurity, table.description, table: table)
        if expected.rowSecurity.enabled != actual.rowSecurity.enabled {
            out.append(.changed(rls, .enabled, expected: onOff(expected.rowSecurity.enabled), actual: onOff(actual.rowSecurity.enabled)))
        }
        if expected.rowSecurity.forced != actual.rowSecurity.forced {
            out.append(.changed(rls, .forced, expected: onOff(expected.rowSecurity.forced), actual: onOff(actual.rowSecurity.forced)))
        }
        // Partitioned or not, and by which key (interval and premake are
        // maintenance settings, not in the catalogue: PartitionSetCheck
        // checks what maintenance made).
        let expectedKey = expected.partitioning.map { "PARTITION BY RANGE (\(quoteIdentifierIfNeeded($0.column)))" } ?? "not partitioned"
        let actualKey = actual.partitioning.map { "PARTITION BY RANGE (\(quoteIdentifierIfNeeded($0.column)))" } ?? "not partitioned"
        if expectedKey != actualKey {
            out.append(.changed(object, .partitioning, expected: expectedKey, actual: actualKey))
        }
        // An owner bypasses row-level security that is not forced, so a table
        // owned by a role its policies restrict is a hole, whatever the policies say.
        let restricted = Set(expected.policies.flatMap(\.roles))
        if let owner = actual.owner, restricted.contains(owner), !actual.rowSecurity.forced {
            out.append(.changed(
                object, .owner,
                expected: "not \(restricted.sorted().joined(separator: " or ")) (the owner bypasses row-level security)",
                actual: owner))
        }
        return out
    }

    /// What differs on the objects of a table present on both sides.
    func diffTableObjects(_ expected: Table, _ actual: Table) -> [CatalogChange] {
        let table = expected.name
        var out: [CatalogChange] = []
        out += matchByName(
            expected.columns, actual.columns, key: \.name,
            object: { SchemaObject(.column, "\(table).\($0.name)", table: table) }, value: SchemaValue.column,
            definition: { renderer.columnDefinition($0) }, compare: diffColumn)
        out += matchByName(
            TableConstraint.all(of: expected), TableConstraint.all(of: actual), key: \.name,
            object: { SchemaObject(.constraint, "\(table).\($0.name)", table: table) }, value: SchemaValue.constraint,
            definition: constraintDefinition
        ) { expected, actual, object in
            var out: [SchemaChange] = []
            let e = constraintDefinition(expected)
            let a = constraintDefinition(actual)
            if e != a {
                out.append(.changed(object, .definition, expected: e, actual: a))
            }
            return out + compareComment(expected.comment, actual.comment, object)
        }
        out += matchByName(
            expected.indexes, actual.indexes, key: \.name,
            object: { SchemaObject(.index, "\(table.schema).\($0.name)", table: table) }, value: SchemaValue.index,
            definition: { indexDefinition($0, on: table) }
        ) { expected, actual, object in
            var out: [SchemaChange] = []
            let e = indexDefinition(expected, on: table)
            let a = indexDefinition(actual, on: table)
            if e != a { out.append(.changed(object, .definition, expected: e, actual: a)) }
            return out + compareComment(expected.comment, actual.comment, object)
        }
        out += matchByName(
            expected.triggers, actual.triggers, key: \.name,
            object: { SchemaObject(.trigger, "\(table).\($0.name)", table: table) }, value: SchemaValue.trigger,
            definition: { triggerDefinition($0, on: table) }
        ) { expected, actual, object in
            var out: [SchemaChange] = []
            let e = triggerDefinition(expected, on: table)
            let a = triggerDefinition(actual, on: table)
            if e != a { out.append(.changed(object, .definition, expected: e, actual: a)) }
            if expected.firing != actual.firing {
                out.append(.changed(object, .firing, expected: expected.firing.sql, actual: actual.firing.sql))
            }
            return out + compareComment(expected.comment, actual.comment, object)
        }
        out += matchByName(
            expected.policies, actual.policies, key: \.name,
            object: { SchemaObject(.policy, "\(table).\($0.name)", table: table) }, value: SchemaValue.policy,
            definition: { renderer.createPolicy($0, on: table)[0].sql.oneLine }, compare: diffPolicy)
        out += matchByName(
            expected.grants, actual.grants, key: \.grantee,
            object: { SchemaObject(.grant, "\(table) to \($0.grantee)", table: table) }, value: SchemaValue.grant,
            definition: { grant in
                let sql = renderer.grant(grant, on: table).sql
                return grant.grantee == "PUBLIC" ? sql.replacingSuffix(" TO \"PUBLIC\"", with: " TO PUBLIC") : sql
            }
        ) { expected, actual, object in
            expected.privileges == actual.privileges
                ? []
                : [.changed(object, .privileges, expected: privileges(expected.privileges), actual: privileges(actual.privileges))]
        }
        return out
    }

    func diffColumn(_ expected: Column, _ actual: Column, _ object: SchemaObject) -> [SchemaChange] {
        var out: [SchemaChange] = []
        if expected.type.sql != actual.type.sql {
            out.append(.changed(object, .type, expected: expected.type.sql, actual: actual.type.sql))
        }
        if expected.isNullable != actual.isNullable {
            out.append(.changed(object, .nullability, expected: nullability(expected), actual: nullability(actual)))
        }
        if expected.defaultValue != actual.defaultValue {
            out.append(.changed(object, .default, expected: expected.defaultValue?.sql ?? "(none)", actual: actual.defaultValue?.sql ?? "(none)"))
        }
        if expected.collation != actual.collation {
            out.append(.changed(object, .collation, expected: expected.collation ?? "(default)", actual: actual.collation ?? "(default)"))
        }
        if expected.identity != actual.identity {
            out.append(.changed(object, .identity, expected: expected.identity?.rawValue ?? "(none)", actual: actual.identity?.rawValue ?? "(none)"))
        }
        return out + compareComment(expected.comment, actual.comment, object)
    }

    func diffPolicy(_ expected: Policy, _ actual: Policy, _ object: SchemaObject) -> [SchemaChange] {
        var out: [SchemaChange] = []
        if expected.command != actual.command {
            out.append(.changed(object, .command, expected: expected.command.rawValue, actual: actual.command.rawValue))
        }
        if expected.permissive != actual.permissive {
            out.append(.changed(object, .permissive, expected: permissive(expected), actual: permissive(actual)))
        }
        if expected.roles.sorted() != actual.roles.sorted() {
            out.append(.changed(object, .roles, expected: policyRoles(expected), actual: policyRoles(actual)))
        }
        if expected.using != actual.using {
            out.append(.changed(object, .using, expected: expected.using?.sql ?? "(none)", actual: actual.using?.sql ?? "(none)"))
        }
        if expected.withCheck != actual.withCheck {
            out.append(.changed(object, .withCheck, expected: expected.withCheck?.sql ?? "(none)", actual: actual.withCheck?.sql ?? "(none)"))
        }
        return out + compareComment(expected.comment, actual.comment, object)
    }

    func diffFunction(_ expected: Function, _ actual: Function, _ object: SchemaObject) -> [SchemaChange] {
        var out: [SchemaChange] = []
        func check(_ attribute: SchemaAttribute, _ e: String, _ a: String) {
            if e != a { out.append(.changed(object, attribute, expected: e, actual: a)) }
        }
        check(.arguments, arguments(expected), arguments(actual))
        check(.returns, expected.returns, actual.returns)
        check(.language, expected.language.rawValue, actual.language.rawValue)
        check(.body, expected.body.trimmingTrailingNewlines(), actual.body.trimmingTrailingNewlines())
        check(.volatility, expected.volatility.rawValue, actual.volatility.rawValue)
        check(.strict, expected.isStrict ? "STRICT" : "CALLED ON NULL INPUT", actual.isStrict ? "STRICT" : "CALLED ON NULL INPUT")
        check(
            .securityDefiner, expected.securityDefiner ? "SECURITY DEFINER" : "SECURITY INVOKER",
            actual.securityDefiner ? "SECURITY DEFINER" : "SECURITY INVOKER")
        check(.searchPath, expected.searchPath.map(list) ?? "(not set)", actual.searchPath.map(list) ?? "(not set)")
        check(.execute, executeGrantees(expected), executeGrantees(actual))
        return out + compareComment(expected.comment, actual.comment, object)
    }

    // MARK: - Definitions (how an object is printed in a report)

    /// A constraint as `pg_get_constraintdef()` prints it.
    func constraintDefinition(_ constraint: TableConstraint) -> String {
        switch constraint {
        case .primaryKey(let pk):
            return "PRIMARY KEY (\(renderer.columnList(pk.columns)))"
        case .foreignKey(let fk):
            var text = "FOREIGN KEY (\(renderer.columnList(fk.columns))) REFERENCES \(fk.referencedTable.sql)(\(renderer.columnList(fk.referencedColumns)))"
            if fk.onUpdate != .noAction { text += " ON UPDATE \(fk.onUpdate.rawValue)" }
            if fk.onDelete != .noAction { text += " ON DELETE \(fk.onDelete.rawValue)" }
            return text
        case .unique(let unique):
            return "UNIQUE (\(renderer.columnList(unique.columns)))"
        case .check(let check):
            let sql = check.expression.sql
            return sql.hasPrefix("CHECK ") ? sql : "CHECK (\(sql))"
        }
    }

    func indexDefinition(_ index: Index, on table: QualifiedName) -> String {
        index.definition ?? renderer.createIndex(index, on: table)[0].sql
    }

    func triggerDefinition(_ trigger: Trigger, on table: QualifiedName) -> String {
        trigger.definition ?? renderer.createTrigger(trigger, on: table)[0].sql.oneLine
    }

    func functionHeader(_ function: Function) -> String {
        var text = "FUNCTION \(function.name.sql)(\(arguments(function))) RETURNS \(function.returns) LANGUAGE \(function.language.rawValue) \(function.volatility.rawValue)"
        if function.securityDefiner { text += " SECURITY DEFINER" }
        return text
    }

    func arguments(_ function: Function) -> String {
        function.arguments.map { argument in
            var text = argument.name.isEmpty ? argument.type.sql : "\(quoteIdentifierIfNeeded(argument.name)) \(argument.type.sql)"
            if let value = argument.defaultValue { text += " DEFAULT \(value.sql)" }
            return text
        }.joined(separator: ", ")
    }

    func executeGrantees(_ function: Function) -> String {
        guard let grantees = function.executeGrantees else { return "PUBLIC (default)" }
        return grantees.isEmpty ? "(nobody but the owner)" : list(grantees.sorted())
    }

    func compareComment(_ expected: String?, _ actual: String?, _ object: SchemaObject) -> [SchemaChange] {
        expected == actual ? [] : [.changed(object, .comment, expected: expected.map(quoteLiteral) ?? "(none)", actual: actual.map(quoteLiteral) ?? "(none)")]
    }

    func list(_ names: [String]) -> String { names.isEmpty ? "(none)" : names.joined(separator: ", ") }
    func labels(_ labels: [String]) -> String { labels.map(quoteLiteral).joined(separator: ", ") }
    func onOff(_ value: Bool) -> String { value ? "on" : "off" }
    func nullability(_ column: Column) -> String { column.isNullable ? "NULL" : "NOT NULL" }
    func permissive(_ policy: Policy) -> String { policy.permissive ? "PERMISSIVE" : "RESTRICTIVE" }
    /// The role attributes that decide whether row-level security applies.
    func roleAttributes(_ role: Role) -> String {
        (role.superuser ? "SUPERUSER" : "NOSUPERUSER") + " " + (role.bypassRLS ? "BYPASSRLS" : "NOBYPASSRLS")
    }

    func policyRoles(_ policy: Policy) -> String { policy.roles.isEmpty ? "PUBLIC" : policy.roles.sorted().joined(separator: ", ") }
    func privileges(_ set: Set<TableGrant.Privilege>) -> String { set.isEmpty ? "(none)" : set.sorted().map(\.rawValue).joined(separator: ", ") }

    // MARK: - Matching

    /// Pairs objects by key: unmatched desired ones are added, unmatched
    /// actual ones dropped, pairs compared by `compare` (an alter when it
    /// finds differences) and `nested` (changes of the objects they hold).
    func matchByName<T, Key: Hashable>(
        _ desired: [T], _ actual: [T], key: (T) -> Key, object: (T) -> SchemaObject, value: (T) -> SchemaValue,
        definition: (T) -> String, compare: (T, T, SchemaObject) -> [SchemaChange],
        nested: (T, T) -> [CatalogChange] = { _, _ in [] }
    ) -> [CatalogChange] {
        var out: [CatalogChange] = []
        var actualByKey: [Key: T] = [:]
        for item in actual where actualByKey[key(item)] == nil { actualByKey[key(item)] = item }
        var seen = Set<Key>()
        for item in desired {
            let k = key(item)
            guard seen.insert(k).inserted else { continue }
            if let found = actualByKey[k] {
                let o = object(item)
                let differences = compare(item, found, o)
                if !differences.isEmpty {
                    out.append(CatalogChange(.alter, o, old: value(found), new: value(item), differences: differences))
                }
                out += nested(item, found)
            } else {
                let o = object(item)
                out.append(CatalogChange(.add, o, old: nil, new: value(item), differences: [.missing(o, definition: definition(item))]))
            }
        }
        for item in actual where !seen.contains(key(item)) {
            seen.insert(key(item))
            let o = object(item)
            out.append(CatalogChange(.drop, o, old: value(item), new: nil, differences: [.extra(o, definition: definition(item))]))
        }
        return out
    }
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }

    /// Collapses a multi-line statement onto one line for reports.
    var oneLine: String {
        split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: " ") }.joined(separator: " ")
    }

    func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return String(text)
    }
}

extension Substring {
    func trimmingCharacters(in character: Character) -> String { String(self).trimmingCharacters(in: character) }
}

/// A shell-style glob (`*`, `?`) over a whole string, for `--ignore`.
public struct GlobPattern: Hashable, Sendable, CustomStringConvertible {
    public let pattern: String
    public init(_ pattern: String) { self.pattern = pattern }
    public var description: String { pattern }

    public func matches(_ text: String) -> Bool {
        let p = Array(pattern)
        let t = Array(text)
        var pi = 0, ti = 0
        var star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension SchemaChange {
    /// Whether an `--ignore` pattern drops this change: the pattern matches
    /// `kind name` (`index public.idx_scratch*`), the bare name, or, for an
    /// object on a table, `table <that table>`.
    public func isIgnored(by patterns: [GlobPattern]) -> Bool {
        let object = self.object
        return patterns.contains { pattern in
            pattern.matches(object.description) || pattern.matches(object.name)
                || (object.table.map { pattern.matches("table \($0)") } ?? false)
        }
    }
}
