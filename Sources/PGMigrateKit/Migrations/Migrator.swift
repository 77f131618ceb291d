import Foundation
import PQClient

/// Applies a directory of versioned migrations to one database.
///
///     let report = try Migrator(settings: settings, directory: URL(fileURLWithPath: "sql")).migrate()
///
/// Every changing call (`migrate`, `baseline`, `rollback`, `repair`) first
/// takes the migration lock (`AdvisoryLock`) on a connection of its own, then
/// works on a second connection. `status` and `plan` only read.
public final class Migrator {
    public let settings: ConnectionSettings
    public let directory: URL
    public let options: MigratorOptions
    /// The connection the no-op pre-check opened, reused as the working
    /// connection when it sends `migrate` down the slow path.
    var spareConnection: Connection?

    public init(settings: ConnectionSettings, directory: URL, options: MigratorOptions = MigratorOptions()) {
        self.settings = settings
        self.directory = directory
        self.options = options
    }

    /// The migration files of the directory, by version.
    public func files() throws -> [MigrationFile] {
        try MigrationFile.load(directory: directory)
    }

    // MARK: - migrate

    /// Applies every pending migration (up to `target`), each in its own
    /// transaction together with its ledger row; no-transaction files run
    /// statement by statement and are recorded dirty if they fail partway.
    @discardableResult
    public func migrate(target: Int64? = nil, progress: (MigrationEvent) -> Void = { _ in }) throws -> MigrateReport {
        if case .nothingToDo(let report) = try noOpDecision(target: target) {
            report.invalidIndexes.forEach { progress(.invalidIndexFound($0)) }
            return report
        }
        let files = try files()
        try check(target: target, in: files)
        return try withLock(progress: progress) { connection in
            try Ledger.ensure(connection)
            let entries = try Ledger.entries(connection)
            let pending = try verify(files: files, entries: entries, progress: progress)
            let invalid = try invalidIndexes(connection)
            invalid.forEach { progress(.invalidIndexFound($0)) }
            let toApply = pending.filter { target == nil || $0.version <= (target ?? .max) }
            var applied: [AppliedMigration] = []
            for file in toApply {
                let milliseconds: Int64
                if file.transactional {
                    milliseconds = try applyInTransaction(file, connection: connection, progress: progress)
                } else {
                    milliseconds = try applyWithoutTransaction(file, connection: connection, progress: progress)
                }
                let done = AppliedMigration(
                    version: file.version, name: file.name, file: file.path,
                    transactional: file.transactional, executionMs: milliseconds)
                applied.append(done)
                progress(.applied(done))
            }
            let after = try Ledger.entries(connection)
            return MigrateReport(
                applied: applied, currentVersion: after.map(\.version).max(),
                pending: pending.count - toApply.count, invalidIndexes: try invalidIndexes(connection))
        }
    }

    // MARK: - status and plan

    /// Every migration in the directory or the ledger, with its state and
    /// checksum state. Reads only; does not create the ledger.
    public func status() throws -> StatusReport {
        let files = try files()
        let connection = try settings.connect()
        return try database("reading the migration ledger") {
            let entries = try Ledger.entries(connection)
            let byVersion = Dictionary(entries.map { ($0.version, $0) }, uniquingKeysWith: { a, _ in a })
            let fileVersions = Set(files.map(\.version))
            var rows: [MigrationStatus] = files.map { file in
                guard let entry = byVersion[file.version] else {
                    return MigrationStatus(
                        version: file.version, name: file.name, file: file.path, state: .pending, checksum: .none,
                        transactional: file.transactional, hasDown: file.downStatements != nil,
                        appliedAt: nil, appliedBy: nil, executionMs: nil, failure: nil)
                }
                return MigrationStatus(
                    version: file.version, name: file.name, file: file.path, state: Self.state(entry.state),
                    checksum: entry.checksum == file.checksum && entry.name == file.name ? .ok : .changed,
                    transactional: file.transactional, hasDown: file.downStatements != nil,
                    appliedAt: entry.appliedAt, appliedBy: entry.appliedBy, executionMs: entry.executionMs,
                    failure: entry.failure)
            }
            for entry in entries where !fileVersions.contains(entry.version) {
                rows.append(MigrationStatus(
                    version: entry.version, name: entry.name, file: nil, state: Self.state(entry.state),
                    checksum: .missingFile, transactional: nil, hasDown: nil, appliedAt: entry.appliedAt,
                    appliedBy: entry.appliedBy, executionMs: entry.executionMs, failure: entry.failure))
            }
            rows.sort { $0.version < $1.version }
            return StatusReport(
                database: connection.database, ledgerExists: try Ledger.exists(connection),
                currentVersion: entries.filter { $0.state != .dirty }.map(\.version).max(),
                migrations: rows, invalidIndexes: try invalidIndexes(connection))
        }
    }

