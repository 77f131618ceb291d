import Foundation
import PGMigrateKit
import SchemaModel
import XCTest

final class GeneratorTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pgmigrate-generator-\(UUID().uuidString)", isDirectory: true)
        let created = try XCTUnwrap(directory)
        addTeardownBlock { try? FileManager.default.removeItem(at: created) }
    }

    private var file: URL { directory.appendingPathComponent("0001_initial_schema.sql") }

    private func generator(_ catalog: Catalog = CallFeedbackSchema.catalog()) -> Generator {
        Generator(catalog: catalog, directory: directory)
    }

    /// The model with one extra column on call_sessions.
    private var changedCatalog: Catalog {
        var catalog = CallFeedbackSchema.catalog()
        if let index = catalog.tables.firstIndex(where: { $0.name.name == "call_sessions" }) {
            catalog.tables[index].columns.append(Column("notes", .text, nullable: true))
        }
        return catalog
    }

    private func assertDifferences(
        _ generator: Generator, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try generator.check(), file: file, line: line) { error in
            guard let error = error as? PGMigrateError else {
                return XCTFail("expected PGMigrateError, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.status, .differences, error.message, file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.message.contains(fragment), "\(error.message) should mention \(fragment)", file: file, line: line)
            }
        }
    }

    func testWriteThenCheckPasses() throws {
        let outcome = try generator().write()
        XCTAssertEqual(outcome, .written(file.path))
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), GeneratedMigration.initial(CallFeedbackSchema.catalog()).contents)
        XCTAssertNoThrow(try generator().check())
    }

    func testWritingAgainLeavesAnUnchangedFileAlone() throws {
        try generator().write()
        XCTAssertEqual(try generator().write(), .unchanged(file.path))
    }

    func testWriteCreatesAMissingDirectory() throws {
        directory = directory.appendingPathComponent("nested/sql", isDirectory: true)
        XCTAssertEqual(try generator().write(), .written(file.path))
        XCTAssertNoThrow(try generator().check())
    }

    func testCheckAfterAnUnregeneratedModelChangeNamesTheFileAndTheLine() throws {
        try generator().write()
        assertDifferences(generator(changedCatalog), mentions: [file.path, "differs from the model", "line ", "notes"])
    }

    func testCheckNamesTheFirstDifferingLineNumber() throws {
        try generator().write()
        var lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        lines[9] = "-- edited by hand"
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        assertDifferences(generator(), mentions: [file.path, "line 10:", "-- edited by hand"])
    }

    func testCheckReportsALineAppendedByHand() throws {
        try generator().write()
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("SELECT 1;\n".utf8))
        try handle.close()
        assertDifferences(generator(), mentions: [file.path, "SELECT 1;"])
    }

    func testMissingFileIsReported() {
        assertDifferences(generator(), mentions: [file.path, "missing"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path), "check must not write")
    }

    func testCRLFCopyOfTheFilePassesCheck() throws {
        let contents = GeneratedMigration.initial(CallFeedbackSchema.catalog()).contents
        let crlf = contents.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertNotEqual(crlf, contents)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(crlf.utf8).write(to: file)
        XCTAssertNoThrow(try generator().check())
        XCTAssertEqual(try generator().write(), .unchanged(file.path))
    }

    func testInvalidModelIsADataErrorAndWritesNothing() {
        var catalog = CallFeedbackSchema.catalog()
        if let index = catalog.tables.firstIndex(where: { $0.name.name == "call_events" }) {
            catalog.tables[index].indexes = []
        }
        for action in [{ try self.generator(catalog).check() }, { try self.generator(catalog).write() }] {
            XCTAssertThrowsError(try action()) { error in
                let error = error as? PGMigrateError
                XCTAssertEqual(error?.status, .dataError, "\(String(describing: error))")
                XCTAssertTrue(error?.message.contains("call_events_call_session_id_fkey") ?? false, "\(String(describing: error))")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path))
    }

    func testRenderReturnsTheInitialMigration() throws {
        XCTAssertEqual(try generator().render(), GeneratedMigration.initial(CallFeedbackSchema.catalog()))
    }
}
