import Foundation
import PQClient
import SchemaModel

/// GDPR Article 17 erasure through the model's generated erasure function
/// (an `Erasure` value), in one transaction.
public struct Eraser {
    /// The rows changed per table, by the erasure's count names; in JSON one
    /// key per count (camelCase: `archived_events` is `archivedEvents`) and
    /// `dryRun`. `report.sessions` reads the count `sessions`.
    @dynamicMemberLookup
    public struct Report: Codable, Sendable, Equatable {
        /// Counts by camelCase name.
        public let counts: [String: Int]
        public let dryRun: Bool

        public init(counts: [String: Int], dryRun: Bool) {
            self.counts = counts
            self.dryRun = dryRun
        }

        /// Nothing matched: every count is zero.
        public var nothingToDo: Bool { counts.values.allSatisfy { $0 == 0 } }

        public subscript(dynamicMember name: String) -> Int? { counts[name] }

        /// `archived_events` → `archivedEvents`.
        public static func key(_ count: String) -> String {
            let parts = count.split(separator: "_")
            return (parts.first.map(String.init) ?? "") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        }

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            var counts: [String: Int] = [:]
            var dryRun = false
            for key in container.allKeys {
                if key.stringValue == "dryRun" {
                    dryRun = try container.decode(Bool.self, forKey: key)
                } else {
                    counts[key.stringValue] = try container.decode(Int.self, forKey: key)
                }
            }
            self.init(counts: counts, dryRun: dryRun)
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for (name, count) in counts { try container.encode(count, forKey: Key(stringValue: name)) }
            try container.encode(dryRun, forKey: Key(stringValue: "dryRun"))
        }
    }

    /// Environment variable holding the encryption key the erasure's lookup needs.
    public static let keyEnvironmentVariable = "PGMIGRATE_PHONE_ENCRYPTION_KEY"
    /// Environment variable holding the new key during a key rotation.
    public static let newKeyEnvironmentVariable = "PGMIGRATE_NEW_PHONE_ENCRYPTION_KEY"

    public let settings: ConnectionSettings
    public let erasure: Erasure

    public init(settings: ConnectionSettings, erasure: Erasure) {
        self.settings = settings
        self.erasure = erasure
    }

    /// Erases (or, with `dryRun`, counts and rolls back). The key, when
    /// given, travels only in the connection's startup packet (never as
    /// statement text or a bound parameter, which `log_statement` would
    /// log); the phone number is never printed.
    /// During a key rotation, `newKey` (sent in the erasure's new-key
    /// setting) lets the lookup find values under either key.
    public func erase(phone: String, key: String?, newKey: String? = nil, dryRun: Bool) throws -> Report {
        var settings = self.settings
        if let key, !key.isEmpty { settings = settings.adding(StartupSetting(erasure.keySetting, key)) }
        if let newKey, !newKey.isEmpty, let setting = erasure.newKeySetting {
            settings = settings.adding(StartupSetting(setting, newKey))
        }
        let connection = try settings.connect(applicationName: "pgmigrate erase")
        do {
            try connection.executeScript("BEGIN")
            defer { if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") } }
            let columns = erasure.counts.map(quoteIdentifierIfNeeded).joined(separator: ", ")
            let row = try connection.execute("SELECT \(columns) FROM \(erasure.functionName.sql)($1)", [phone]).first
            guard let row else { throw PGMigrateError(.software, "\(erasure.functionName.name) returned no row") }
            var counts: [String: Int] = [:]
            for name in erasure.counts { counts[Report.key(name)] = try row.decode(name, as: Int.self) }
            let report = Report(counts: counts, dryRun: dryRun)
            try connection.executeScript(dryRun ? "ROLLBACK" : "COMMIT")
            return report
        } catch let error as PQError {
            switch error.sqlState {
            case .checkViolation?:
                throw PGMigrateError(.dataError, "erase: \(error.message)", underlying: error)
            case .invalidParameterValue?:
                throw PGMigrateError(
                    .usage,
                    "erase: \(Self.keyEnvironmentVariable) is not the key the phone numbers were stored with; nothing erased",
                    underlying: error)
            case SQLState("55000")?:
                throw PGMigrateError(
                    .usage,
                    "erase: no phone encryption key: set \(Self.keyEnvironmentVariable)",
                    underlying: error)
            default:
                throw PGMigrateError.from(error, while: "erase", using: erasure.functionName.description)
            }
        }
    }
}
