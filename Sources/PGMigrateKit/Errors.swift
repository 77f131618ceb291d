import PQClient

/// Process exit statuses, documented in `pgmigrate --help` and the README.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Success; for checks: no differences.
    case ok = 0
    /// A check found differences (drift, `generate --check`).
    case differences = 1
    /// Could not connect to the server.
    case connection = 3
    /// A statement failed on the server; its transaction was rolled back.
    case database = 4
    /// Refused to act on the current state (edited applied migration, dirty
    /// ledger, lock not acquired in time, missing down part, purge or erase
    /// on a database without the schema).
    case refused = 5
    /// Bad command-line usage (swift-argument-parser's EX_USAGE).
    case usage = 64
    /// Bad input data: an unreadable or malformed migration file, an invalid model.
    case dataError = 65
    /// A bug in pgmigrate.
    case software = 70

    public var summary: String {
        switch self {
        case .ok: return "success (for checks: no differences)"
        case .differences: return "differences found (drift, generate --check)"
        case .connection: return "cannot connect to the server"
        case .database: return "a statement failed on the server (rolled back)"
        case .refused: return "refused: edited applied file, dirty ledger, lock timeout, no down part, not migrated"
        case .usage: return "bad command-line usage or a malformed connection string"
        case .dataError: return "bad input: malformed migration file or invalid model"
        case .software: return "internal error (a bug: please report it)"
        }
    }
}

/// An error pgmigrate reports to a person: one line, a matchable reason
/// and the exit status the reason maps to.
///
///     catch let error as PGMigrateError where error.reason == .dirtyLedger { … }
public struct PGMigrateError: Error, CustomStringConvertible, Sendable {
    /// Why pgmigrate stopped, for code and tests to match on (the message is
    /// for people and may change). Each reason has one exit status:
    /// `exitStatus` is the one table the CLI uses.
    public enum Reason: String, Sendable, Hashable, CaseIterable {
        /// A check found differences (drift, `generate --check`, replay check).
        case differencesFound
        /// The server could not be reached, or the connection was lost.
        case connectionFailed
        /// A statement failed on the server; its transaction was rolled back.
        case statementFailed
        /// lock_timeout was reached on every attempt of a migration statement.
        case lockTimeout
        /// Another pgmigrate held the migration lock past `--lock-wait`.
        case migrationLockBusy
        /// A migration in the ledger is dirty (a no-transaction file failed partway).
        case dirtyLedger
        /// An applied migration's file was edited (its checksum differs).
        case editedFile
        /// An applied migration's file was renamed.
        case renamedFile
        /// An applied migration has no file in the directory.
        case missingFile
        /// A pending file is older than the newest applied migration.
        case outOfOrder
        /// `baseline` on a ledger that already has rows.
        case ledgerNotEmpty
        /// `rollback` or `repair` on a migration in the wrong state
        /// (nothing applied, baselined, not dirty, not in the ledger).
        case wrongLedgerState
        /// `rollback` of a file without a `-- pgmigrate: down` part.
        case noDownPart
        /// The database lacks the model's objects: apply the migrations first.
        case notMigrated
        /// Any other refusal to act on the current state.
        case refusal
        /// Bad command-line usage (an unknown `--target`, a bad option value).
        case badUsage
        /// A malformed connection string.
        case badConnectionString
        /// A malformed or unreadable migration file or directory.
        case malformedMigration
        /// The model fails validation.
        case invalidModel
        /// Other bad input data (a wrong phone key, an unwritable output file).
        case badInput
        /// A bug in pgmigrate.
        case internalError

        /// The one reason → exit status table.
        public var exitStatus: ExitStatus {
            switch self {
            case .differencesFound: return .differences
            case .connectionFailed: return .connection
            case .statementFailed, .lockTimeout: return .database
            case .migrationLockBusy, .dirtyLedger, .editedFile, .renamedFile, .missingFile, .outOfOrder,
                .ledgerNotEmpty, .wrongLedgerState, .noDownPart, .notMigrated, .refusal:
                return .refused
            case .badUsage, .badConnectionString: return .usage
            case .malformedMigration, .invalidModel, .badInput: return .dataError
            case .internalError: return .software
            }
        }

        /// The general reason for an exit status, for errors made with the
        /// status-only initialiser.
        public static func general(for status: ExitStatus) -> Reason {
            switch status {
            case .differences: return .differencesFound
            case .connection: return .connectionFailed
            case .database: return .statementFailed
            case .refused: return .refusal
            case .usage: return .badUsage
            case .dataError: return .badInput
            case .ok, .software: return .internalError
            }
        }
    }

    public let status: ExitStatus
    public let reason: Reason
    public let message: String
    /// The server error behind it, when there is one.
    public let underlying: PQError?

    /// An error with a reason; the exit status is the reason's.
    public init(_ reason: Reason, _ message: String, underlying: PQError? = nil) {
        self.reason = reason
        self.status = reason.exitStatus
        self.message = message
        self.underlying = underlying
    }

    /// An error with only an exit status; its reason is the status's general one.
    public init(_ status: ExitStatus, _ message: String, underlying: PQError? = nil) {
        self.reason = Reason.general(for: status)
        self.status = status
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    /// Wraps an error from calling one of the model's objects: when it is not
    /// there (no such function, table or schema), the database has not been
    /// migrated, and saying so beats PostgreSQL's "might need to add explicit
    /// type casts" hint.
    public static func from(_ error: PQError, while doing: String, using object: String) -> PGMigrateError {
        switch error.sqlState {
        case .undefinedFunction?, .undefinedTable?, .invalidSchemaName?:
            return PGMigrateError(
                .notMigrated, "\(doing): \(object) is not in this database (\(error.message)); apply the migrations first: pgmigrate migrate",
                underlying: error)
        default:
            return from(error, while: doing)
        }
    }

    /// Wraps a libpq/server error, naming what was being done.
    public static func from(_ error: PQError, while doing: String) -> PGMigrateError {
        let reason: Reason = error.kind == .connection ? .connectionFailed : .statementFailed
        return PGMigrateError(reason, "\(doing): \(error)", underlying: error)
    }
}
