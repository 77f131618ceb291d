import Foundation
import PQClient
import SchemaModel
import XCTest

/// Names reach the rule kits' SQL only through quoting: a table and column
/// with a quote, a backslash and a percent sign work, and the trigger's
/// error names them exactly (a `%` in a name is not a RAISE placeholder).
final class RuleKitNameTests: XCTestCase {
    func testAStateMachineOnHostileNamesEnforcesAndNamesThemExactly() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        let table = QualifiedName("we'ird\\s", "100% \"t\"")
        let machine = StateMachine(
            table: table, column: "st%", states: ["a", "b's"], initial: "a", transitions: [.init("a", "b's", "go")])
        let catalog = Catalog(
            schemas: [table.schema],
            tables: [Table(table, columns: [Column("id", .integer), Column("st%", .text)], triggers: [machine.trigger()])],
            functions: [machine.function(lockKeyColumn: nil)])
        try conn.executeScript(GeneratedMigration.initial(catalog).contents)

        let error = assertSQLState(.checkViolation, constraint: machine.constraintName) {
            try conn.execute("INSERT INTO \(table.sql) (id, \(quoteIdentifier("st%"))) VALUES (1, 'x')")
        }
        XCTAssertEqual(error?.message, "invalid 100% \"t\".st% on insert: x (a new row starts as a)")
        try conn.execute("INSERT INTO \(table.sql) (id, \(quoteIdentifier("st%"))) VALUES (1, 'a')")
        try conn.execute("UPDATE \(table.sql) SET \(quoteIdentifier("st%")) = 'b''s'")
        let back = assertSQLState(.checkViolation, constraint: machine.constraintName) {
            try conn.execute("UPDATE \(table.sql) SET \(quoteIdentifier("st%")) = 'a'")
        }
        XCTAssertEqual(back?.message, "invalid 100% \"t\".st% transition: b's -> a")
    }
}
