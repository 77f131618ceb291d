import Foundation
import SchemaModel

/// One thing `pgmigrate lint` found, at `file:line:column`.
public struct LintFinding: Codable, Sendable, Hashable {
    public let file: String
    public let line: Int
    public let column: Int
    public let level: LintLevel
    public let rule: String
    public let message: String
    public let hazards: [Hazard]
    public let why: String
    public let link: String

    init(file: String, line: Int, column: Int, rule: LintRule, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.level = rule.level
        self.rule = rule.id
        self.message = message
        self.hazards = rule.hazards
        self.why = rule.why
        self.link = rule.link
    }

    /// `file:line:col: level: [rule] message`, the way compilers print.
    public var compilerStyle: String { "\(file):\(line):\(column): \(level.rawValue): [\(rule)] \(message)" }
}

/// A migration file as the linter reads it (it may be one `migrate` would
/// refuse, such as a transactional file with BEGIN: that is a finding here).
public struct LintSource: Sendable, Hashable {
    public let path: String
    public let fileName: String
    public let version: Int64
    public let text: String

    public init(path: String, contents: [UInt8]) throws {
        let fileName = URL(fileURLWithPath: path).lastPathComponent
        guard let parsed = try MigrationFile.parseFileName(fileName) else {
            throw PGMigrateError(.dataError, "\(path): not a migration file name (NNNN_name.sql)")
        }
        guard let text = String(bytes: MigrationFile.normaliseLineEndings(contents), encoding: .utf8) else {
            throw PGMigrateError(.dataError, "\(path): not valid UTF-8")
        }
        self.path = path
        self.fileName = fileName
        self.version = parsed.version
        self.text = text
    }

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PGMigrateError(.dataError, "\(path): cannot read the file")
        }
        try self.init(path: path, contents: [UInt8](data))
    }
}

/// What the files before this one left behind, as far as the rules need:
/// column types (for binary-coercible type changes) and columns proven not
/// null by a validated `CHECK (col IS NOT NULL)`.
struct SchemaContext: Sendable {
    var columns: [LintName: [String: LintColumnType]] = [:]
    var provenNotNull: [LintName: Set<String>] = [:]
    /// NOT VALID `CHECK (col IS NOT NULL)` constraints waiting for VALIDATE.
    var pendingChecks: [LintName: [String: String]] = [:]
}

/// The static linter: reads files in version order, carrying what earlier
/// files created, and reports findings for the ones asked.
public struct Linter: Sendable {
    /// `server_version_num` of the PostgreSQL the files will run on (e.g. 150004).
    public let serverVersion: Int
    var context = SchemaContext()

    public static let defaultServerVersion = 170000

    public init(serverVersion: Int = Linter.defaultServerVersion) {
        self.serverVersion = serverVersion
    }

    /// `14.2` or `150004` or `15` → `server_version_num`.
    public static func parseVersion(_ text: String) -> Int? {
        if let n = Int(text), n >= 90000 { return n }
        let parts = text.split(separator: ".").map { Int($0) }
        guard let major = parts.first ?? nil, parts.allSatisfy({ $0 != nil }), major >= 9, major < 100 else { return nil }
        let minor = parts.count > 1 ? (parts[1] ?? 0) : 0
        if major >= 10 { return major * 10000 + minor }
        let patch = parts.count > 2 ? (parts[2] ?? 0) : 0
        return major * 10000 + minor * 100 + patch
    }

    /// Reads a file for context only (an applied or earlier file): no findings.
    public mutating func absorb(_ source: LintSource) throws {
        _ = try lint(source)
    }

    /// Lints one file and remembers what it creates for the next ones.
    public mutating func lint(_ source: LintSource) throws -> LintedFile {
        let parsed = try ParsedLintFile(source)
        var file = LintedFile(parsed: parsed)
        var state = FileState(transactional: parsed.transactional)
        let tokens = parsed.statements.map { LintLexer.tokens($0.text) }
        let shapes = tokens.map { ShapeReader.shape(of: $0) }
        state.hasDDL = shapes.contains { $0.isDDL }
        // After statement i, only long online steps (or brief ones that release their lock at once)?
        var onlineAfter = [Bool](repeating: true, count: shapes.count)
        var online = true
        for index in shapes.indices.reversed() {
            onlineAfter[index] = online
            online = online && shapes[index].isLongOnlineStep(transactional: parsed.transactional)
        }
        state.onlyLongOnlineStepsAfter = onlineAfter
        for shape in shapes {
            if case .createTable(let table, _, _) = shape { state.namesTakenAgain.insert(table) }
            if case .createIndex(let name?, _, _) = shape { state.namesTakenAgain.insert(name) }
        }
        for (index, statement) in parsed.statements.enumerated() {
            check(shapes[index], statement: statement, index: index, tokens: tokens[index], state: &state, file: &file)
        }
        return file
    }

