import Foundation
import PGMigrateKit
import SchemaModel
import XCTest

/// `generate --check --replay`: replaying sql/ through the migrator must give
/// exactly the model.
final class ReplayCheckTests: XCTestCase {
    private func copyOfSQLDirectory() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("pgm-replay-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: TestServer.repositoryRoot.appendingPathComponent("sql"), to: copy)
        addTeardownBlock { try? FileManager.default.removeItem(at: copy) }
        return copy
    }

    private func leftoverTemporaryDatabases() throws -> Int {
        try TestServer.admin().execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'pgmigrate_replay_%' OR datname LIKE 'pgmigrate_shadow_%'"
        ).scalar(Int.self)
    }

    func testReplayingTheCommittedMigrationsGivesTheModel() throws {
        let directory = try copyOfSQLDirectory()
        let generator = Generator(catalog: CallFeedbackSchema.catalog(), directory: directory)
        XCTAssertNoThrow(try generator.checkReplay(on: try TestServer.settings(), schema: "public"))
        XCTAssertEqual(try leftoverTemporaryDatabases(), 0)
    }

    func testAHandWrittenMigrationThatDisagreesWithTheModelIsCaught() throws {
        let directory = try copyOfSQLDirectory()
        try Data("ALTER TABLE public.call_sessions ADD COLUMN note text;\nDROP INDEX public.idx_call_sessions_created_at;\n".utf8)
            .write(to: directory.appendingPathComponent("9000_hand_written.sql"))  // after every committed file
        let generator = Generator(catalog: CallFeedbackSchema.catalog(), directory: directory)
        // The text check only looks at the generated 0001, unchanged; it
        // equals the model only while no later migration has changed it.
        let committed = try FileManager.default.contentsOfDirectory(atPath: TestServer.repositoryRoot.appendingPathComponent("sql").path)
        if committed.filter({ $0.hasSuffix(".sql") }) == ["0001_initial_schema.sql"] {
            XCTAssertNoThrow(try generator.check())
        }
        XCTAssertThrowsError(try generator.checkReplay(on: try TestServer.settings(), schema: "public")) { error in
            let error = error as? PGMigrateError
            XCTAssertEqual(error?.status, .differences)
            XCTAssertTrue(error?.message.contains("note") ?? false, "\(String(describing: error))")
            XCTAssertTrue(error?.message.contains("idx_call_sessions_created_at") ?? false, "\(String(describing: error))")
        }
        XCTAssertEqual(try leftoverTemporaryDatabases(), 0)

        let cli = try pgmigrate(
            ["generate", "--check", "--replay", "--dir", directory.path],
            environment: ["DATABASE_URL": try TestServer.settings().conninfo ?? ""])
        XCTAssertEqual(cli.status, ExitStatus.differences.rawValue, cli.stderr)
        XCTAssertEqual(cli.stderr.split(separator: "\n").count, 1, cli.stderr)
    }
}
