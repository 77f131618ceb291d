import Foundation
import PGMigrateKit
import XCTest

final class MigrationFileTests: XCTestCase {
    /// sql/0001 is released: applied in the field, its checksum in ledgers.
    /// Its bytes never change, whatever the model becomes: pinned here by the
    /// checksum the migrator records (the model no longer renders it once
    /// later migrations exist, so this is what keeps it from being edited).
    func testReleasedInitialMigrationKeepsItsLedgerChecksum() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bytes = Array(try Data(contentsOf: root.appendingPathComponent("sql/0001_initial_schema.sql")))
        XCTAssertEqual(
            MigrationFile.checksum(of: bytes), "095658097447fe5ac3a146c4924dad5c225f4bf53c03f3f6eac28e86af12f427",
            "sql/0001_initial_schema.sql is released and must never be edited: ship a new migration instead")
    }

    private func file(_ name: String, _ text: String) throws -> MigrationFile {
        try MigrationFile(fileName: name, contents: Array(text.utf8))
    }

    private func assertDataError(_ body: @autoclosure () throws -> Any, contains: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let error = error as? PGMigrateError
            XCTAssertEqual(error?.status, .dataError, file: file, line: line)
            XCTAssertTrue(error?.message.contains(contains) ?? false, "\(String(describing: error))", file: file, line: line)
        }
    }

    func testFileNamesGiveNumericVersionsAndNames() throws {
        XCTAssertEqual(try MigrationFile.parseFileName("0001_initial_schema.sql")?.version, 1)
        XCTAssertEqual(try MigrationFile.parseFileName("20240102030405_add-users.sql")?.version, 20_240_102_030_405)
        XCTAssertEqual(try MigrationFile.parseFileName("0010_x.sql")?.name, "x")
        XCTAssertNil(try MigrationFile.parseFileName("README.md"))
        XCTAssertNil(try MigrationFile.parseFileName(".0001_hidden.sql"))
    }

    func testMalformedFileNamesAreRejectedByName() {
        for name in ["initial.sql", "0001.sql", "0001_.sql", "0001-initial.sql", "v1_initial.sql", "0001_a b.sql", "0001_x.down.sql", "99999999999999999999_big.sql"] {
            assertDataError(try MigrationFile.parseFileName(name) as Any, contains: name)
        }
    }

    func testChecksumIgnoresCRLFAndCRLineEndings() throws {
        let lf = try file("0001_a.sql", "CREATE TABLE a (id int);\nSELECT 1;\n")
        let crlf = try file("0001_a.sql", "CREATE TABLE a (id int);\r\nSELECT 1;\r\n")
        let cr = try file("0001_a.sql", "CREATE TABLE a (id int);\rSELECT 1;\r")
        XCTAssertEqual(lf.checksum, crlf.checksum)
        XCTAssertEqual(lf.checksum, cr.checksum)
        XCTAssertEqual(lf.checksum.count, 64)
        XCTAssertEqual(crlf.upStatements.map(\.line), [1, 2])
        let edited = try file("0001_a.sql", "CREATE TABLE a (id bigint);\nSELECT 1;\n")
        XCTAssertNotEqual(lf.checksum, edited.checksum)
        // A known vector: SHA-256 of "abc".
        XCTAssertEqual(MigrationFile.checksum(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testDownMarkerSplitsUpAndDownParts() throws {
        let migration = try file("0003_users.sql", "CREATE TABLE u (id int);\nCREATE INDEX ON u (id);\n-- pgmigrate: down\nDROP TABLE u;\n")
        XCTAssertEqual(migration.upStatements.map(\.text), ["CREATE TABLE u (id int)", "CREATE INDEX ON u (id)"])
        XCTAssertEqual(migration.downStatements?.map(\.text), ["DROP TABLE u"])
        XCTAssertEqual(migration.downStatements?.map(\.line), [4])
        XCTAssertTrue(migration.transactional)
        XCTAssertEqual(migration.identifier, "0003_users")
        XCTAssertNil(try file("0004_x.sql", "SELECT 1;").downStatements)
    }

    func testNoTransactionDirectiveMustBeInTheHeader() throws {
        let migration = try file("0002_idx.sql", "-- an index\n-- pgmigrate: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n")
        XCTAssertFalse(migration.transactional)
        assertDataError(try file("0002_idx.sql", "SELECT 1;\n-- pgmigrate: no-transaction\n"), contains: "0002_idx.sql:2")
        assertDataError(try file("0002_idx.sql", "-- pgmigrate: no-transactions\n"), contains: "unknown directive")
    }

    func testMalformedContentsAreRejectedWithFileAndLine() {
        assertDataError(try file("0005_x.sql", "SELECT 1;\n\nSELECT 'oops;\n"), contains: "0005_x.sql:3: unterminated string")
        assertDataError(try file("0005_x.sql", "CREATE TABLE a (id int)\n-- pgmigrate: down\nDROP TABLE a;\n"), contains: "not terminated")
        assertDataError(try file("0005_x.sql", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"), contains: "0005_x.sql:1: transaction control")
        assertDataError(try MigrationFile(fileName: "0005_x.sql", contents: [0x53, 0xFF, 0x3B]), contains: "UTF-8")
    }

    func testTransactionControlIsAllowedInNoTransactionFilesAndSavepointsEverywhere() throws {
        XCTAssertNoThrow(try file("0006_x.sql", "-- pgmigrate: no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;\n"))
        XCTAssertNoThrow(try file("0006_x.sql", "SAVEPOINT a;\nSELECT 1;\nROLLBACK TO SAVEPOINT a;\n"))
    }

    func testDirectoryLoadingOrdersNumericallyAndRejectsDuplicates() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgm-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in [("10_ten.sql", "SELECT 10;"), ("9_nine.sql", "SELECT 9;"), ("0100_hundred.sql", "SELECT 100;"), ("notes.txt", "x")] {
            try Data(text.utf8).write(to: dir.appendingPathComponent(name))
        }
        XCTAssertEqual(try MigrationFile.load(directory: dir).map(\.version), [9, 10, 100])
        try Data("SELECT 1;".utf8).write(to: dir.appendingPathComponent("0010_again.sql"))
        assertDataError(try MigrationFile.load(directory: dir), contains: "duplicate migration version 10")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("0010_again.sql"))
        try Data("SELECT 1;".utf8).write(to: dir.appendingPathComponent("11-bad.sql"))
        assertDataError(try MigrationFile.load(directory: dir), contains: "11-bad.sql")
    }
}
