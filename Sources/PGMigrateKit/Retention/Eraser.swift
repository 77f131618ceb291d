import PQClient
import SchemaModel

/// GDPR Article 17 erasure through the model's generated erasure function
/// (an `Erasure` value), in one transaction.
public struct Eraser {
    public struct Report: Codable, Sendable, Equatable {
        public let sessions: Int
        public let responses: Int
        public let events: Int
        public let archivedEvents: Int
        public let providerLogs: Int
        public let dryRun: Bool
        public var nothingToDo: Bool { sessions == 0 }
    }

    /// Environment variable holding the phone encryption key.
    public static let keyEnvironmentVariable = "PGMIGRATE_PHONE_ENCRYPTION_KEY"

    public let settings: ConnectionSettings
    public let erasure: Erasure

    public init(settings: ConnectionSettings, erasure: Erasure) {
        self.settings = settings
        self.erasure = erasure
    }

    /// Erases (or, with `dryRun`, counts and rolls back). The key, when
    /// given, is sent as a parameter and set for this transaction only; the
    /// phone number is never printed.
    public func erase(phone: String, key: String?, dryRun: Bool) throws -> Report {
        let connection = try settings.connect(applicationName: "pgmigrate erase")
        do {
            try connection.executeScript("BEGIN")
            defer { if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") } }
            if let key, !key.isEmpty {
                try connection.execute("SELECT pg_catalog.set_config($1, $2, true)", [erasure.keySetting, key])
            }
            let row = try connection.execute(
                "SELECT sessions, responses, events, archived_events, provider_logs FROM \(erasure.functionName.sql)($1)",
                [phone]
            ).first
            guard let row else { throw PGMigrateError(.software, "\(erasure.functionName.name) returned no row") }
            let report = Report(
                sessions: try row.decode("sessions"), responses: try row.decode("responses"),
                events: try row.decode("events"), archivedEvents: try row.decode("archived_events"),
                providerLogs: try row.decode("provider_logs"), dryRun: dryRun)
            try connection.executeScript(dryRun ? "ROLLBACK" : "COMMIT")
            return report
        } catch let error as PQError {
            switch error.sqlState {
            case .checkViolation?:
                throw PGMigrateError(.dataError, "erase: \(error.message)", underlying: error)
            case .invalidParameterValue?:
                throw PGMigrateError(
                    .usage,
                    "erase: \(Self.keyEnvironmentVariable) (or \(erasure.keySetting)) is not the key the phone numbers were stored with; nothing erased",
                    underlying: error)
            case SQLState("55000")?:
                throw PGMigrateError(
                    .usage,
                    "erase: no phone encryption key: set \(Self.keyEnvironmentVariable) (or \(erasure.keySetting) for the role)",
                    underlying: error)
            default:
                throw PGMigrateError.from(error, while: "erase", using: erasure.functionName.description)
            }
        }
    }
}