    struct FileState {
        let transactional: Bool
        var hasDDL = false
        var createdTables: Set<LintName> = []
        var createdIndexes: Set<LintName> = []
        var createdTypes: Set<LintName> = []
        /// Pre-existing objects this transaction holds ACCESS EXCLUSIVE on.
        var exclusive: [LintName] = []
        var addedLabels: [String: LintName] = [:]
        /// Per statement: whether every statement after it is a long online step.
        var onlyLongOnlineStepsAfter: [Bool] = []
        /// Tables and indexes the file creates: renaming an existing one to
        /// free its name for them is a swap (in a transaction, clients using
        /// the name find the new object), not a rename that breaks them.
        var namesTakenAgain: Set<LintName> = []

        init(transactional: Bool) { self.transactional = transactional }
        func existed(_ table: LintName) -> Bool { !createdTables.contains(table) }
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    private mutating func check(
        _ shape: StatementShape, statement: SQLStatement, index: Int, tokens: [LintToken], state: inout FileState,
        file: inout LintedFile
    ) {
        func report(_ rule: LintRule, _ message: String, at offset: Int? = nil) {
            file.add(rule, message, statement: index, offset: offset)
        }
        let version = serverVersion

        // Errors: what cannot run inside the file's transaction.
        if state.transactional {
            switch shape {
            case .transactionControl:
                report(LintRules.transactionControl, "transaction control in a file pgmigrate runs in a transaction; remove it, or add `-- pgmigrate: no-transaction`")
            case .vacuum:
                report(LintRules.vacuumInTransaction, "VACUUM cannot run inside the migration's transaction (25001)")
            case .alterSystem:
                report(LintRules.alterSystemInTransaction, "ALTER SYSTEM cannot run inside the migration's transaction (25001)")
            case .databaseCommand(let what):
                report(LintRules.databaseInTransaction, "\(what) cannot run inside the migration's transaction (25001)")
            case .createIndex, .dropIndex, .reindex:
                if shape.needsNoTransaction {
                    report(LintRules.concurrentlyInTransaction, "CONCURRENTLY cannot run inside the migration's transaction (25001); move it alone to a `-- pgmigrate: no-transaction` file")
                }
            case .alterTypeAddValue where version < 120000:
                report(LintRules.enumAddValueInTransaction, "ALTER TYPE … ADD VALUE cannot run inside a transaction block before PostgreSQL 12 (target is \(Self.versionText(version))); use a `-- pgmigrate: no-transaction` file")
            default: break
            }
        } else if shape.needsNoTransaction, version >= 140000, version < 140004 {
            switch shape {
            case .createIndex, .reindex:
                report(LintRules.concurrentIndexPG14Bug, "PostgreSQL \(Self.versionText(version)) can build a corrupt index CONCURRENTLY (fixed in 14.4)")
            default: break
            }
        }

        // The enum label added earlier in this transaction, used here.
        if state.transactional, !state.addedLabels.isEmpty {
            switch shape {
            case .alterTypeAddValue, .comment: break
            default:
                for token in tokens where token.kind == .string {
                    if let type = state.addedLabels[token.text] {
                        report(LintRules.enumValueUsedInSameTransaction, "'\(token.text)' was added to \(type) in this transaction and cannot be used before it commits (55P04); add the label in a file of its own", at: token.offset)
                        break
                    }
                }
            }
        }

        // A statement that waits for locks or works long while this
        // transaction holds ACCESS EXCLUSIVE on a table that existed before.
        if state.transactional, let held = state.exclusive.first {
            let touched = touchedTables(shape, state).filter { !state.exclusive.contains($0) }
            if let other = touched.first {
                report(LintRules.statementAfterAccessExclusive, "this statement must lock \(other) while the transaction holds ACCESS EXCLUSIVE on \(held) (since an earlier statement): every query on \(held) waits meanwhile; move it to a file of its own")
            } else if isLongWork(shape, state) {
                report(LintRules.statementAfterAccessExclusive, "this statement does long work while the transaction holds ACCESS EXCLUSIVE on \(held) (since an earlier statement): every query on \(held) waits meanwhile; move it to a file of its own")
            }
        }

        switch shape {
        case .createTable(let table, let columns, let checks):
            state.createdTables.insert(table)
            var types: [String: LintColumnType] = [:]
            for (name, type) in columns { if let type { types[name] = type } }
            context.columns[table] = types
            context.provenNotNull[table] = Set(checks.map(\.column))
            context.pendingChecks[table] = [:]
        case .createIndex(let name, let table, let concurrently):
            if let name { state.createdIndexes.insert(name) }
            if !concurrently, state.existed(table) {
                if state.transactional {
                    report(LintRules.indexWithoutConcurrently, "CREATE INDEX on \(table), which existed before this file, blocks its writes while the index builds; use CREATE INDEX CONCURRENTLY alone in a `-- pgmigrate: no-transaction` file")
                } else {
                    report(LintRules.indexWithoutConcurrently, "CREATE INDEX on \(table), which existed before this file, blocks its writes while the index builds; use CREATE INDEX CONCURRENTLY")
                }
            }
        case .dropIndex(let names, let concurrently):
            let old = names.filter { !state.createdIndexes.contains($0) }
            if !concurrently, let first = old.first {
                report(LintRules.dropIndexWithoutConcurrently, "DROP INDEX \(first) takes an ACCESS EXCLUSIVE lock on its table; use DROP INDEX CONCURRENTLY in a `-- pgmigrate: no-transaction` file")
            }
            if !concurrently, state.transactional, let first = old.first { state.exclusive.append(first) }
        case .reindex(let target, _, let concurrently):
            if !concurrently, let target, !state.createdIndexes.contains(target), !state.createdTables.contains(target) {
                let advice = version >= 120000 ? "; use REINDEX … CONCURRENTLY in a `-- pgmigrate: no-transaction` file" : " (REINDEX CONCURRENTLY needs PostgreSQL 12)"
                report(LintRules.reindexWithoutConcurrently, "REINDEX \(target) blocks writes to the table while it rebuilds\(advice)")
            }
        case .alterTable(let table, let actions):
            alterTable(table, actions, state: &state, report: report)
        case .alterIndex(let name, let rename):
            if rename, !state.createdIndexes.contains(name), !(state.transactional && state.namesTakenAgain.contains(name)) {
                report(LintRules.rename, "renaming index \(name) breaks clients and scripts that name it")
            }
        case .createType(let name):
            state.createdTypes.insert(name)
        case .alterTypeAddValue(let type, let label):
            if state.transactional, !state.createdTypes.contains(type) { state.addedLabels[label] = type }
        case .renameOther:
            report(LintRules.rename, "a rename breaks running clients that use the old name; add the new object, move clients, then drop the old")
        case .dropTable(let names):
            for name in names where state.existed(name) {
                report(LintRules.dropTable, "DROP TABLE \(name) deletes its rows")
                if state.transactional { state.exclusive.append(name) }
            }
        case .truncate(let names):
            for name in names where state.existed(name) {
                report(LintRules.truncate, "TRUNCATE \(name) deletes every row")
                if state.transactional { state.exclusive.append(name) }
            }
        case .setting(let name, let value, _):
            let online = index < state.onlyLongOnlineStepsAfter.count && state.onlyLongOnlineStepsAfter[index]
            checkTimeout(name: name, value: value, beforeOnlyLongOnlineSteps: online, report: report)
        case .setConfig(let name, let value):
            checkTimeout(name: name, value: value, beforeOnlyLongOnlineSteps: false, report: report)
        case .resetSetting(let name):
            if ["lock_timeout", "statement_timeout", "all"].contains(name) {
                report(LintRules.timeoutOverride, "RESET \(name.uppercased() == "ALL" ? "ALL" : name) undoes the timeouts pgmigrate sets for each migration")
            }
        case .dml(let table, let hasWhere, let command):
            if state.transactional, !hasWhere, state.hasDDL, state.existed(table) {
                report(LintRules.unboundedDMLWithDDL, "\(command) of every row of \(table) in a transaction that also changes the schema")
            }
        case .lockTable(let names, let accessExclusive):
            if state.transactional, accessExclusive { state.exclusive.append(contentsOf: names.filter { state.existed($0) }) }
        default:
            break
        }
    }

