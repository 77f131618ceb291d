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
        try handle.write(contentsOf: Data("DROP TABLE public.question_selection_logs;\n".utf8))
        try handle.close()
        let result = try pgmigrate(["generate", "--check", "--dir", directory.path])
        XCTAssertEqual(result.status, ExitStatus.differences.rawValue, result.stderr)
        if try FileManager.default.contentsOfDirectory(atPath: directory.path).filter({ $0.hasSuffix(".sql") }) == ["0001_initial_schema.sql"] {
            // 0001 alone: its text is compared with the model's rendering.
            XCTAssertTrue(result.stderr.contains("0001_initial_schema.sql"), result.stderr)
            XCTAssertTrue(result.stderr.contains("line "), result.stderr)
        } else {
            // Later files: the replay of them all is compared with the model.
            XCTAssertTrue(result.stderr.contains("missing table public.question_selection_logs"), result.stderr)
        }
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    func testUsageErrorsAreOneLineNamingTheProblemWithExit64() throws {
        let cases: [(arguments: [String], says: String, help: String)] = [
            (["bogus"], "'bogus'", "'pgmigrate --help'"),
            (["purge", "--bogus"], "'--bogus'", "'pgmigrate purge --help'"),
            (["purge", "--batch-size", "0"], "--batch-size must be positive", "'pgmigrate purge --help'"),
            (["migrate", "--target"], "--target", "'pgmigrate migrate --help'"),
            (["erase"], "--phone-stdin", "'pgmigrate erase --help'"),
        ]
        for (arguments, says, help) in cases {
            let result = try pgmigrate(arguments)
            XCTAssertEqual(result.status, ExitStatus.usage.rawValue, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(says), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(help), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
        }
        // --help and --version still print to stdout and exit 0.
        for arguments in [["--help"], ["purge", "--help"], ["--version"]] {
            let result = try pgmigrate(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stdout.isEmpty, "\(arguments)")
        }
    }
}