    /// The statements `migrate(target:)` would run, in order; applies nothing.
    /// Refuses exactly when `migrate` would (edited files, dirty ledger, …).
    public func plan(target: Int64? = nil) throws -> MigrationPlan {
        let files = try files()
        try check(target: target, in: files)
        let connection = try settings.connect()
        return try database("reading the migration ledger") {
            let entries = try Ledger.entries(connection)
            let pending = try verify(files: files, entries: entries, progress: { _ in })
            let steps = pending.filter { target == nil || $0.version <= (target ?? .max) }.map { file in
                MigrationPlan.Step(
                    version: file.version, name: file.name, file: file.path, transactional: file.transactional,
                    statements: file.upStatements.map { .init(line: $0.line, sql: $0.text) })
            }
            return MigrationPlan(
                currentVersion: entries.map(\.version).max(), target: target, steps: steps)
        }
    }

    /// A target must be the version of a file: a mistyped `--target 70` that
    /// silently applies everything (or nothing) is what this refuses.
    private func check(target: Int64?, in files: [MigrationFile]) throws {
        guard let target, !files.contains(where: { $0.version == target }) else { return }
        let versions = files.map(\.version)
        let known = versions.isEmpty ? "there are no migration files" : "the files have versions \(versions.min() ?? 0) to \(versions.max() ?? 0)"
        throw PGMigrateError(.usage, "--target \(target): no migration file has that version (\(known) in \(directory.path))")
    }

    // MARK: - baseline, rollback, repair

    /// Records every file with a version ≤ `version` as `baselined` without
    /// running it: for a database that already has that schema. Refuses
    /// (exit 5) when the ledger has any row.
    @discardableResult
    public func baseline(_ version: Int64) throws -> [LedgerEntry] {
        let files = try files().filter { $0.version <= version }
        guard !files.isEmpty else {
            throw PGMigrateError(.usage, "no migration file in \(directory.relativePath) has a version ≤ \(version)")
        }
        return try withLock(progress: { _ in }) { connection in
            try Ledger.ensure(connection)
            let entries = try Ledger.entries(connection)
            guard entries.isEmpty else {
                throw PGMigrateError(.refused, "cannot baseline: the ledger already has \(entries.count) migration(s), the newest \(entries.last?.identifier ?? "?")")
            }
            try connection.transaction { connection in
                for file in files { try Ledger.insert(connection, file, state: .baselined, executionMs: 0) }
            }
            return try Ledger.entries(connection)
        }
    }

