import Foundation
import PQClient
import SchemaModel

/// The database side of migrating, under `Migrator`'s orchestration (the
/// shape of golang-migrate's driver): the migration lock, the ledger, a
/// session with the migration timeouts, running one statement with its
/// notices, transactions, and invalid indexes. It knows nothing of files,
/// their order or the refusals; `Migrator` decides what to run and when.
final class PostgresTarget {
    let connection: Connection
    let options: MigratorOptions
    private let lock: AdvisoryLock?

    private init(connection: Connection, options: MigratorOptions, lock: AdvisoryLock?) {
        self.connection = connection
        self.options = options
        self.lock = lock
    }

    /// Takes the migration lock on a connection of its own (waiting up to
    /// `options.lockWait`), then opens the working connection (or uses
    /// `reusing`, one the caller opened before, e.g. the no-op pre-check's).
    static func locked(
        settings: ConnectionSettings, options: MigratorOptions, reusing spare: Connection? = nil,
        onWait: (Int32?) -> Void
    ) throws -> PostgresTarget {
        let lock = try AdvisoryLock(settings: settings)
        try lock.acquire(wait: options.lockWait, onWait: onWait)
        do {
            let target = PostgresTarget(connection: try spare ?? settings.connect(), options: options, lock: lock)
            target.checkClientConnection()
            return target
        } catch {
            lock.release()
            throw error
        }
    }

    /// A connection that only reads (status, plan): no lock.
    static func reading(settings: ConnectionSettings, options: MigratorOptions) throws -> PostgresTarget {
        PostgresTarget(connection: try settings.connect(), options: options, lock: nil)
    }

    /// A target over a connection the caller opened (no lock).
    static func reading(_ connection: Connection, options: MigratorOptions) -> PostgresTarget {
        PostgresTarget(connection: connection, options: options, lock: nil)
    }

    /// Releases the migration lock (when held).
    func release() { lock?.release() }

    var database: String { connection.database }

    // MARK: - Ledger

    func ensureLedger() throws { try Ledger.ensure(connection) }
    func ledgerExists() throws -> Bool { try Ledger.exists(connection) }
    func entries() throws -> [LedgerEntry] { try Ledger.entries(connection) }
    func record(_ file: MigrationFile, state: LedgerEntry.State, executionMs: Int64, failure: String? = nil) throws {
        try Ledger.insert(connection, file, state: state, executionMs: executionMs, failure: failure)
    }
    func markApplied(version: Int64, checksum: String, executionMs: Int64?) throws {
        try Ledger.markApplied(connection, version: version, checksum: checksum, executionMs: executionMs)
    }
    func markDirty(version: Int64, failure: String) throws {
        try Ledger.markDirty(connection, version: version, failure: failure)
    }
    func forget(version: Int64) throws { try Ledger.delete(connection, version: version) }
    func acceptChecksum(version: Int64, checksum: String) throws {
        try Ledger.updateChecksum(connection, version: version, checksum: checksum)
    }
    func setExecutionMs(version: Int64, _ milliseconds: Int64) throws {
        try Ledger.setExecutionMs(connection, version: version, milliseconds)
    }

    // MARK: - Session and statements

    /// Resets the session before each migration so one file's `SET` does not
    /// leak into the next, and applies the timeouts.
    func prepareSession() throws {
        try Self.database("preparing the session") { try connection.executeScript(Self.sessionScript(options)) }
        checkClientConnection()
    }

    /// The session reset and the migration timeouts, as one script (also the
    /// head of a one-round-trip apply).
    static func sessionScript(_ options: MigratorOptions) -> String {
        "RESET ALL; SET DateStyle = ISO, YMD; "
            + "SET lock_timeout = '\(millisecondsText(options.lockTimeout))'; "
            + "SET statement_timeout = '\(millisecondsText(options.statementTimeout))'"
    }

    /// Abort a running migration statement within a second of the client
    /// vanishing (killed), instead of letting it run on (PostgreSQL 14+).
    private func checkClientConnection() {
        if connection.serverVersionNumber >= 140000 {
            _ = try? connection.executeScript("SET client_connection_check_interval = '1s'")
        }
    }

    func begin() throws { try connection.executeScript("BEGIN") }
    func commit() throws { try connection.executeScript("COMMIT") }
    /// Rolls back an open or failed transaction; nothing when idle.
    func rollbackIfOpen() {
        if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") }
    }

    func run(_ statement: SQLStatement) throws { try connection.executeScript(statement.text) }

    func takeNotices() -> [PQNotice] { connection.takeNotices() }

    // MARK: - Invalid indexes

    /// Invalid indexes outside the system schemas that no session is building.
    func invalidIndexes() throws -> [InvalidIndex] {
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
            """).rows.map(Self.invalidIndex)
    }

    /// The invalid-index retry rule: before a `CREATE [UNIQUE] INDEX
    /// CONCURRENTLY name ON table`, an index of that very name on that very
    /// table that is invalid and not being built by any session
    /// (pg_stat_progress_create_index) is the leftover of an earlier failed
    /// build of this statement: drop it concurrently so the build starts
    /// clean. Any other invalid index is only reported. `dropping` is told
    /// each index before it is dropped.
    func dropInvalidIndexBeforeRebuild(_ statement: SQLStatement, dropping: (InvalidIndex) -> Void) throws {
        guard let build = ConcurrentIndexBuild(statement.text) else { return }
        let rows = try connection.execute("""
            SELECT n.nspname AS schema, c.relname AS name, t.relname AS table_name
            FROM pg_class c
            JOIN pg_index i ON i.indexrelid = c.oid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class t ON t.oid = i.indrelid
            WHERE c.relname = $1 AND i.indrelid = to_regclass($2) AND NOT i.indisvalid
              AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid)
            """, [build.indexName, build.table]).rows
        for row in rows {
            let index = try Self.invalidIndex(row)
            dropping(index)
            try connection.executeScript(
                "DROP INDEX CONCURRENTLY IF EXISTS \(quoteIdentifier(index.schema)).\(quoteIdentifier(index.name))")
        }
    }

    private static func invalidIndex(_ row: Row) throws -> InvalidIndex {
        InvalidIndex(
            schema: try row.decode("schema", as: String.self), name: try row.decode("name", as: String.self),
            table: try row.decode("table_name", as: String.self))
    }

    // MARK: - Helpers

    /// Server errors outside a migration's own statements become one line naming what was being done.
    @discardableResult
    static func database<T>(_ doing: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: doing)
        }
    }

    static func millisecondsText(_ seconds: Double) -> String {
        "\(Int64((max(0, seconds) * 1000).rounded()))ms"
    }
}
