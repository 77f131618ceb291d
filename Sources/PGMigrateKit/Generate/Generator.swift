import Foundation
import PQClient
import SchemaModel

/// Writes the model's migration into a directory, or checks that the
/// committed file still matches what the model renders.
public struct Generator: Sendable {
    public let catalog: Catalog
    public let directory: URL

    public init(catalog: Catalog, directory: URL) {
        self.catalog = catalog
        self.directory = directory
    }

    /// Validates the model and renders its migration (exit 65 on an invalid model).
    public func render() throws -> GeneratedMigration {
        do {
            try catalog.validate()
        } catch {
            throw PGMigrateError(.invalidModel, error.description)
        }
        return GeneratedMigration.initial(catalog)
    }

    public enum Outcome: Equatable, Sendable {
        case unchanged(String)
        case written(String)
    }

    /// Writes the file when its contents differ; returns what happened.
    @discardableResult
    public func write() throws -> Outcome {
        let migration = try render()
        let url = directory.appendingPathComponent(migration.fileName)
        if let existing = try? String(contentsOf: url, encoding: .utf8), CommittedFile.normalised(existing) == migration.contents {
            return .unchanged(url.path)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(migration.contents.utf8).write(to: url, options: .atomic)
        } catch {
            throw PGMigrateError(.dataError, "cannot write \(url.path): \(error.localizedDescription)")
        }
        return .written(url.path)
    }

    /// Throws (exit 1) naming the file when the committed migration differs
    /// from what the model renders, with the first differing line.
    public func check() throws {
        let migration = try render()
        let url = directory.appendingPathComponent(migration.fileName)
        guard let existing = try? String(contentsOf: url, encoding: .utf8) else {
            throw PGMigrateError(.differences, "\(url.path) is missing: run `pgmigrate generate` and commit the result")
        }
        guard let detail = CommittedFile.firstDifference(committed: existing, rendered: migration.contents) else { return }
        throw PGMigrateError(
            .differences,
            "\(url.path) differs from the model (\(detail)): run `pgmigrate generate` and commit the result")
    }

}

/// A committed file that must equal what the model renders (a migration,
/// the TypeScript module): one comparison rule for every `--check`.
public enum CommittedFile {
    /// The same line-ending rule as migration checksums (CRLF and CR become LF).
    public static func normalised(_ text: String) -> String {
        String(decoding: MigrationFile.normaliseLineEndings(Array(text.utf8)), as: UTF8.self)
    }

    /// nil when `committed` (line endings normalised) equals `rendered`;
    /// otherwise the first differing line, for a one-line error.
    public static func firstDifference(committed: String, rendered: String) -> String? {
        let committed = normalised(committed)
        guard committed != rendered else { return nil }
        let old = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let new = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        var line = 0
        while line < min(old.count, new.count), old[line] == new[line] { line += 1 }
        if line < min(old.count, new.count) {
            return "line \(line + 1): the file has `\(old[line])`, the model renders `\(new[line])`"
        }
        return "line \(line + 1): the file has \(old.count) lines, the model renders \(new.count)"
    }
}

extension Generator {
    /// The replay check behind `generate --check --replay`: every migration in
    /// the directory is applied by the migrator to a temporary database on
    /// the given server, which is then compared with the model by the drift
    /// engine (itself building the model in a shadow database). A hand-written
    /// migration that disagrees with the Swift model fails here, in CI, not in
    /// production. Both temporary databases are dropped, also on error.
    public func checkReplay(on settings: ConnectionSettings, schema: String) throws {
        let admin = try settings.connect(applicationName: "pgmigrate generate --check")
        let name = ShadowDatabase.randomName().replacingOccurrences(of: "shadow", with: "replay")
        do {
            try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "creating the replay database \(name)")
        }
        ActiveShadows.shared.register(name, on: settings)
        defer {
            _ = try? ShadowDatabase.drop(name, on: admin)
            ActiveShadows.shared.unregister(name)
        }
        let replay = settings.withDatabase(name)
        _ = try Migrator(settings: replay, directory: directory).migrate()
        // As a deployment runs it: migrate, then partition maintenance (the
        // time partitions depend on the date, so no migration makes them).
        let connection = try replay.connect(applicationName: "pgmigrate generate --check")
        try PartitionMaintainer(tables: catalog.tables).run(on: connection)
        let report = try DriftCheck(catalog: catalog, schema: schema, target: replay).run()
        guard report.hasDrift else { return }
        let shown = (report.changes.map { "\($0)" } + report.partitions.map(\.description)).joined(separator: "; ")
        throw PGMigrateError(
            .differences,
            "replaying \(directory.path) does not give the model (\(report.changes.count + report.partitions.count) differences): \(shown); run `pgmigrate generate` and commit the new file(s)")
    }
}
