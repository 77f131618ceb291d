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

/// An error pgmigrate reports to a person: one line and an exit status.
public struct PGMigrateError: Error, CustomStringConvertible, Sendable {
    public let status: ExitStatus
    public let message: String
    /// The server error behind it, when there is one.
    public let underlying: PQError?

    public init(_ status: ExitStatus, _ message: String, underlying: PQError? = nil) {
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
                .refused, "\(doing): \(object) is not in this database (\(error.message)); apply the migrations first: pgmigrate migrate",
                underlying: error)
        default:
            return from(error, while: doing)
        }
    }

    /// Wraps a libpq/server error, naming what was being done.
    public static func from(_ error: PQError, while doing: String) -> PGMigrateError {
        let status: ExitStatus = error.kind == .connection ? .connection : .database
        return PGMigrateError(status, "\(doing): \(error)", underlying: error)
    }
}
