import Foundation
import SchemaModel
import PQClient

/// Tuning for `Migrator`. Times are in seconds.
public struct MigratorOptions: Sendable, Hashable {
    /// `SET lock_timeout` for every migration statement.
    public var lockTimeout: Double = 5
    /// How many times a migration (or, in a no-transaction file, a statement)
    /// that hit `lock_timeout` (SQLSTATE 55P03) is retried.
    public var lockRetries: Int = 3
    /// The first pause before a lock retry; doubled each time.
    public var retryBackoff: Double = 1
    /// `SET statement_timeout`; 0 (the default) means none.
    public var statementTimeout: Double = 0
    /// How long to wait for another migrator's lock before giving up (exit 5).
    public var lockWait: Double = 60
    /// Warn instead of refusing when an applied migration's file is missing.
    public var allowMissingFiles = false
    /// Apply pending files older than the newest applied one instead of refusing.
    public var allowOutOfOrder = false

    public init() {}
}

/// An index left invalid (`pg_index.indisvalid = false`), typically by a
/// failed `CREATE INDEX CONCURRENTLY`.
public struct InvalidIndex: Codable, Sendable, Hashable {
    public let schema: String
    public let name: String
    public let table: String
    public var qualifiedName: String { "\(schema).\(name)" }
}

/// What the migrator reports while it works (the CLI prints these to stderr).
public enum MigrationEvent: Sendable {
    case waitingForLock(holderPID: Int32?, wait: Double)
    case invalidIndexFound(InvalidIndex)
    case droppingInvalidIndex(InvalidIndex, file: String)
    case missingFile(LedgerEntry)
    case lockTimeoutRetry(file: String, line: Int, attempt: Int, of: Int, delay: Double)
    case notice(PQNotice, file: String?)
    case applied(AppliedMigration)
    case rolledBack(AppliedMigration)

    /// One line for a person.
    public var message: String {
        switch self {
        case .waitingForLock(let pid, let wait):
            let who = pid.map { " (held by backend PID \($0))" } ?? ""
            return "waiting for the migration lock\(who), up to \(AdvisoryLock.seconds(wait))"
        case .invalidIndexFound(let index):
            return "warning: invalid index \(index.qualifiedName) on \(index.table) (indisvalid = false, left by a failed concurrent build?)"
        case .droppingInvalidIndex(let index, let file):
            return "\(file): dropping invalid index \(index.qualifiedName) left by an earlier failed build before rebuilding it"
        case .missingFile(let entry):
            return "warning: applied migration \(entry.identifier) has no file any more"
        case .lockTimeoutRetry(let file, let line, let attempt, let of, let delay):
            return "\(file):\(line): lock_timeout hit; rolled back, retry \(attempt) of \(of) in \(AdvisoryLock.seconds(delay))"
        case .notice(let notice, let file):
            return (file.map { "\($0): " } ?? "") + "\(notice.severity): \(notice.message)"
                + (notice.hint.map { " (hint: \($0))" } ?? "")
        case .applied(let migration):
            return "applied \(migration.identifier) (\(migration.executionMs) ms)"
        case .rolledBack(let migration):
            return "rolled back \(migration.identifier) (\(migration.executionMs) ms)"
        }
    }
}

public struct AppliedMigration: Codable, Sendable, Hashable {
    public let version: Int64
    public let name: String
    public let file: String
    public let transactional: Bool
    public let executionMs: Int64
    public var identifier: String { MigrationFileName.identifier(version: version, name: name) }
}

/// The result of `migrate`.
public struct MigrateReport: Codable, Sendable, Hashable {
    public let applied: [AppliedMigration]
    /// The highest applied (or baselined) version afterwards.
    public let currentVersion: Int64?
    /// Pending migrations left (above `--target`).
    public let pending: Int
    public let invalidIndexes: [InvalidIndex]
}

/// One migration in `status`.
public struct MigrationStatus: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable { case applied, baselined, dirty, pending }
    public enum Checksum: String, Codable, Sendable {
        /// The file matches the ledger.
        case ok
        /// The file was edited after it was applied.
        case changed
        /// The ledger has it, the directory does not.
        case missingFile = "missing_file"
        /// Not applied yet.
        case none
    }
    public let version: Int64
    public let name: String
    public let file: String?
    public let state: State
    public let checksum: Checksum
    public let transactional: Bool?
    public let hasDown: Bool?
    public let appliedAt: Date?
    public let appliedBy: String?
    public let executionMs: Int64?
    public let failure: String?
}

public struct StatusReport: Codable, Sendable, Hashable {
    public let database: String
    public let ledgerExists: Bool
    public let currentVersion: Int64?
    public let migrations: [MigrationStatus]
    public let invalidIndexes: [InvalidIndex]
    public let pendingCount: Int
    public let dirtyCount: Int
    /// Applied files edited since, or missing.
    public let changedCount: Int

    public init(database: String, ledgerExists: Bool, currentVersion: Int64?, migrations: [MigrationStatus], invalidIndexes: [InvalidIndex]) {
        self.database = database
        self.ledgerExists = ledgerExists
        self.currentVersion = currentVersion
        self.migrations = migrations
        self.invalidIndexes = invalidIndexes
        pendingCount = migrations.filter { $0.state == .pending }.count
        dirtyCount = migrations.filter { $0.state == .dirty }.count
        changedCount = migrations.filter { $0.checksum == .changed || $0.checksum == .missingFile }.count
    }
}

/// What `migrate` would run.
public struct MigrationPlan: Codable, Sendable, Hashable {
    public struct Step: Codable, Sendable, Hashable {
        public struct Statement: Codable, Sendable, Hashable {
            public let line: Int
            public let sql: String
        }
        public let version: Int64
        public let name: String
        public let file: String
        public let transactional: Bool
        public let statements: [Statement]
    }
    public let currentVersion: Int64?
    public let target: Int64?
    public let steps: [Step]

    /// The SQL in order, each file under a header comment.
    public var sql: String {
        steps.map { step in
            let mode = step.transactional ? "in one transaction" : "no transaction: statement by statement"
            var text = "-- \(step.file) (version \(step.version), \(mode))\n"
            for statement in step.statements { text += statement.sql + ";\n" }
            return text
        }.joined(separator: "\n")
    }
}

public enum RepairAction: String, Sendable, Codable {
    /// A dirty migration was finished by hand: record it as applied.
    case markApplied = "mark-applied"
    /// A dirty migration was undone by hand (or is safe to rerun): delete its row
    /// so the next `migrate` runs the whole file again.
    case forget
    /// An applied file was edited on purpose: store its new checksum.
    case acceptChecksum = "accept-checksum"
}
