import Foundation
import SchemaModel
import PQClient

/// `pgmigrate lint --trace`: runs files exactly as `migrate` would (the same
/// session reset and timeouts, one transaction per file unless
/// `no-transaction`) on a scratch database that holds the replay of the
/// earlier files, and reports per statement the locks it took on objects
/// that existed before the file (`pg_locks` of its own backend), the tables
/// and indexes it rewrote (a changed `relfilenode`), and any error with its
/// SQLSTATE. The scratch database is dropped afterwards, also on error.
public struct LintTracer {
    public let settings: ConnectionSettings
    public var lockTimeout: Double = 5
    public var statementTimeout: Double = 0

    public init(settings: ConnectionSettings) {
        self.settings = settings
    }

    /// Replays `earlier` (by the migrator), then traces each of `files` in order.
    public func trace(_ files: inout [LintedFile], earlier: [LintSource]) throws {
        let admin = try connect(settings, "pgmigrate lint --trace")
        let name = ShadowDatabase.randomName().replacingOccurrences(of: "shadow", with: "lint")
        do {
            try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "creating the scratch database \(name) for --trace")
        }
        ActiveShadows.shared.register(name, on: settings)
        defer {
            _ = try? ShadowDatabase.drop(name, on: admin)
            ActiveShadows.shared.unregister(name)
        }
        let scratch = settings.withDatabase(name)
        if !earlier.isEmpty {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(name)
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            for source in earlier {
                try Data(source.text.utf8).write(to: directory.appendingPathComponent(source.fileName))
            }
            var options = MigratorOptions()
            options.lockTimeout = lockTimeout
            options.statementTimeout = statementTimeout
            options.allowOutOfOrder = true
            do {
                _ = try Migrator(settings: scratch, directory: directory, options: options).migrate()
            } catch let error as PGMigrateError {
                throw PGMigrateError(error.status, "--trace: replaying the earlier files on the scratch database failed: \(error.message)", underlying: error.underlying)
            }
        }
        let connection = try connect(scratch, "pgmigrate lint --trace")
        for index in files.indices {
            let failed = try trace(&files[index], on: connection)
            files[index].traced = true
            if failed { break }
        }
    }

    private func connect(_ settings: ConnectionSettings, _ name: String) throws -> Connection {
        do {
            return try settings.connect(applicationName: name)
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "connecting for --trace")
        }
    }

    struct Relation {
        let name: String
        let kind: String
        let relfilenode: Int64
    }

    /// Relations outside the system schemas and pgmigrate's ledger.
    private func relations(_ connection: Connection) throws -> [Int64: Relation] {
        var out: [Int64: Relation] = [:]
        for row in try connection.execute("""
            SELECT c.oid::int8 AS oid, c.relfilenode::int8 AS relfilenode, c.relkind::text AS kind,
                   pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'i', 'I', 'm')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgmigrate')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            """).rows {
            out[try row.decode("oid", as: Int64.self)] = Relation(
                name: try row.decode("name", as: String.self), kind: try row.decode("kind", as: String.self),
                relfilenode: try row.decode("relfilenode", as: Int64.self))
        }
        return out
    }

    /// Relation locks this backend holds: oid → modes.
    private func locks(_ connection: Connection) throws -> [Int64: Set<String>] {
        var out: [Int64: Set<String>] = [:]
        for row in try connection.execute("""
            SELECT relation::int8 AS oid, mode FROM pg_catalog.pg_locks
            WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'relation' AND granted
            """).rows {
            out[try row.decode("oid", as: Int64.self), default: []].insert(try row.decode("mode", as: String.self))
        }
        return out
    }

    static let modes = [
        "AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
        "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock",
    ]

    static func blocks(_ mode: String) -> String {
        switch mode {
        case "AccessShareLock": return "blocks only ACCESS EXCLUSIVE (DROP, most ALTER TABLE, VACUUM FULL)"
        case "RowShareLock": return "blocks EXCLUSIVE and ACCESS EXCLUSIVE locks"
        case "RowExclusiveLock": return "blocks CREATE INDEX and other SHARE-or-stronger locks"
        case "ShareUpdateExclusiveLock": return "blocks schema changes, VACUUM and CREATE INDEX; reads and writes go on"
        case "ShareLock", "ShareRowExclusiveLock": return "blocks INSERT, UPDATE and DELETE"
        case "ExclusiveLock": return "blocks writes and SELECT FOR UPDATE; plain reads go on"
        case "AccessExclusiveLock": return "blocks every read and write"
        default: return "see the PostgreSQL lock conflict table"
        }
    }

    static func isWeak(_ mode: String) -> Bool {
        ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock"].contains(mode)
    }

    /// Traces one file; returns true when a statement failed (later files are not traced).
    private func trace(_ file: inout LintedFile, on connection: Connection) throws -> Bool {
        func ms(_ seconds: Double) -> String { "\(Int64((max(0, seconds) * 1000).rounded()))ms" }
        do {
            _ = try connection.executeScript(
                "RESET ALL; SET DateStyle = ISO, YMD; SET lock_timeout = '\(ms(lockTimeout))'; SET statement_timeout = '\(ms(statementTimeout))'")
            let existing = try relations(connection)
            var current = existing
            var held: [Int64: Set<String>] = [:]
            if file.transactional { _ = try connection.executeScript("BEGIN") }
            for (index, statement) in file.statements.enumerated() {
                let shape = ShapeReader.shape(of: LintLexer.tokens(statement.text))
                // A statement of a no-transaction file that can run in a
                // transaction block runs in one of its own (as autocommit
                // would), so its locks can be read before they are released.
                let wrap = !file.transactional && !shape.needsNoTransaction
                if wrap { _ = try connection.executeScript("BEGIN") }
                do {
                    _ = try connection.executeScript(statement.text)
                } catch let error as PQError where error.kind != .connection {
                    if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") }
                    let code = error.sqlState?.rawValue ?? "?????"
                    let what = file.transactional ? "the file's transaction is rolled back" : "statements before it stay applied; migrate would record the file dirty"
                    file.add(LintRules.traceError, "\(code): \(error.message) (\(what))", statement: index, offset: nil)
                    return true
                }
                if !file.transactional, shape.needsNoTransaction {
                    var message = "runs outside a transaction block, so its locks cannot be read back from pg_locks"
                    switch shape {
                    case .createIndex, .reindex:
                        message += "; CONCURRENTLY takes ShareUpdateExclusiveLock on the table (\(Self.blocks("ShareUpdateExclusiveLock")))"
                    default: break
                    }
                    file.add(LintRules.traceWeakLock, message, statement: index, offset: nil)
                }
                let now = try locks(connection)
                for (oid, modes) in now.sorted(by: { $0.key < $1.key }) {
                    guard let relation = existing[oid] else { continue }
                    let new = modes.subtracting(held[oid] ?? [])
                    guard let strongest = Self.modes.last(where: { new.contains($0) }) else { continue }
                    if let before = held[oid], let previous = Self.modes.last(where: { before.contains($0) }),
                        (Self.modes.firstIndex(of: previous) ?? 0) >= (Self.modes.firstIndex(of: strongest) ?? 0)
                    {
                        continue
                    }
                    let kind = relation.kind == "i" || relation.kind == "I" ? "index" : "table"
                    let until = file.transactional ? "held until the file's transaction commits" : "held while the statement runs"
                    file.add(
                        Self.isWeak(strongest) ? LintRules.traceWeakLock : LintRules.traceLock,
                        "\(strongest) on \(kind) \(relation.name): \(Self.blocks(strongest)); \(until)", statement: index, offset: nil)
                }
                if file.transactional {
                    for (oid, modes) in now { held[oid, default: []].formUnion(modes) }
                }
                let after = try relations(connection)
                for (oid, relation) in after.sorted(by: { $0.key < $1.key }) {
                    guard existing[oid] != nil, let before = current[oid], before.relfilenode != relation.relfilenode else { continue }
                    let kind = relation.kind == "i" || relation.kind == "I" ? "index" : "table"
                    file.add(LintRules.traceRewrite, "\(kind) \(relation.name) rewritten (relfilenode \(before.relfilenode) → \(relation.relfilenode))", statement: index, offset: nil)
                }
                current = after
                if wrap { _ = try connection.executeScript("COMMIT") }
            }
            if file.transactional {
                do {
                    _ = try connection.executeScript("COMMIT")
                } catch let error as PQError where error.kind != .connection && !file.statements.isEmpty {
                    let last = file.statements.count - 1
                    // A deferred constraint fails at commit: name the last statement.
                    if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") }
                    file.add(LintRules.traceError, "\(error.sqlState?.rawValue ?? "?????"): \(error.message) (at commit; the file's transaction is rolled back)", statement: last, offset: nil)
                    return true
                }
            }
            return false
        } catch let error as PQError {
            if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") }
            throw PGMigrateError.from(error, while: "tracing \(file.source.path)")
        }
    }
}