    /// Undoes the newest applied migration with its down part (in a
    /// transaction with the deletion of its ledger row, unless the file is
    /// no-transaction). Refuses (exit 5) when it has no down part, was
    /// baselined, was edited, or the ledger is dirty.
    @discardableResult
    public func rollback(progress: (MigrationEvent) -> Void = { _ in }) throws -> AppliedMigration {
        let files = try files()
        return try withLock(progress: progress) { connection in
            let entries = try Ledger.entries(connection)
            if let dirty = entries.first(where: { $0.state == .dirty }) {
                throw Self.dirtyRefusal(dirty)
            }
            guard let last = entries.last else {
                throw PGMigrateError(.refused, "nothing to roll back: no migration has been applied")
            }
            guard last.state == .applied else {
                throw PGMigrateError(.refused, "cannot roll back \(last.identifier): it was baselined, not applied by pgmigrate")
            }
            guard let file = files.first(where: { $0.version == last.version }) else {
                throw PGMigrateError(.refused, "cannot roll back \(last.identifier): its file is missing from \(directory.relativePath)")
            }
            guard file.checksum == last.checksum else {
                throw PGMigrateError(.refused, "cannot roll back: \(file.path) was edited after it was applied (checksum differs from the ledger)")
            }
            guard let down = file.downStatements else {
                throw PGMigrateError(.refused, "cannot roll back \(file.identifier): \(file.path) has no `-- pgmigrate: down` part")
            }
            let milliseconds: Int64
            if file.transactional {
                milliseconds = try runTransaction(file, statements: down, connection: connection, progress: progress) {
                    try Ledger.delete($0, version: file.version)
                }
            } else {
                let start = Date()
                try database("recording the rollback of \(file.identifier)") {
                    try Ledger.markDirty(connection, version: file.version, failure: "rollback started and did not finish")
                }
                try runStatementsWithoutTransaction(file, statements: down, connection: connection, progress: progress, action: "rollback")
                try database("recording the rollback of \(file.identifier)") {
                    try Ledger.delete(connection, version: file.version)
                }
                milliseconds = Self.milliseconds(since: start)
            }
            let done = AppliedMigration(
                version: file.version, name: file.name, file: file.path, transactional: file.transactional,
                executionMs: milliseconds)
            progress(.rolledBack(done))
            return done
        }
    }

    /// Resolves a dirty or edited migration; see `RepairAction`.
    @discardableResult
    public func repair(_ version: Int64, action: RepairAction) throws -> String {
        let files = try files()
        return try withLock(progress: { _ in }) { connection in
            let entries = try Ledger.entries(connection)
            guard let entry = entries.first(where: { $0.version == version }) else {
                throw PGMigrateError(.refused, "cannot repair version \(version): the ledger has no such migration")
            }
            let file = files.first(where: { $0.version == version })
            return try database("repairing \(entry.identifier)") {
                switch action {
                case .markApplied:
                    guard entry.state == .dirty else {
                        throw PGMigrateError(.refused, "cannot mark \(entry.identifier) applied: it is \(entry.state.rawValue), not dirty")
                    }
                    guard let file else {
                        throw PGMigrateError(.refused, "cannot mark \(entry.identifier) applied: its file is missing")
                    }
                    try Ledger.markApplied(connection, version: version, checksum: file.checksum, executionMs: nil)
                    return "marked \(entry.identifier) applied"
                case .forget:
                    guard entry.state == .dirty else {
                        throw PGMigrateError(.refused, "cannot forget \(entry.identifier): it is \(entry.state.rawValue), not dirty (use rollback to undo an applied migration)")
                    }
                    try Ledger.delete(connection, version: version)
                    return "forgot \(entry.identifier): the next migrate runs it again"
                case .acceptChecksum:
                    guard entry.state != .dirty else {
                        throw PGMigrateError(.refused, "cannot accept the checksum of \(entry.identifier): it is dirty; use --mark-applied or --forget")
                    }
                    guard let file else {
                        throw PGMigrateError(.refused, "cannot accept the checksum of \(entry.identifier): its file is missing")
                    }
                    try Ledger.updateChecksum(connection, version: version, checksum: file.checksum)
                    return "accepted the current checksum of \(file.path)"
                }
            }
        }
    }

    // MARK: - Checks