    private mutating func alterTable(
        _ table: LintName, _ actions: [(offset: Int, action: AlterAction)], state: inout FileState,
        report: (LintRule, String, Int?) -> Void
    ) {
        let existed = state.existed(table)
        var exclusive = false
        for (offset, action) in actions {
            switch action {
            case .addColumn(let name, let type, let defaultTokens, let notNull, let rewritesByItself, let buildsIndex):
                if let type { context.columns[table, default: [:]][name] = type }
                exclusive = true
                guard existed else { continue }
                let volatile = defaultTokens.flatMap { tokens in
                    zip(tokens, tokens.dropFirst()).first { $0.kind == .word && ShapeReader.volatileFunctions.contains($0.text) && $1.isSymbol("(") }?.0.text
                }
                if rewritesByItself {
                    report(LintRules.volatileDefault, "adding \(name) to \(table) (identity, serial or stored generated) rewrites the table", offset)
                } else if let volatile {
                    report(LintRules.volatileDefault, "adding \(name) to \(table) with the volatile default \(volatile)() rewrites the table; add the column without it, set the default, then backfill in batches", offset)
                } else if serverVersion < 110000, let tokens = defaultTokens, !(tokens.count == 1 && tokens[0].isWord("null")) {
                    report(LintRules.volatileDefault, "before PostgreSQL 11 any default on a new column rewrites the table (target is \(Self.versionText(serverVersion)))", offset)
                }
                if notNull, defaultTokens == nil, !rewritesByItself {
                    report(LintRules.notNullColumnWithoutDefault, "adding NOT NULL column \(name) to \(table) without a default fails if the table has a row", offset)
                }
                if buildsIndex {
                    report(LintRules.uniqueWithoutUsingIndex, "adding \(name) to \(table) as UNIQUE/PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock", offset)
                }
            case .addConstraint(let name, let kind, let checkedColumn, let notValid, let usingIndex):
                switch kind {
                case .unique, .primaryKey, .exclude:
                    if notValid {
                        report(LintRules.notValidOnUnique, "\(kind == .exclude ? "EXCLUDE" : kind == .unique ? "UNIQUE" : "PRIMARY KEY") constraints cannot be marked NOT VALID (0A000)", offset)
                    } else if existed, !usingIndex {
                        report(LintRules.uniqueWithoutUsingIndex, "adding a \(kind == .exclude ? "EXCLUDE" : kind == .unique ? "UNIQUE" : "PRIMARY KEY") constraint to \(table) builds its index under an ACCESS EXCLUSIVE lock; CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX", offset)
                    }
                    exclusive = true
                case .check:
                    if existed, !notValid {
                        report(LintRules.checkWithoutNotValid, "CHECK constraint\(name.map { " " + $0 } ?? "") on \(table) is validated under an ACCESS EXCLUSIVE lock; add it NOT VALID and VALIDATE CONSTRAINT in a later file", offset)
                    }
                    if let column = checkedColumn {
                        if notValid, let name {
                            context.pendingChecks[table, default: [:]][name] = column
                        } else if !notValid {
                            context.provenNotNull[table, default: []].insert(column)
                        }
                    }
                    exclusive = true
                case .foreignKey:
                    if existed, !notValid {
                        report(LintRules.foreignKeyWithoutNotValid, "FOREIGN KEY\(name.map { " " + $0 } ?? "") on \(table) is validated while writes to both tables wait; add it NOT VALID and VALIDATE CONSTRAINT in a later file", offset)
                    }
                case .other:
                    exclusive = true
                }
            case .validateConstraint(let name):
                if let column = context.pendingChecks[table]?[name] {
                    context.provenNotNull[table, default: []].insert(column)
                    context.pendingChecks[table]?[name] = nil
                }
            case .setNotNull(let column):
                exclusive = true
                if existed, !(context.provenNotNull[table]?.contains(column) ?? false) {
                    report(LintRules.setNotNull, "SET NOT NULL on \(table).\(column) scans the table under an ACCESS EXCLUSIVE lock; first ADD CONSTRAINT … CHECK (\(column) IS NOT NULL) NOT VALID and VALIDATE it (PostgreSQL 12+ then skips the scan)", offset)
                }
            case .alterType(let column, let type, let hasUsing):
                exclusive = true
                let old = context.columns[table]?[column]
                if let type { context.columns[table, default: [:]][column] = type }
                guard existed else { continue }
                if hasUsing {
                    report(LintRules.rewritingTypeChange, "changing the type of \(table).\(column) with USING rewrites the table", offset)
                } else if let old, let type {
                    if !old.changesWithoutRewrite(to: type) {
                        report(LintRules.rewritingTypeChange, "changing \(table).\(column) from \(old) to \(type) rewrites the table and its indexes", offset)
                    }
                } else {
                    report(LintRules.rewritingTypeChange, "changing the type of \(table).\(column) may rewrite the table (its current type is not known from the migration files; `--trace` tells exactly)", offset)
                }
            case .dropColumn(let name):
                exclusive = true
                context.columns[table]?[name] = nil
                if existed { report(LintRules.dropColumn, "DROP COLUMN \(table).\(name) deletes its data", offset) }
            case .rename(let newName):
                exclusive = true
                if let newName, existed, state.transactional {
                    // The same relation under its new name: already locked, and it existed.
                    let renamed = LintName(schema: table.schema, name: newName)
                    if !state.exclusive.contains(renamed) { state.exclusive.append(renamed) }
                    if state.namesTakenAgain.contains(table) { continue }
                }
                if existed { report(LintRules.rename, "renaming \(table) or one of its columns or constraints breaks running clients that use the old name", offset) }
            case .other(let weakLock, _):
                if !weakLock { exclusive = true }
            }
        }
        if exclusive, existed, state.transactional, !state.exclusive.contains(table) { state.exclusive.append(table) }
    }

