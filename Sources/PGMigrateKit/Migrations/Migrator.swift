import Foundation
import PQClient
import SchemaModel

/// Applies a directory of versioned migrations to one database: the
/// orchestration (what to apply, in what order, the refusals, the reports)
/// over a `PostgresTarget` (the lock, the ledger, a statement with its
/// timeouts, invalid indexes).
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
        return try withLock(progress: progress) { db in
            try db.ensureLedger()
            let entries = try db.entries()
            let pending = try verify(files: files, entries: entries, progress: progress)
            let invalid = try db.invalidIndexes()
            invalid.forEach { progress(.invalidIndexFound($0)) }
            let toApply = pending.filter { target == nil || $0.version <= (target ?? .max) }
            var applied: [AppliedMigration] = []
            for file in toApply {
                let milliseconds: Int64
                if file.transactional {
                    milliseconds = try applyInTransaction(file, db: db, progress: progress)
                } else {
                    milliseconds = try applyWithoutTransaction(file, db: db, progress: progress)
                }
                let done = AppliedMigration(
                    version: file.version, name: file.name, file: file.path,
                    transactional: file.transactional, executionMs: milliseconds)
                applied.append(done)
                progress(.applied(done))
            }
            let after = try db.entries()
            return MigrateReport(
                applied: applied, currentVersion: after.map(\.version).max(),
                pending: pending.count - toApply.count, invalidIndexes: try db.invalidIndexes())
        }
    }

    // MARK: - status and plan

    /// Every migration in the directory or the ledger, with its state and
    /// checksum state. Reads only; does not create the ledger.
    public func status() throws -> StatusReport {
        let files = try files()
        let db = try PostgresTarget.reading(settings: settings, options: options)
        return try PostgresTarget.database("reading the migration ledger") {
            let entries = try db.entries()
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
                database: db.database, ledgerExists: try db.ledgerExists(),
                currentVersion: entries.filter { $0.state != .dirty }.map(\.version).max(),
                migrations: rows, invalidIndexes: try db.invalidIndexes())
        }
    }

    /// The statements `migrate(target:)` would run, in order; applies nothing.
    /// Refuses exactly when `migrate` would (edited files, dirty ledger, …).
    public func plan(target: Int64? = nil) throws -> MigrationPlan {
        let files = try files()
        try check(target: target, in: files)
        let db = try PostgresTarget.reading(settings: settings, options: options)
        return try PostgresTarget.database("reading the migration ledger") {
            let entries = try db.entries()
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
        return try withLock(progress: { _ in }) { db in
            try db.ensureLedger()
            let entries = try db.entries()
            guard entries.isEmpty else {
                throw PGMigrateError(.ledgerNotEmpty, "cannot baseline: the ledger already has \(entries.count) migration(s), the newest \(entries.last?.identifier ?? "?")")
            }
            try db.begin()
            do {
                for file in files { try db.record(file, state: .baselined, executionMs: 0) }
                try db.commit()
            } catch {
                db.rollbackIfOpen()
                throw error
            }
            return try db.entries()
        }
    }

    /// Undoes the newest applied migration with its down part (in a
    /// transaction with the deletion of its ledger row, unless the file is
    /// no-transaction). Refuses (exit 5) when it has no down part, was
    /// baselined, was edited, or the ledger is dirty.
    @discardableResult
    public func rollback(progress: (MigrationEvent) -> Void = { _ in }) throws -> AppliedMigration {
        let files = try files()
        return try withLock(progress: progress) { db in
            let entries = try db.entries()
            if let dirty = entries.first(where: { $0.state == .dirty }) {
                throw Self.dirtyRefusal(dirty)
            }
            guard let last = entries.last else {
                throw PGMigrateError(.wrongLedgerState, "nothing to roll back: no migration has been applied")
            }
            guard last.state == .applied else {
                throw PGMigrateError(.wrongLedgerState, "cannot roll back \(last.identifier): it was baselined, not applied by pgmigrate")
            }
            guard let file = files.first(where: { $0.version == last.version }) else {
                throw PGMigrateError(.missingFile, "cannot roll back \(last.identifier): its file is missing from \(directory.relativePath)")
            }
            guard file.checksum == last.checksum else {
                throw PGMigrateError(.editedFile, "cannot roll back: \(file.path) was edited after it was applied (checksum differs from the ledger)")
            }
            guard let down = file.downStatements else {
                throw PGMigrateError(.noDownPart, "cannot roll back \(file.identifier): \(file.path) has no `-- pgmigrate: down` part")
            }
            let milliseconds: Int64
            if file.transactional {
                milliseconds = try runTransaction(file, statements: down, db: db, progress: progress) {
                    try db.forget(version: file.version)
                }
            } else {
                let start = Date()
                try PostgresTarget.database("recording the rollback of \(file.identifier)") {
                    try db.markDirty(version: file.version, failure: "rollback started and did not finish")
                }
                try runStatementsWithoutTransaction(file, statements: down, db: db, progress: progress, action: "rollback")
                try PostgresTarget.database("recording the rollback of \(file.identifier)") {
                    try db.forget(version: file.version)
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
        return try withLock(progress: { _ in }) { db in
            let entries = try db.entries()
            guard let entry = entries.first(where: { $0.version == version }) else {
                throw PGMigrateError(.wrongLedgerState, "cannot repair version \(version): the ledger has no such migration")
            }
            let file = files.first(where: { $0.version == version })
            return try PostgresTarget.database("repairing \(entry.identifier)") {
                switch action {
                case .markApplied:
                    guard entry.state == .dirty else {
                        throw PGMigrateError(.wrongLedgerState, "cannot mark \(entry.identifier) applied: it is \(entry.state.rawValue), not dirty")
                    }
                    guard let file else {
                        throw PGMigrateError(.missingFile, "cannot mark \(entry.identifier) applied: its file is missing")
                    }
                    try db.markApplied(version: version, checksum: file.checksum, executionMs: nil)
                    return "marked \(entry.identifier) applied"
                case .forget:
                    guard entry.state == .dirty else {
                        throw PGMigrateError(.wrongLedgerState, "cannot forget \(entry.identifier): it is \(entry.state.rawValue), not dirty (use rollback to undo an applied migration)")
                    }
                    try db.forget(version: version)
                    return "forgot \(entry.identifier): the next migrate runs it again"
                case .acceptChecksum:
                    guard entry.state != .dirty else {
                        throw PGMigrateError(.dirtyLedger, "cannot accept the checksum of \(entry.identifier): it is dirty; use --mark-applied or --forget")
                    }
                    guard let file else {
                        throw PGMigrateError(.missingFile, "cannot accept the checksum of \(entry.identifier): its file is missing")
                    }
                    try db.acceptChecksum(version: version, checksum: file.checksum)
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
                throw PGMigrateError(.missingFile, "applied migration \(entry.identifier) has no file in \(directory.relativePath); restore it (or pass --allow-missing)")
            }
            guard file.name == entry.name else {
                throw PGMigrateError(.renamedFile, "\(file.path): version \(entry.version) was applied as \(entry.identifier); a renamed applied migration is refused, nothing applied")
            }
            guard file.checksum == entry.checksum else {
                throw PGMigrateError(.editedFile, "\(file.path) was edited after it was applied (its checksum differs from the ledger's); nothing applied. Restore it, or accept the edit with `pgmigrate repair \(entry.version) --accept-checksum`")
            }
        }
        let applied = Set(entries.map(\.version))
        let pending = files.filter { !applied.contains($0.version) }
        if !options.allowOutOfOrder, let newest = entries.last, let early = pending.first, early.version < newest.version {
            throw PGMigrateError(.outOfOrder, "\(early.path) is pending but the newer \(newest.identifier) is already applied; nothing applied (renumber it, or pass --allow-out-of-order)")
        }
        return pending
    }

    static func dirtyRefusal(_ entry: LedgerEntry) -> PGMigrateError {
        PGMigrateError(.dirtyLedger, "migration \(entry.identifier) is dirty (\(entry.failure ?? "it did not finish")); nothing applied. Check the database, then run `pgmigrate repair \(entry.version) --mark-applied` if you finished it by hand or `--forget` to run it again")
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
        try PostgresTarget.reading(connection, options: options).invalidIndexes()
    }

    // MARK: - Sessions

    /// Takes the migration lock, opens the working connection, and runs
    /// `body` on the target. Server errors outside a migration become exit 4.
    private func withLock<T>(progress: (MigrationEvent) -> Void, _ body: (PostgresTarget) throws -> T) throws -> T {
        let spare = spareConnection
        spareConnection = nil
        let db = try PostgresTarget.locked(settings: settings, options: options, reusing: spare) { pid in
            progress(.waitingForLock(holderPID: pid, wait: options.lockWait))
        }
        defer { db.release() }
        return try PostgresTarget.database("working on the migration ledger") { try body(db) }
    }

    // MARK: - Applying

    private func applyInTransaction(
        _ file: MigrationFile, db: PostgresTarget, progress: (MigrationEvent) -> Void
    ) throws -> Int64 {
        if let milliseconds = applyInOneRoundTrip(file, connection: db.connection, progress: progress) { return milliseconds }
        return try runTransaction(file, statements: file.upStatements, db: db, progress: progress) {
            // The ledger row is written in the same transaction, so the
            // migration and its record commit or vanish together.
            try db.record(file, state: .applied, executionMs: 0)
        }
    }

    /// The one retry loop: runs `attempt` again after lock_timeout (SQLSTATE
    /// 55P03), up to `options.lockRetries` times with exponential backoff,
    /// telling `retrying` before each wait. Any other error, or the last
    /// lock_timeout, goes to `failed` with the number of attempts made.
    private func retryingLockTimeouts<T>(
        _ attempt: () throws -> T,
        retrying: (_ error: PQError, _ attempt: Int, _ delay: Double) -> Void,
        failed: (_ error: PQError, _ attempts: Int) -> Error
    ) throws -> T {
        var retries = 0
        while true {
            do {
                return try attempt()
            } catch let error as PQError {
                if error.sqlState == .lockNotAvailable, retries < options.lockRetries {
                    retries += 1
                    let delay = options.retryBackoff * pow(2, Double(retries - 1))
                    retrying(error, retries, delay)
                    Thread.sleep(forTimeInterval: delay)
                    continue
                }
                throw failed(error, retries + 1)
            }
        }
    }

    /// Runs `statements` and `finish` in one transaction, retrying the whole
    /// transaction on lock_timeout. Returns the milliseconds of the attempt
    /// that committed.
    private func runTransaction(
        _ file: MigrationFile, statements: [SQLStatement], db: PostgresTarget,
        progress: (MigrationEvent) -> Void, finish: () throws -> Void
    ) throws -> Int64 {
        var current: SQLStatement?
        return try retryingLockTimeouts({
            try db.prepareSession()
            let start = Date()
            current = nil
            do {
                try db.begin()
                for statement in statements {
                    current = statement
                    try db.run(statement)
                    forwardNotices(db, file: file, progress: progress)
                }
                current = nil
                try finish()
                let milliseconds = Self.milliseconds(since: start)
                try db.setExecutionMs(version: file.version, milliseconds)
                try db.commit()
                return milliseconds
            } catch let error as PQError {
                forwardNotices(db, file: file, progress: progress)
                db.rollbackIfOpen()
                throw error
            }
        }, retrying: { error, attempt, delay in
            let line = current?.line(atPosition: error.position) ?? current?.line ?? 1
            progress(.lockTimeoutRetry(file: file.path, line: line, attempt: attempt, of: options.lockRetries, delay: delay))
        }, failed: { error, attempts in
            failure(error, file: file, statement: current, attempts: attempts, suffix: "rolled back, nothing of \(file.identifier) was applied")
        })
    }

    private func applyWithoutTransaction(
        _ file: MigrationFile, db: PostgresTarget, progress: (MigrationEvent) -> Void
    ) throws -> Int64 {
        try db.prepareSession()
        let start = Date()
        // Recorded dirty first: if pgmigrate dies partway, the next run knows.
        try PostgresTarget.database("recording the start of \(file.identifier)") {
            try db.record(file, state: .dirty, executionMs: 0,
                failure: "interrupted: this no-transaction migration started and did not finish")
        }
        try runStatementsWithoutTransaction(file, statements: file.upStatements, db: db, progress: progress, action: "migration")
        let milliseconds = Self.milliseconds(since: start)
        try PostgresTarget.database("recording \(file.identifier) as applied") {
            try db.markApplied(version: file.version, checksum: file.checksum, executionMs: milliseconds)
        }
        return milliseconds
    }

    /// Runs statements one by one in autocommit mode, retrying a statement
    /// that hit lock_timeout, and rebuilding cleanly over an invalid index a
    /// failed `CREATE INDEX CONCURRENTLY` left. On failure the ledger row is
    /// left dirty with the error.
    private func runStatementsWithoutTransaction(
        _ file: MigrationFile, statements: [SQLStatement], db: PostgresTarget,
        progress: (MigrationEvent) -> Void, action: String
    ) throws {
        for statement in statements {
            try retryingLockTimeouts({
                do {
                    try db.dropInvalidIndexBeforeRebuild(statement) { index in
                        progress(.droppingInvalidIndex(index, file: "\(file.path):\(statement.line)"))
                    }
                    try db.run(statement)
                    forwardNotices(db, file: file, progress: progress)
                } catch let error as PQError {
                    forwardNotices(db, file: file, progress: progress)
                    db.rollbackIfOpen()
                    throw error
                }
            }, retrying: { error, attempt, delay in
                progress(.lockTimeoutRetry(
                    file: file.path, line: statement.line(atPosition: error.position), attempt: attempt,
                    of: options.lockRetries, delay: delay))
            }, failed: { error, attempts in
                let invalid = (try? db.invalidIndexes()) ?? []
                invalid.forEach { progress(.invalidIndexFound($0)) }
                var suffix = "\(file.identifier) is a no-transaction \(action): statements before this one stay applied; recorded as dirty, resolve with `pgmigrate repair \(file.version) --mark-applied` or `--forget`"
                if !invalid.isEmpty {
                    suffix += "; invalid index(es) left behind: \(invalid.map(\.qualifiedName).joined(separator: ", ")) (dropped and rebuilt when this migration is retried)"
                }
                let reported = failure(error, file: file, statement: statement, attempts: attempts, suffix: suffix)
                if error.kind != .connection {
                    _ = try? db.markDirty(version: file.version, failure: reported.message)
                }
                return reported
            })
        }
    }

    // MARK: - Helpers

    private func forwardNotices(_ db: PostgresTarget, file: MigrationFile, progress: (MigrationEvent) -> Void) {
        for notice in db.takeNotices() { progress(.notice(notice, file: file.path)) }
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
        let reason: PGMigrateError.Reason =
            error.kind == .connection ? .connectionFailed : error.sqlState == .lockNotAvailable ? .lockTimeout : .statementFailed
        return PGMigrateError(reason, message, underlying: error)
    }

    static func milliseconds(since start: Date) -> Int64 {
        Int64((Date().timeIntervalSince(start) * 1000).rounded())
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
        table = parts.map(quoteIdentifier).joined(separator: ".")
    }
}