    /// The pending files, after refusing on a dirty ledger, edited or renamed
    /// applied files, missing files (unless allowed) and out-of-order files
    /// (unless allowed).
    func verify(files: [MigrationFile], entries: [LedgerEntry], progress: (MigrationEvent) -> Void) throws -> [MigrationFile] {
        if let dirty = entries.first(where: { $0.state == .dirty }) {
            throw Self.dirtyRefusal(dirty)
        }
        let byVersion = Dictionary(files.map { ($0.version, $0) }, uniquingKeysWith: { a, _ in a })
        for entry in entries {
            guard let file = byVersion[entry.version] else {
                if options.allowMissingFiles {
                    progress(.missingFile(entry))
                    continue
                }
                throw PGMigrateError(.refused, "applied migration \(entry.identifier) has no file in \(directory.relativePath); restore it (or pass --allow-missing)")
            }
            guard file.name == entry.name else {
                throw PGMigrateError(.refused, "\(file.path): version \(entry.version) was applied as \(entry.identifier); a renamed applied migration is refused, nothing applied")
            }
            guard file.checksum == entry.checksum else {
                throw PGMigrateError(.refused, "\(file.path) was edited after it was applied (its checksum differs from the ledger's); nothing applied. Restore it, or accept the edit with `pgmigrate repair \(entry.version) --accept-checksum`")
            }
        }
        let applied = Set(entries.map(\.version))
        let pending = files.filter { !applied.contains($0.version) }
        if !options.allowOutOfOrder, let newest = entries.last, let early = pending.first, early.version < newest.version {
            throw PGMigrateError(.refused, "\(early.path) is pending but the newer \(newest.identifier) is already applied; nothing applied (renumber it, or pass --allow-out-of-order)")
        }
        return pending
    }

    static func dirtyRefusal(_ entry: LedgerEntry) -> PGMigrateError {
        PGMigrateError(.refused, "migration \(entry.identifier) is dirty (\(entry.failure ?? "it did not finish")); nothing applied. Check the database, then run `pgmigrate repair \(entry.version) --mark-applied` if you finished it by hand or `--forget` to run it again")
    }

    static func state(_ state: LedgerEntry.State) -> MigrationStatus.State {
        switch state {
        case .applied: return .applied
        case .baselined: return .baselined
        case .dirty: return .dirty
        }
    }

    /// Invalid indexes outside the system schemas that no session is building.
    public func invalidIndexes(_ connection: Connection) throws -> [InvalidIndex] {
        try connection.execute("""
            SELECT n.nspname AS schema, c.relname AS name, t.relname AS table_name
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class t ON t.oid = i.indrelid
            WHERE NOT i.indisvalid
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
              AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
            ORDER BY 1, 2
            """).rows.map { row in
            InvalidIndex(
                schema: try row.decode("schema", as: String.self), name: try row.decode("name", as: String.self),
                table: try row.decode("table_name", as: String.self))
        }
    }

    // MARK: - Sessions

    /// Takes the migration lock, opens the working connection, prepares it,
    /// and runs `body`. Server errors outside a migration become exit 4.
    private func withLock<T>(progress: (MigrationEvent) -> Void, _ body: (Connection) throws -> T) throws -> T {
        let lock = try AdvisoryLock(settings: settings)
        try lock.acquire(wait: options.lockWait) { pid in progress(.waitingForLock(holderPID: pid, wait: options.lockWait)) }
        defer { lock.release() }
        let connection = try spareConnection ?? settings.connect()
        spareConnection = nil
        if connection.serverVersionNumber >= 140000 {
            // Abort a running migration statement within a second of the
            // client vanishing (killed), instead of letting it run on.
            _ = try? connection.executeScript("SET client_connection_check_interval = '1s'")
        }
        return try database("working on the migration ledger") { try body(connection) }
    }

    /// Resets the session before each migration so one file's `SET` does not
    /// leak into the next, and applies the timeouts.
    private func prepareSession(_ connection: Connection) throws {
        var script = "RESET ALL; SET DateStyle = ISO, YMD; "
        script += "SET lock_timeout = '\(Self.millisecondsText(options.lockTimeout))'; "
        script += "SET statement_timeout = '\(Self.millisecondsText(options.statementTimeout))'"
        try database("preparing the session") { try connection.executeScript(script) }
        if connection.serverVersionNumber >= 140000 {
            _ = try? connection.executeScript("SET client_connection_check_interval = '1s'")
        }
    }