    /// A `SET statement_timeout = 0` is allowed when every statement after it
    /// in the file is a long online step (`isLongOnlineStep`): lock_timeout
    /// still bounds each one's wait for its lock, and a statement_timeout
    /// would only kill an index build or validation half way, forever.
    /// `lock_timeout = 0` never is.
    private func checkTimeout(name: String, value: String?, beforeOnlyLongOnlineSteps: Bool, report: (LintRule, String, Int?) -> Void) {
        guard name == "lock_timeout" || name == "statement_timeout" else { return }
        let v = (value ?? "").lowercased().trimmingWhitespace()
        let zero = v == "default" || v.isEmpty || v.allSatisfy({ $0 == "0" || $0 == "." })
            || ["0ms", "0s", "0min", "0 ms", "0 s"].contains(v)
        if zero, name == "statement_timeout", beforeOnlyLongOnlineSteps {
            return
        }
        if zero {
            report(LintRules.timeoutOverride, "\(name) = \(value ?? "DEFAULT") turns off the \(name) pgmigrate sets for each migration", nil)
        }
    }

    /// Pre-existing tables (or indexes) a statement must lock.
    private func touchedTables(_ shape: StatementShape, _ state: FileState) -> [LintName] {
        switch shape {
        case .createIndex(_, let table, _), .alterTable(let table, _), .dml(let table, _, _):
            return state.existed(table) ? [table] : []
        case .dropTable(let names), .truncate(let names), .lockTable(let names, _):
            return names.filter { state.existed($0) }
        case .dropIndex(let names, _):
            return names.filter { !state.createdIndexes.contains($0) }
        default:
            return []
        }
    }

