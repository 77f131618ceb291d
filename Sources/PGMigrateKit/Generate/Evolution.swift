import Foundation
import PQClient
import SchemaModel

/// `pgmigrate generate` after the first migration: plans the next
/// migration file(s) from the difference between what `sql/` gives (every
/// file replayed through the migrator into a scratch database) and what the
/// model gives (rendered into a second scratch database, then read back the
/// way drift reads it), and proves them before anything is written: the new
/// files are applied through the migrator on top of the replay, and the
/// result must have no difference left with the model.
public struct SchemaEvolution: Sendable {
    public var catalog: Catalog
    public var schema: String
    public var directory: URL
    public var settings: ConnectionSettings
    public var allowedHazards: Set<Hazard>
    /// The migration name, `NNNN_<name>.sql` (a phase may add a suffix).
    public var name: String
    /// For tests only: changes the plan before it is proven, to show that a
    /// wrong plan is caught (exit 70) and nothing is written.
    public var tamper: (@Sendable (SchemaPlan) -> SchemaPlan)?

    public init(
        catalog: Catalog, schema: String, directory: URL, settings: ConnectionSettings,
        allowedHazards: Set<Hazard> = [], name: String = "schema_change"
    ) {
        self.catalog = catalog
        self.schema = schema
        self.directory = directory
        self.settings = settings
        self.allowedHazards = allowedHazards
        self.name = name
    }

    /// What `generate` found and planned.
    public struct Outcome: Sendable {
        /// The typed changes from sql/ to the model (after declared renames).
        public var changes: [CatalogChange]
        public var plan: SchemaPlan
        /// The files to write, already proven; empty when sql/ gives the model.
        public var files: [GeneratedMigration]
        public var timings: [String: Double]
    }

    /// Plans and proves; writes nothing (see `write`).
    public func run() throws -> Outcome {
        do {
            try catalog.validate()
        } catch {
            throw PGMigrateError(.dataError, error.description)
        }
        guard Self.isValidName(name) else {
            throw PGMigrateError(.usage, "--name \(name): use letters, digits, _ or - (it becomes NNNN_\(name).sql)")
        }
        let existing = try MigrationFile.load(directory: directory)
        let nextVersion = Int((existing.map(\.version).max() ?? 0) + 1)
        var timings: [String: Double] = [:]
        let clock = ContinuousClock()
        func measure<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
            let start = clock.now
            defer { timings[label, default: 0] += milliseconds(clock.now - start) }
            return try body()
        }

        let scope = InspectionScope.managed(by: catalog, schema: schema)
        let admin = try settings.connect(applicationName: "pgmigrate generate")
        var desired = try measure("model") { try withScratchDatabase("model", admin: admin) { connection in
            // In a transaction rolled back after reading, as drift's shadow:
            // roles the model creates do not outlive the check.
            defer { _ = try? connection.executeScript("ROLLBACK") }
            do {
                _ = try connection.executeScript("BEGIN")
                _ = try connection.executeScript(GeneratedMigration.initial(catalog).contents)
            } catch let error as PQError {
                throw PGMigrateError.from(error, while: "rendering the model into a scratch database")
            }
            return try Inspector(connection: connection).inspect(scope)
        } }
        desired.roles = catalog.roles