    // MARK: - Applying

    private func applyInTransaction(
        _ file: MigrationFile, connection: Connection, progress: (MigrationEvent) -> Void
    ) throws -> Int64 {
        if let milliseconds = applyInOneRoundTrip(file, connection: connection, progress: progress) { return milliseconds }
        return try runTransaction(file, statements: file.upStatements, connection: connection, progress: progress) { connection in
            // The ledger row is written in the same transaction, so the
            // migration and its record commit or vanish together.
            try Ledger.insert(connection, file, state: .applied, executionMs: 0)
        }
    }

    /// Runs `statements` and `finish` in one transaction, retrying the whole
    /// transaction on lock_timeout. Returns the milliseconds of the attempt
    /// that committed.
    private func runTransaction(
        _ file: MigrationFile, statements: [SQLStatement], connection: Connection,
        progress: (MigrationEvent) -> Void, finish: (Connection) throws -> Void
    ) throws -> Int64 {
        var attempt = 0
        while true {
            try prepareSession(connection)
            let start = Date()
            var current: SQLStatement?
            do {
                try connection.executeScript("BEGIN")
                for statement in statements {
                    current = statement
                    try connection.executeScript(statement.text)
                    forwardNotices(connection, file: file, progress: progress)
                }
                current = nil
                try finish(connection)
                let milliseconds = Self.milliseconds(since: start)
                try connection.execute(
                    "UPDATE pgmigrate.schema_migrations SET execution_ms = $2 WHERE version = $1",
                    [file.version, milliseconds])
                try connection.executeScript("COMMIT")
                return milliseconds
            } catch let error as PQError {
                forwardNotices(connection, file: file, progress: progress)
                if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") }
                let line = current?.line(atPosition: error.position) ?? current?.line ?? 1
                if error.sqlState == .lockNotAvailable, attempt < options.lockRetries {
                    attempt += 1
                    let delay = options.retryBackoff * pow(2, Double(attempt - 1))
                    progress(.lockTimeoutRetry(file: file.path, line: line, attempt: attempt, of: options.lockRetries, delay: delay))
                    Thread.sleep(forTimeInterval: delay)
                    continue
                }
                throw failure(error, file: file, statement: current, attempts: attempt + 1, suffix: "rolled back, nothing of \(file.identifier) was applied")
            }
        }
    }

    private func applyWithoutTransaction(
        _ file: MigrationFile, connection: Connection, progress: (MigrationEvent) -> Void
    ) throws -> Int64 {
        try prepareSession(connection)
        let start = Date()
        // Recorded dirty first: if pgmigrate dies partway, the next run knows.
        try database("recording the start of \(file.identifier)") {
            try Ledger.insert(connection, file, state: .dirty, executionMs: 0,
                failure: "interrupted: this no-transaction migration started and did not finish")
        }
        try runStatementsWithoutTransaction(file, statements: file.upStatements, connection: connection, progress: progress, action: "migration")
        let milliseconds = Self.milliseconds(since: start)
        try database("recording \(file.identifier) as applied") {
            try Ledger.markApplied(connection, version: file.version, checksum: file.checksum, executionMs: milliseconds)
        }
        return milliseconds
    }

