import Foundation
import PQClient
import SchemaModel

/// Online key rotation of an `EncryptedHashedColumn` with a `Rotation`
/// (design/phone-key-rotation/README.md): begin (refused, nothing changed,
/// unless the old key is the recorded one), short batches that each
/// re-encrypt some values under the new key (`FOR UPDATE SKIP LOCKED`, sized
/// so a batch stays near `targetBatchMilliseconds`), then finish once no
/// value is left under the old key. Every statement is its own transaction;
/// a killed run is resumed by running again with the same two keys. Both
/// keys travel only in the connection's startup options.
public struct KeyRotator {
    public struct Report: Codable, Sendable, Equatable {
        /// Values re-encrypted by this run (with `dryRun`: to re-encrypt).
        public let rotated: Int
        public let batches: Int
        /// The longest batch, in milliseconds, as the client timed it.
        public let longestBatchMilliseconds: Double
        /// The key generations: from, to.
        public let retiringGeneration: Int
        public let currentGeneration: Int
        /// A run that continued an interrupted rotation.
        public let resumed: Bool
        public let dryRun: Bool
    }

    public let settings: ConnectionSettings
    public let column: EncryptedHashedColumn
    public let rotation: EncryptedHashedColumn.Rotation
    public var initialBatchSize = 20
    public var maximumBatchSize = 2000
    public var targetBatchMilliseconds = 40.0
    /// How often begin and finish retry when their lock wait times out.
    public var lockRetries = 50

    public init(settings: ConnectionSettings, column: EncryptedHashedColumn) throws {
        guard let rotation = column.rotation else {
            throw PGMigrateError(.usage, "rotate: \(column.table.name).\(column.column) has no key rotation in this model")
        }
        self.settings = settings
        self.column = column
        self.rotation = rotation
    }

    public func rotate(oldKey: String, newKey: String, dryRun: Bool, progress: (Int) -> Void = { _ in }) throws -> Report {
        let connection = try settings
            .adding(StartupSetting(column.keySetting, oldKey))
            .adding(StartupSetting(rotation.newKeySetting, newKey))
            .connect(applicationName: "pgmigrate rotate-phone-key")
        let table = column.table.sql
        let value = quoteIdentifierIfNeeded(column.column)
        let generation = quoteIdentifierIfNeeded(rotation.generationColumn)
        do {
            _ = try connection.executeScript("SET lock_timeout = '1s'")
            if dryRun {
                try connection.executeScript("BEGIN")
                defer { _ = try? connection.executeScript("ROLLBACK") }
                let begun = try beginRotation(connection)
                let left = try connection.execute(
                    "SELECT count(*) FROM \(table) WHERE \(value) IS NOT NULL AND \(generation) = $1", [begun.retiring]
                ).scalar(Int.self)
                return Report(
                    rotated: left, batches: 0, longestBatchMilliseconds: 0, retiringGeneration: begun.retiring,
                    currentGeneration: begun.current, resumed: begun.resumed, dryRun: true)
            }
            let begun = try retryingLockTimeouts { try beginRotation(connection) }
            var size = initialBatchSize
            var rotated = 0
            var batches = 0
            var longest = 0.0
            while true {
                let start = DispatchTime.now().uptimeNanoseconds
                let done = try connection.execute("SELECT \(rotation.batchFunction.sql)($1)", [size]).scalar(Int.self)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                batches += 1
                longest = max(longest, elapsed)
                rotated += done
                if done > 0 { progress(rotated) }
                // Keep each batch near the target: halve when slow, double when quick.
                if elapsed > targetBatchMilliseconds { size = max(1, size / 2) } else if elapsed < targetBatchMilliseconds / 2 { size = min(maximumBatchSize, size * 2) }
                if done == 0 {
                    let finished = try retryingLockTimeouts {
                        try connection.execute("SELECT \(rotation.finishFunction.sql)()").scalar(Bool.self)
                    }
                    if finished { break }
                    Thread.sleep(forTimeInterval: 0.05)  // rows held by writers: taken by a later batch
                }
            }
            return Report(
                rotated: rotated, batches: batches, longestBatchMilliseconds: (longest * 10).rounded() / 10,
                retiringGeneration: begun.retiring, currentGeneration: begun.current, resumed: begun.resumed, dryRun: false)
        } catch let error as PQError {
            switch error.sqlState {
            case .invalidParameterValue?:
                throw PGMigrateError(.usage, "rotate: \(error.message); nothing changed", underlying: error)
            case SQLState("55000")?:
                throw PGMigrateError(.usage, "rotate: \(error.message)", underlying: error)
            default:
                throw PGMigrateError.from(error, while: "rotate", using: rotation.batchFunction.description)
            }
        }
    }

    private func beginRotation(_ connection: Connection) throws -> (retiring: Int, current: Int, resumed: Bool) {
        guard let row = try connection.execute(
            "SELECT retiring_generation, current_generation, resumed FROM \(rotation.beginFunction.sql)()").first
        else { throw PGMigrateError(.software, "\(rotation.beginFunction.name) returned no row") }
        return (try row.decode("retiring_generation", as: Int.self), try row.decode("current_generation", as: Int.self),
                try row.decode("resumed", as: Bool.self))
    }

    private func retryingLockTimeouts<T>(_ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try body()
            } catch let error as PQError where error.sqlState == .lockNotAvailable && attempt < lockRetries {
                attempt += 1
            }
        }
    }
}