    /// Whether the statement does work that grows with a table's size.
    private func isLongWork(_ shape: StatementShape, _ state: FileState) -> Bool {
        switch shape {
        case .createIndex(_, let table, _): return state.existed(table)
        case .reindex, .vacuum, .cluster, .refreshMaterializedView: return true
        case .dml(let table, _, _): return state.existed(table)
        case .alterTable(let table, let actions):
            guard state.existed(table) else { return false }
            return actions.contains { _, action in
                switch action {
                case .validateConstraint, .setNotNull, .alterType: return true
                case .addConstraint(_, let kind, _, let notValid, let usingIndex): return !notValid && !usingIndex && kind != .other
                case .addColumn(_, _, _, _, let rewrites, let index): return rewrites || index
                default: return false
                }
            }
        default: return false
        }
    }

    static func versionText(_ version: Int) -> String {
        version >= 100000 ? "\(version / 10000).\(version % 10000)" : "\(version / 10000).\(version / 100 % 100).\(version % 100)"
    }
}

extension StatementShape {
    /// A step that may run long without blocking reads or writes, so it
    /// needs no statement_timeout: CREATE/DROP INDEX CONCURRENTLY, REINDEX
    /// CONCURRENTLY, ALTER TABLE … VALIDATE CONSTRAINT. In a no-transaction
    /// file, where each statement releases its locks when it ends, also a
    /// COMMENT and ALTER INDEX … RENAME (brief, and their wait is bounded by
    /// lock_timeout).
    func isLongOnlineStep(transactional: Bool) -> Bool {
        switch self {
        case .createIndex(_, _, let concurrently), .dropIndex(_, let concurrently), .reindex(_, _, let concurrently):
            return concurrently
        case .alterTable(_, let actions):
            return !actions.isEmpty && actions.allSatisfy { _, action in
                if case .validateConstraint = action { return true }
                return false
            }
        case .comment, .alterIndex(_, rename: true):
            return !transactional
        default:
            return false
        }
    }

    var isDDL: Bool {
        switch self {
        case .createTable, .createIndex, .dropIndex, .reindex, .alterTable, .alterIndex, .createType, .alterTypeAddValue,
            .renameOther, .dropTable, .truncate:
            return true
        default:
            return false
        }
    }
}