    /// Runs statements one by one in autocommit mode, retrying a statement
    /// that hit lock_timeout, and rebuilding cleanly over an invalid index a
    /// failed `CREATE INDEX CONCURRENTLY` left. On failure the ledger row is
    /// left dirty with the error.
    private func runStatementsWithoutTransaction(
        _ file: MigrationFile, statements: [SQLStatement], connection: Connection,
        progress: (MigrationEvent) -> Void, action: String
    ) throws {
        for statement in statements {
            var attempt = 0
            while true {
                do {
                    try dropInvalidIndexBeforeRebuild(statement, file: file, connection: connection, progress: progress)
                    try connection.executeScript(statement.text)
                    forwardNotices(connection, file: file, progress: progress)
                    break
                } catch let error as PQError {
                    forwardNotices(connection, file: file, progress: progress)
                    if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") }
                    if error.sqlState == .lockNotAvailable, attempt < options.lockRetries {
                        attempt += 1
                        let delay = options.retryBackoff * pow(2, Double(attempt - 1))
                        progress(.lockTimeoutRetry(
                            file: file.path, line: statement.line(atPosition: error.position), attempt: attempt,
                            of: options.lockRetries, delay: delay))
                        Thread.sleep(forTimeInterval: delay)
                        continue
                    }
                    let invalid = (try? invalidIndexes(connection)) ?? []
                    invalid.forEach { progress(.invalidIndexFound($0)) }
                    var suffix = "\(file.identifier) is a no-transaction \(action): statements before this one stay applied; recorded as dirty, resolve with `pgmigrate repair \(file.version) --mark-applied` or `--forget`"
                    if !invalid.isEmpty {
                        suffix += "; invalid index(es) left behind: \(invalid.map(\.qualifiedName).joined(separator: ", ")) (dropped and rebuilt when this migration is retried)"
                    }
                    let reported = failure(error, file: file, statement: statement, attempts: attempt + 1, suffix: suffix)
                    if error.kind != .connection {
                        _ = try? Ledger.markDirty(connection, version: file.version, failure: reported.message)
                    }
                    throw reported
                }
            }
        }
    }

    /// The invalid-index retry rule: before a `CREATE [UNIQUE] INDEX
    /// CONCURRENTLY name ON table` in a no-transaction migration, an index of
    /// that very name on that very table that is invalid and not being built
    /// by any session (pg_stat_progress_create_index) is the leftover of an
    /// earlier failed build of this statement: drop it concurrently so the
    /// build starts clean. Any other invalid index is only reported.
    private func dropInvalidIndexBeforeRebuild(
        _ statement: SQLStatement, file: MigrationFile, connection: Connection, progress: (MigrationEvent) -> Void
    ) throws {
        guard let target = ConcurrentIndexBuild(statement.text) else { return }
        let rows = try connection.execute("""
            SELECT n.nspname AS schema, c.relname AS name, t.relname AS table_name
            FROM pg_class c
            JOIN pg_index i ON i.indexrelid = c.oid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class t ON t.oid = i.indrelid
            WHERE c.relname = $1 AND i.indrelid = to_regclass($2) AND NOT i.indisvalid
              AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid)
            """, [target.indexName, target.table]).rows
        for row in rows {
            let index = InvalidIndex(
                schema: try row.decode("schema", as: String.self), name: try row.decode("name", as: String.self),
                table: try row.decode("table_name", as: String.self))
            progress(.droppingInvalidIndex(index, file: "\(file.path):\(statement.line)"))
            try connection.executeScript(
                "DROP INDEX CONCURRENTLY IF EXISTS \(try connection.escapeIdentifier(index.schema)).\(try connection.escapeIdentifier(index.name))")
        }
    }

    // MARK: - Helpers

    private func forwardNotices(_ connection: Connection, file: MigrationFile, progress: (MigrationEvent) -> Void) {
        for notice in connection.takeNotices() { progress(.notice(notice, file: file.path)) }
    }

    /// `file:line: SQLSTATE: message (hint: …); suffix`, exit 4 (3 when the connection was lost).
    private func failure(
        _ error: PQError, file: MigrationFile, statement: SQLStatement?, attempts: Int, suffix: String
    ) -> PGMigrateError {
        let location = statement.map { "\(file.path):\($0.line(atPosition: error.position))" } ?? "\(file.path) (at commit)"
        var message = "\(location): "
        if error.sqlState == .lockNotAvailable {
            message += "lock_timeout (\(AdvisoryLock.seconds(options.lockTimeout))) reached on \(attempts) attempt(s): another session holds a conflicting lock (\(error)); "
        } else {
            message += "\(error); "
        }
        message += suffix
        let status: ExitStatus = error.kind == .connection ? .connection : .database
        return PGMigrateError(status, message, underlying: error)
    }