        return try withScratchDatabase("replay", admin: admin) { replay in
            let replaySettings = settings.withDatabase(replay.database)
            _ = try measure("replay") { try Migrator(settings: replaySettings, directory: directory).migrate() }
            let planner = Planner(model: catalog, allowedHazards: allowedHazards)
            var actual = try measure("inspect") { try Inspector(connection: replay).inspect(scope) }
            let renames = planner.renames(actual: actual)
            if !renames.isEmpty {
                // Read the replay as it is after the renames, then undo them:
                // the proof applies them again from the written file.
                actual = try measure("inspect") {
                    do {
                        _ = try replay.executeScript("BEGIN")
                        defer { _ = try? replay.executeScript("ROLLBACK") }
                        for statement in renames.flatMap(\.statements) { _ = try replay.executeScript(statement.sql) }
                        return try Inspector(connection: replay).inspect(scope)
                    } catch let error as PQError {
                        throw PGMigrateError.from(error, while: "applying the declared renames to the replay")
                    }
                }
            }
            let differ = SchemaDiffer()
            let changes = differ.changes(desired: desired, actual: actual)
            var plan: SchemaPlan
            do {
                plan = try planner.plan(changes, renames: renames, actual: actual)
            } catch let refusal as PlanRefusal {
                throw PGMigrateError(.dataError, "refused: \(refusal.message)")
            }
            if let tamper { plan = tamper(plan) }
            if changes.isEmpty && plan.isEmpty {
                return Outcome(changes: [], plan: plan, files: [], timings: timings)
            }
            if plan.isEmpty {
                // Only what generate never changes (extensions, roles): say so, not "a bug".
                throw PGMigrateError(
                    .dataError,
                    "refused: replaying \(directory.path) differs from the model only in what generate does not change ("
                        + changes.flatMap(\.differences).map(\.description).joined(separator: "; ")
                        + "): write that migration by hand (`pgmigrate new`)")
            }
            let files = plan.files(firstVersion: nextVersion, name: name)
            try measure("prove") { try prove(files, existing: existing, on: replaySettings, scope: scope, desired: desired) }
            return Outcome(changes: changes, plan: plan, files: files, timings: timings)
        }
    }

    /// Writes the files into the directory; never overwrites one.
    @discardableResult
    public func write(_ files: [GeneratedMigration]) throws -> [URL] {
        var written: [URL] = []
        for file in files {
            let url = directory.appendingPathComponent(file.fileName)
            guard !FileManager.default.fileExists(atPath: url.path) else {
                throw PGMigrateError(.refused, "\(url.path) exists: generate never overwrites a migration")
            }
            do {
                try Data(file.contents.utf8).write(to: url, options: .withoutOverwriting)
            } catch {
                throw PGMigrateError(.dataError, "cannot write \(url.path): \(error.localizedDescription)")
            }
            written.append(url)
        }
        return written
    }

    /// Applies the new files through the migrator on top of the replay and
    /// diffs again: anything left means the plan is wrong (a bug, exit 70).
    func prove(_ files: [GeneratedMigration], existing: [MigrationFile], on replay: ConnectionSettings, scope: InspectionScope, desired: Catalog) throws {
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("pgmigrate-generate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            for file in existing {
                try FileManager.default.copyItem(
                    at: directory.appendingPathComponent(file.fileName), to: staging.appendingPathComponent(file.fileName))
            }
            for file in files {
                try Data(file.contents.utf8).write(to: staging.appendingPathComponent(file.fileName))
            }
        } catch {
            throw PGMigrateError(.software, "cannot stage the generated files in \(staging.path): \(error.localizedDescription)")
        }
        do {
            _ = try Migrator(settings: replay, directory: staging).migrate()
        } catch let error as PGMigrateError {
            throw PGMigrateError(
                .software,
                "the generated migration fails on the replay of \(directory.path), nothing written (a bug in pgmigrate generate: please report it): \(error.message)")
        }
        let connection = try replay.connect(applicationName: "pgmigrate generate proof")
        var after = try Inspector(connection: connection).inspect(scope)
        after.roles = desired.roles.filter { role in after.roles.contains { $0.name == role.name } }
        let left = SchemaDiffer().diff(desired: desired, actual: after)
        guard left.isEmpty else {
            throw PGMigrateError(
                .software,
                "the generated migration does not give the model, nothing written (a bug in pgmigrate generate: please report it); left after applying it: "
                    + left.map(\.description).joined(separator: "; "))
        }
    }

    /// Runs `body` on a connection to a new scratch database, dropped afterwards (also on error).
    func withScratchDatabase<T>(_ purpose: String, admin: Connection, _ body: (Connection) throws -> T) throws -> T {
        let name = ShadowDatabase.randomName().replacingOccurrences(of: "shadow", with: purpose == "replay" ? "replay" : "shadow")
        do {
            _ = try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "creating the scratch database \(name)")
        }
        ActiveShadows.shared.register(name, on: settings)
        defer {
            _ = try? ShadowDatabase.drop(name, on: admin)
            ActiveShadows.shared.unregister(name)
        }
        let connection = try settings.withDatabase(name).connect(applicationName: "pgmigrate generate")
        return try body(connection)
    }

    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }
    }

    /// `pgmigrate new NAME`: an empty migration with the next version, for a
    /// hand-written (data) migration.
    public static func newFile(named name: String, in directory: URL) throws -> URL {
        guard isValidName(name) else {
            throw PGMigrateError(.usage, "migration name \(name): use letters, digits, _ or - (it becomes NNNN_\(name).sql)")
        }
        let existing = FileManager.default.fileExists(atPath: directory.path) ? try MigrationFile.load(directory: directory) : []
        let version = Int((existing.map(\.version).max() ?? 0) + 1)
        let file = GeneratedMigration.file(
            version: version, name: name,
            contents: """
                -- \(name): written by hand (`pgmigrate new`). Runs in one transaction with its ledger row.
                -- For batches that must commit as they go, put `-- pgmigrate: no-transaction` on the first line.

                """)
        let url = directory.appendingPathComponent(file.fileName)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(file.contents.utf8).write(to: url, options: .withoutOverwriting)
        } catch {
            throw PGMigrateError(.dataError, "cannot write \(url.path): \(error.localizedDescription)")
        }
        return url
    }
}

private func milliseconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
}
