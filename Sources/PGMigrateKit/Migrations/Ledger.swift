import Foundation
import SchemaModel
import PQClient

/// One row of `pgmigrate.schema_migrations`.
public struct LedgerEntry: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable, Hashable {
        /// Ran completely and committed.
        case applied
        /// Recorded by `baseline` without running.
        case baselined
        /// A no-transaction migration that started but did not finish: the
        /// database may hold part of it. Blocks `migrate` until `repair`.
        case dirty
    }

    public let version: Int64
    public let name: String
    public let checksum: String
    public let state: State
    public let appliedAt: Date
    public let appliedBy: String
    public let executionMs: Int64
    public let pgmigrateVersion: String
    /// For dirty rows: the error that stopped it (or that it was interrupted).
    public let failure: String?

    public var identifier: String { MigrationFileName.identifier(version: version, name: name) }
}

/// The migration ledger: schema `pgmigrate`, table `schema_migrations`.
/// Everything here runs on the caller's connection (so a ledger row can be
/// written in the same transaction as its migration).
public enum Ledger {
    public static let schema = "pgmigrate"
    public static let table = "pgmigrate.schema_migrations"

    static let createSQL = """
        CREATE SCHEMA IF NOT EXISTS pgmigrate;
        CREATE TABLE IF NOT EXISTS pgmigrate.schema_migrations (
            version bigint PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            state text NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'baselined', 'dirty')),
            applied_at timestamptz NOT NULL DEFAULT now(),
            applied_by text NOT NULL DEFAULT current_user,
            execution_ms bigint NOT NULL DEFAULT 0,
            pgmigrate_version text NOT NULL,
            failure text
        );
        COMMENT ON TABLE pgmigrate.schema_migrations IS 'Versioned migrations applied by pgmigrate. Edit only through pgmigrate repair.';
        """

    /// Creates the schema and table when absent. Idempotent; callers hold the
    /// migration lock, and a concurrent creator outside it (a duplicate-object
    /// race on the catalog) is retried once.
    public static func ensure(_ connection: Connection) throws {
        if try exists(connection) { return }
        do {
            try connection.transaction { try $0.executeScript(createSQL) }
        } catch let error as PQError where error.sqlState == .uniqueViolation || error.sqlState == .duplicateObject || error.sqlState == SQLState(rawValue: "42P06") {
            try connection.transaction { try $0.executeScript(createSQL) }
        }
    }

    public static func exists(_ connection: Connection) throws -> Bool {
        try connection.execute("SELECT to_regclass('pgmigrate.schema_migrations') IS NOT NULL").scalar(Bool.self)
    }

    /// All rows by version; empty when the ledger does not exist.
    public static func entries(_ connection: Connection) throws -> [LedgerEntry] {
        guard try exists(connection) else { return [] }
        let result = try connection.execute("""
            SELECT version, name, checksum, state, applied_at, applied_by, execution_ms, pgmigrate_version, failure
            FROM pgmigrate.schema_migrations ORDER BY version
            """)
        return try result.rows.map { row in
            let stateText = try row.decode("state", as: String.self)
            guard let state = LedgerEntry.State(rawValue: stateText) else {
                throw PGMigrateError(.refused, "the ledger has an unknown state \(stateText) for version \(row["version"] ?? "?")")
            }
            return LedgerEntry(
                version: try row.decode("version", as: Int64.self),
                name: try row.decode("name", as: String.self),
                checksum: try row.decode("checksum", as: String.self),
                state: state,
                appliedAt: try row.decode("applied_at", as: Date.self),
                appliedBy: try row.decode("applied_by", as: String.self),
                executionMs: try row.decode("execution_ms", as: Int64.self),
                pgmigrateVersion: try row.decode("pgmigrate_version", as: String.self),
                failure: try row.decodeIfPresent("failure", as: String.self))
        }
    }

    static func insert(
        _ connection: Connection, _ file: MigrationFile, state: LedgerEntry.State, executionMs: Int64, failure: String? = nil
    ) throws {
        try connection.execute("""
            INSERT INTO pgmigrate.schema_migrations (version, name, checksum, state, execution_ms, pgmigrate_version, failure)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [file.version, file.name, file.checksum, state.rawValue, executionMs, PGMigrateVersion.current, failure])
    }

    static func markApplied(_ connection: Connection, version: Int64, checksum: String, executionMs: Int64?) throws {
        try connection.execute("""
            UPDATE pgmigrate.schema_migrations
            SET state = 'applied', failure = NULL, checksum = $2, execution_ms = coalesce($3, execution_ms),
                pgmigrate_version = $4
            WHERE version = $1
            """, [version, checksum, executionMs, PGMigrateVersion.current])
    }

    static func markDirty(_ connection: Connection, version: Int64, failure: String) throws {
        try connection.execute(
            "UPDATE pgmigrate.schema_migrations SET state = 'dirty', failure = $2 WHERE version = $1",
            [version, failure])
    }

    static func delete(_ connection: Connection, version: Int64) throws {
        try connection.execute("DELETE FROM pgmigrate.schema_migrations WHERE version = $1", [version])
    }

    static func updateChecksum(_ connection: Connection, version: Int64, checksum: String) throws {
        try connection.execute(
            "UPDATE pgmigrate.schema_migrations SET checksum = $2 WHERE version = $1", [version, checksum])
    }
}

extension Ledger {
    /// Records how long the migration's committed attempt took (in its transaction).
    static func setExecutionMs(_ connection: Connection, version: Int64, _ milliseconds: Int64) throws {
        try connection.execute(
            "UPDATE pgmigrate.schema_migrations SET execution_ms = $2 WHERE version = $1", [version, milliseconds])
    }
}
