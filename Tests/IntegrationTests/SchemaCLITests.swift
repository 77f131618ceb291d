import Foundation
import PGMigrateKit
import XCTest

/// `pgmigrate schema` and `pgmigrate generate --check` as a process.
final class SchemaCLITests: XCTestCase {
    private func temporaryCopyOfSQL() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pgmigrate-sql-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.copyItem(at: TestServer.repositoryRoot.appendingPathComponent("sql"), to: directory)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    func testSchemaPrintsTheDDLAndExitsZero() throws {
        let result = try pgmigrate(["schema"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("CREATE TABLE public.call_sessions ("), result.stdout)
        XCTAssertTrue(result.stdout.contains("CREATE TABLE IF NOT EXISTS public.businesses ("), result.stdout)
    }

    func testSchemaWithAnotherSchemaQualifiesTheTables() throws {
        let result = try pgmigrate(["schema", "--schema", "feedback"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("CREATE TABLE feedback.call_sessions ("), result.stdout)
        XCTAssertFalse(result.stdout.contains("public.call_sessions"), result.stdout)
    }

    func testGenerateCheckPassesOnACopyOfTheCommittedFiles() throws {
        let directory = try temporaryCopyOfSQL()
        let result = try pgmigrate(["generate", "--check", "--dir", directory.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
    }

    func testGenerateCheckFailsWithExit1NamingTheFileAfterALineIsAppended() throws {
        let directory = try temporaryCopyOfSQL()
        let file = directory.appendingPathComponent("0001_initial_schema.sql")
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("DROP TABLE public.call_events;\n".utf8))
        try handle.close()
        let result = try pgmigrate(["generate", "--check", "--dir", directory.path])
        XCTAssertEqual(result.status, ExitStatus.differences.rawValue, result.stderr)
        XCTAssertTrue(result.stderr.contains("0001_initial_schema.sql"), result.stderr)
        XCTAssertTrue(result.stderr.contains("line "), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }
}
