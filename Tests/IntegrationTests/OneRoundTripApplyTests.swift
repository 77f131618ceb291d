import Foundation
import PGMigrateKit
import PQClient
import XCTest

/// A transactional migration is sent as one script (reset, BEGIN, statements,
/// ledger row, COMMIT). These are the cases where that script could differ
/// from running the statements one by one.
final class OneRoundTripApplyTests: XCTestCase {
    private func directory(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgm-one-rt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        return dir
    }

    func testSearchPathChangesTrailingCommentsAndQuotesDoNotBreakTheLedgerRow() throws {
        let db = try makeDatabase()
        let dir = try directory([
            "0001_path.sql": "CREATE SCHEMA elsewhere;\nSET search_path = elsewhere;\nCREATE TABLE t (id int); -- a trailing comment, no newline",
            "0002_quotes.sql": "SET standard_conforming_strings = off;\nCREATE TABLE public.q (v text DEFAULT 'it''s');\nSELECT 1 -- ends in a comment",
            "0003_next.sql": "CREATE TABLE public.n (id int);\n",
        ])
        let report = try Migrator(settings: db.settings, directory: dir).migrate()
        XCTAssertEqual(report.applied.map(\.version), [1, 2, 3])
        let connection = try db.connect()
        XCTAssertTrue(try connection.execute("SELECT to_regclass('elsewhere.t') IS NOT NULL").scalar(Bool.self))
        let rows = try Ledger.entries(connection)
        XCTAssertEqual(rows.map(\.name), ["path", "quotes", "next"])
        XCTAssertEqual(rows.map(\.checksum), try MigrationFile.load(directory: dir).map(\.checksum))
        XCTAssertTrue(rows.allSatisfy { $0.state == .applied && $0.executionMs >= 0 && $0.pgmigrateVersion == PGMigrateVersion.current })
        // One file's SET did not leak into the next (RESET ALL ran first).
        XCTAssertTrue(try connection.execute("SELECT to_regclass('public.n') IS NOT NULL").scalar(Bool.self))
    }

    func testAFailingFileIsRolledBackAndNamedExactlyAsBefore() throws {
        let db = try makeDatabase()
        let dir = try directory([
            "0001_ok.sql": "CREATE TABLE a (id int);\n",
            "0002_bad.sql": "CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n\nINSERT INTO b VALUES ('x');\n",
        ])
        XCTAssertThrowsError(try Migrator(settings: db.settings, directory: dir).migrate()) { error in
            guard let error = error as? PGMigrateError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.status, .database)
            XCTAssertTrue(error.message.contains("0002_bad.sql:4"), error.message)
            XCTAssertTrue(error.message.contains("22P02"), error.message)
        }
        let connection = try db.connect()
        XCTAssertEqual(try Ledger.entries(connection).map(\.version), [1])
        XCTAssertFalse(try connection.execute("SELECT to_regclass('public.b') IS NOT NULL").scalar(Bool.self))
    }
}
