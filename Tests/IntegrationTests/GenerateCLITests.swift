import Foundation
import PGMigrateKit
import XCTest

/// `pgmigrate generate` and `pgmigrate new` as a process. The CLI's model is
/// the shipped one, so a change is made on the other side: a hand-written
/// migration in a copy of sql/ that the model does not have.
final class GenerateCLITests: XCTestCase {
    private func copyOfSQL() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("pgm-gencli-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: TestServer.repositoryRoot.appendingPathComponent("sql"), to: copy)
        addTeardownBlock { try? FileManager.default.removeItem(at: copy) }
        return copy
    }

    private func run(_ arguments: [String]) throws -> ProcessResult {
        try pgmigrate(arguments, environment: ["DATABASE_URL": try TestServer.settings().conninfo ?? ""])
    }

    /// The migration files in a directory (not sql/citus/, the Citus history).
    private func files(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
    }

    /// The committed migrations: the tests add theirs after the last one.
    private var shipped: [String] {
        get throws { try files(TestServer.repositoryRoot.appendingPathComponent("sql")) }
    }

    /// "NNNN_name.sql" with the version `offset` after the last committed one.
    private func next(_ offset: Int, _ name: String) throws -> String {
        let last = try shipped.compactMap { Int($0.prefix(4)) }.max() ?? 0
        return String(format: "%04d", last + offset) + "_\(name).sql"
    }

    func testUnchangedModelWritesNothingAndSaysSo() throws {
        let directory = try copyOfSQL()
        let result = try run(["generate", "--dir", directory.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("nothing to generate"), result.stderr)
        XCTAssertEqual(try files(directory), try shipped)
        let check = try run(["generate", "--check", "--dir", directory.path])
        XCTAssertEqual(check.status, 0, check.stderr)
    }

    func testAColumnTheModelDoesNotHaveIsADropRefusedThenPlannedWithItsHazards() throws {
        let directory = try copyOfSQL()
        try Data("ALTER TABLE public.call_sessions ADD COLUMN note text;\n".utf8)
            .write(to: directory.appendingPathComponent(try next(1, "hand_written")))

        let check = try run(["generate", "--check", "--dir", directory.path])
        XCTAssertEqual(check.status, ExitStatus.differences.rawValue, check.stderr)
        XCTAssertTrue(check.stderr.contains("extra column public.call_sessions.note"), check.stderr)
        XCTAssertTrue(check.stderr.contains("run `pgmigrate generate`"), check.stderr)

        let refused = try run(["generate", "--dir", directory.path])
        XCTAssertEqual(refused.status, ExitStatus.dataError.rawValue, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("renamedFrom"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--allow-hazards data-loss"), refused.stderr)

        let dryRun = try run(["generate", "--dir", directory.path, "--dry-run", "--allow-hazards", "data-loss", "--name", "drop_note"])
        XCTAssertEqual(dryRun.status, 0, dryRun.stderr)
        XCTAssertTrue(dryRun.stdout.hasPrefix("-- file: \(try next(2, "drop_note"))\n"), dryRun.stdout)
        XCTAssertTrue(dryRun.stdout.contains("-- step 1: drop column public.call_sessions.note\n-- hazards: data-loss, access-exclusive-lock\n"), dryRun.stdout)
        XCTAssertTrue(dryRun.stdout.contains("\nALTER TABLE public.call_sessions DROP COLUMN note;\n"), dryRun.stdout)
        XCTAssertEqual(try files(directory), try shipped + [next(1, "hand_written")])

        let json = try run(["generate", "--dir", directory.path, "--json", "--allow-hazards", "data-loss", "--name", "drop_note"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(decoded?["hazards"] as? [String], ["data-loss", "access-exclusive-lock"])
        XCTAssertEqual(decoded?["written"] as? Bool, true)
        let steps = ((decoded?["files"] as? [[String: Any]])?.first?["steps"] as? [[String: Any]]) ?? []
        XCTAssertEqual(steps.first?["statements"] as? [String], ["ALTER TABLE public.call_sessions DROP COLUMN note"])
        XCTAssertEqual(try files(directory), try shipped + [next(1, "hand_written"), next(2, "drop_note")])

        let after = try run(["generate", "--check", "--dir", directory.path])
        XCTAssertEqual(after.status, 0, after.stderr)
    }

    func testJSONListsEachFileOfAPlanSplitPerTableWithItsOwnSteps() throws {
        let directory = try copyOfSQL()
        try Data("ALTER TABLE public.call_sessions ADD COLUMN note text;\nALTER TABLE public.question_configurations ADD COLUMN hint text;\n".utf8)
            .write(to: directory.appendingPathComponent(try next(1, "hand_written")))
        let json = try run(["generate", "--dir", directory.path, "--json", "--dry-run", "--allow-hazards", "data-loss", "--name", "drop"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let files = (decoded?["files"] as? [[String: Any]]) ?? []
        XCTAssertEqual(files.map { $0["name"] as? String }, [try next(2, "drop_call_sessions"), try next(3, "drop_question_configurations")], json.stdout)
        XCTAssertEqual(
            files.map { (($0["steps"] as? [[String: Any]]) ?? []).flatMap { ($0["statements"] as? [String]) ?? [] } },
            [["ALTER TABLE public.call_sessions DROP COLUMN note"], ["ALTER TABLE public.question_configurations DROP COLUMN hint"]])
    }

    func testADifferenceGenerateDoesNotChangeIsRefusedAsHandWork() throws {
        let directory = try copyOfSQL()
        try Data("CREATE EXTENSION IF NOT EXISTS citext;\n".utf8).write(to: directory.appendingPathComponent(try next(1, "hand_written")))
        let result = try run(["generate", "--dir", directory.path])
        XCTAssertEqual(result.status, ExitStatus.dataError.rawValue, result.stderr)
        XCTAssertTrue(result.stderr.contains("extra extension citext"), result.stderr)
        XCTAssertTrue(result.stderr.contains("pgmigrate new"), result.stderr)
        XCTAssertEqual(try files(directory), try shipped + [next(1, "hand_written")])
    }

    func testAnUnknownHazardIsAUsageError() throws {
        let result = try run(["generate", "--allow-hazards", "data-lost"])
        XCTAssertEqual(result.status, ExitStatus.usage.rawValue, result.stderr)
        XCTAssertTrue(result.stderr.contains("data-lost"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    func testNewCreatesTheNextEmptyMigration() throws {
        let directory = try copyOfSQL()
        let result = try run(["new", "backfill_notes", "--dir", directory.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "\(directory.path)/\(try next(1, "backfill_notes"))\n")
        XCTAssertEqual(try files(directory), try shipped + [next(1, "backfill_notes")])
        // The empty file applies (and records its version) like any other.
        let database = try makeDatabase()
        let report = try Migrator(settings: database.settings, directory: directory).migrate()
        let versions = try (shipped + [next(1, "backfill_notes")]).compactMap { Int64($0.prefix(4)) }
        XCTAssertEqual(report.applied.map(\.version), versions)

        let bad = try run(["new", "no spaces", "--dir", directory.path])
        XCTAssertEqual(bad.status, ExitStatus.usage.rawValue, bad.stderr)
        XCTAssertEqual(try files(directory), try shipped + [next(1, "backfill_notes")])
    }
}
