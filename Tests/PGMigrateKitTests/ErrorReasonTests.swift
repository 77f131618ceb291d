import PGMigrateKit
import SchemaModel
import XCTest

/// The reason → exit status table, and reasons carried by refusals made
/// without a database.
final class ErrorReasonTests: XCTestCase {
    func testEveryReasonMapsToTheExitStatusTheReadmeDocuments() {
        let table = Dictionary(uniqueKeysWithValues: PGMigrateError.Reason.allCases.map { ($0, $0.exitStatus) })
        XCTAssertEqual(table[.dirtyLedger], .refused)
        XCTAssertEqual(table[.editedFile], .refused)
        XCTAssertEqual(table[.migrationLockBusy], .refused)
        XCTAssertEqual(table[.lockTimeout], .database)
        XCTAssertEqual(table[.statementFailed], .database)
        XCTAssertEqual(table[.connectionFailed], .connection)
        XCTAssertEqual(table[.badConnectionString], .usage)
        XCTAssertEqual(table[.malformedMigration], .dataError)
        XCTAssertEqual(table[.differencesFound], .differences)
        XCTAssertFalse(PGMigrateError.Reason.allCases.contains { $0.exitStatus == .ok })
    }

    func testTheStatusOnlyInitialiserKeepsItsStatusAndGetsTheGeneralReason() {
        for status in ExitStatus.allCases where status != .ok {
            let error = PGMigrateError(status, "x")
            XCTAssertEqual(error.status, status)
            XCTAssertEqual(error.reason.exitStatus, status)
        }
        let reasoned = PGMigrateError(.dirtyLedger, "dirty")
        XCTAssertEqual(reasoned.status, .refused)
        XCTAssertEqual(reasoned.reason, .dirtyLedger)
    }

    func testAMalformedFileNameIsAMalformedMigration() {
        XCTAssertThrowsError(try MigrationFile.parseFileName("v1_initial.sql")) { error in
            XCTAssertEqual((error as? PGMigrateError)?.reason, .malformedMigration)
        }
        XCTAssertThrowsError(try MigrationFile(fileName: "0001_a.sql", contents: Array("SELECT 'open".utf8))) { error in
            XCTAssertEqual((error as? PGMigrateError)?.reason, .malformedMigration)
        }
    }

    func testABadConnectionStringIsABadConnectionString() {
        XCTAssertThrowsError(try ConnectionSettings(conninfo: "postgresql://%zz", source: .flag).connect()) { error in
            XCTAssertEqual((error as? PGMigrateError)?.reason, .badConnectionString, "\(error)")
        }
    }

    /// One naming rule: what the generator writes, the migrator reads back.
    func testTheNamingRuleRoundTrips() {
        XCTAssertEqual(MigrationFileName.format(version: 1, name: "initial_schema"), "0001_initial_schema.sql")
        XCTAssertEqual(MigrationFileName.format(version: 12345, name: "x"), "12345_x.sql")
        XCTAssertEqual(MigrationFileName.parse("0001_initial_schema.sql"), .migration(version: 1, name: "initial_schema"))
        XCTAssertEqual(MigrationFileName.parse("notes.md"), .notMigration)
        XCTAssertEqual(MigrationFileName.parse(".0001_hidden.sql"), .notMigration)
        XCTAssertEqual(MigrationFileName.parse("0001_ä.sql"), .malformed(problem: MigrationFileName.expected))
        XCTAssertEqual(GeneratedMigration.initial(Catalog()).fileName, "0001_initial_schema.sql")
        for version in [Int64(1), 42, 9999, 10000] {
            let name = MigrationFileName.format(version: version, name: "n")
            XCTAssertEqual(MigrationFileName.parse(name), .migration(version: version, name: "n"))
        }
    }

    /// ASCII names are read byte by byte, others as Characters: both readings
    /// give the same answers at every edge of the rule.
    func testTheNamingRuleEdges() {
        let expected = MigrationFileName.expected
        let cases: [(String, MigrationFileName.Parsed)] = [
            (".sql", .notMigration), ("sql", .notMigration), ("0001_a.SQL", .notMigration),
            ("0001_a.sql.bak", .notMigration), ("0001_a.sql~", .notMigration), ("", .notMigration),
            ("0001_.sql", .malformed(problem: expected)), ("_a.sql", .malformed(problem: expected)),
            ("0001a.sql", .malformed(problem: expected)), ("0001_a b.sql", .malformed(problem: expected)),
            ("0001_a\r\n.sql", .malformed(problem: expected)), ("0001-a.sql", .malformed(problem: expected)),
            ("+1_a.sql", .malformed(problem: expected)), ("0001_a.b.sql", .malformed(problem: expected)),
            ("00000000000000000000001_Aa-9_z.sql", .migration(version: 1, name: "Aa-9_z")),
            ("9223372036854775807_max.sql", .migration(version: .max, name: "max")),
            ("9223372036854775808_x.sql", .malformed(problem: "version 9223372036854775808 is too large")),
            ("0001_é.sql", .malformed(problem: expected)), ("0002_a\u{301}.sql", .malformed(problem: expected)),
            ("١_a.sql", .malformed(problem: expected)), ("0001_a.sq\u{301}l", .notMigration),
        ]
        for (name, parsed) in cases {
            XCTAssertEqual(MigrationFileName.parse(name), parsed, name)
        }
    }
}