    @discardableResult
    private func database<T>(_ doing: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: doing)
        }
    }

    static func milliseconds(since start: Date) -> Int64 {
        Int64((Date().timeIntervalSince(start) * 1000).rounded())
    }

    static func millisecondsText(_ seconds: Double) -> String {
        "\(Int64((max(0, seconds) * 1000).rounded()))ms"
    }
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] table`,
/// read from the start of a statement.
struct ConcurrentIndexBuild: Equatable {
    /// The index name as stored (unquoted names folded to lower case).
    let indexName: String
    /// The table as a quoted, possibly qualified name for `to_regclass`.
    let table: String

    init?(_ sql: String) {
        var tokens = SQLTokens(sql)
        guard tokens.keyword("create") else { return nil }
        _ = tokens.keyword("unique")
        guard tokens.keyword("index"), tokens.keyword("concurrently") else { return nil }
        if tokens.keyword("if") {
            guard tokens.keyword("not"), tokens.keyword("exists") else { return nil }
        }
        guard let name = tokens.identifier() else { return nil }
        guard tokens.keyword("on") else { return nil }
        _ = tokens.keyword("only")
        var parts: [String] = []
        guard let first = tokens.identifier() else { return nil }
        parts.append(first)
        while tokens.symbol(".") {
            guard let next = tokens.identifier() else { return nil }
            parts.append(next)
        }
        indexName = name
        table = parts.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ".")
    }
}

/// A tiny reader of identifiers and keywords at the start of a statement.
struct SQLTokens {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    private mutating func skipSpace() {
        while index < scalars.count {
            let c = scalars[index]
            if c.properties.isWhitespace {
                index += 1
            } else if c == "-", index + 1 < scalars.count, scalars[index + 1] == "-" {
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
            } else if c == "/", index + 1 < scalars.count, scalars[index + 1] == "*" {
                var depth = 0
                while index < scalars.count {
                    if scalars[index] == "/", index + 1 < scalars.count, scalars[index + 1] == "*" {
                        depth += 1; index += 2
                    } else if scalars[index] == "*", index + 1 < scalars.count, scalars[index + 1] == "/" {
                        depth -= 1; index += 2
                        if depth == 0 { break }
                    } else {
                        index += 1
                    }
                }
            } else {
                return
            }
        }
    }

    private static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        c.value >= 128 || c == "_" || c == "$" || (c.properties.isAlphabetic && c.isASCII) || ("0"..."9").contains(c)
    }

    /// An unquoted word (folded to lower case) or a quoted identifier (exact).
    mutating func identifier() -> String? {
        skipSpace()
        guard index < scalars.count else { return nil }
        if scalars[index] == "\"" {
            var value = ""
            index += 1
            while index < scalars.count {
                if scalars[index] == "\"" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                        value.unicodeScalars.append("\""); index += 2; continue
                    }
                    index += 1
                    return value
                }
                value.unicodeScalars.append(scalars[index])
                index += 1
            }
            return nil
        }
        let start = index
        while index < scalars.count, Self.isWordScalar(scalars[index]) { index += 1 }
        guard index > start else { return nil }
        var word = ""
        word.unicodeScalars.append(contentsOf: scalars[start..<index])
        return word.lowercased()
    }

    /// Consumes `word` (case-insensitive, unquoted) when it comes next.
    mutating func keyword(_ word: String) -> Bool {
        let saved = index
        skipSpace()
        if index < scalars.count, scalars[index] != "\"", let next = identifier(), next == word { return true }
        index = saved
        return false
    }

    mutating func symbol(_ symbol: Unicode.Scalar) -> Bool {
        skipSpace()
        if index < scalars.count, scalars[index] == symbol {
            index += 1
            return true
        }
        return false
    }
}
