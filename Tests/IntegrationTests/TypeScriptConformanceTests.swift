import Foundation
import PQClient
import SchemaModel
import XCTest

/// The TypeScript Insert and Update types held against PostgreSQL: what the
/// types make optional the database fills in, what they require it refuses
/// to go without, what they leave out it does not take from the statement,
/// and a narrowed field (a new session's status) is exactly what it accepts.
/// The columns come from the renderer (`columnTypes(of:)`), not from a list
/// here, so a model change that the types get wrong fails this test.
final class TypeScriptConformanceTests: XCTestCase {
    private var fixture: CallFeedbackFixture!

    override func setUpWithError() throws {
        fixture = try CallFeedbackFixture(database: makeDatabase())
    }

    override func tearDown() {
        fixture = nil
    }

    private static let catalog = CallFeedbackSchema.catalog()
    private static let renderer = TypeScriptRenderer(catalog: catalog, rules: CallFeedbackSchema.rules().typeScriptRules)

    /// The tables with an Insert (or Update) type, and how each column is typed.
    private func typedTables(granting privilege: TableGrant.Privilege) throws -> [(name: String, table: Table, columns: [TypeScriptRenderer.ColumnTypes])] {
        let tables = Self.catalog.managedTables.filter { $0.grants.contains { $0.privileges.contains(privilege) } }
        XCTAssertGreaterThanOrEqual(tables.count, 7, "the model's tables with \(privilege) granted")
        return try tables.map { ($0.name.name, $0, try Self.renderer.columnTypes(of: $0)) }
    }

    func testARowWithOnlyTheColumnsTheInsertTypeRequiresIsAccepted() throws {
        for (name, _, columns) in try typedTables(granting: .insert) {
            let leftOut = columns.filter { $0.insert != .required }.map { ($0.column, SQLValue.default) }
            XCTAssertNoThrow(
                try fixture.insertRow(into: name, Dictionary(uniqueKeysWithValues: leftOut)),
                "\(name) with only \(columns.filter { $0.insert == .required }.map(\.column))")
        }
    }

    func testEachColumnTheInsertTypeRequiresCannotBeLeftOut() throws {
        var required = 0
        for (name, _, columns) in try typedTables(granting: .insert) {
            for column in columns where column.insert == .required {
                required += 1
                assertSQLState(.notNullViolation, "\(name).\(column.column) left out") {
                    _ = try fixture.insertRow(into: name, [column.column: .default])
                }
            }
        }
        XCTAssertGreaterThan(required, 20)
    }

    /// A value of the column's type that no fixture row holds.
    private func sample(for type: ColumnType) throws -> String? {
        switch type {
        case .bytea: return #"'\x00'::bytea"#
        case .timestamptz: return "'2000-01-01 00:00:00+00'::timestamptz"
        case .uuid: return "'\(try fixture.insertBusiness().uuidString.lowercased())'::uuid"
        case .integer: return "987654"  // no key generation a fixture row is under
        default: return nil
        }
    }

    /// Runs `write` with `value` for `column`: passes when the server refuses
    /// it or stores something else.
    private func assertNotTaken(
        _ table: Table, _ column: String, what: String, write: (SQLValue) throws -> UUID
    ) throws {
        guard let type = table.column(column)?.type, let value = try sample(for: type) else {
            return XCTFail("\(table.name.name).\(column): add a sample value for its type to this test")
        }
        let id: UUID
        do {
            id = try write(.expression(value))
        } catch is PQError {
            return  // refused
        }
        let same = try fixture.connection.execute(
            "SELECT (\(quoteIdentifier(column)) IS NOT DISTINCT FROM \(value))::text AS same FROM \(table.name.sql) WHERE id = $1",
            [id]
        ).scalar(String.self)
        XCTAssertEqual(same, "false", "\(table.name.name).\(column): the \(what) stored the value it was given")
    }

    func testAColumnTheInsertTypeLeavesOutIsNotTakenFromTheInsert() throws {
        var absent = 0
        for (name, table, columns) in try typedTables(granting: .insert) {
            for column in columns where column.insert == .absent {
                absent += 1
                try assertNotTaken(table, column.column, what: "insert") { try fixture.insertRow(into: name, [column.column: $0]) }
            }
        }
        XCTAssertGreaterThan(absent, 0)
    }

    /// The primary key is left out of Update by convention (a row's
    /// identity), not because the database refuses it; every other column
    /// left out is refused or overwritten.
    func testAColumnTheUpdateTypeLeavesOutIsNotTakenFromTheUpdate() throws {
        var absent = 0
        for (name, table, columns) in try typedTables(granting: .update) {
            for column in columns where column.update == .absent && !(table.primaryKey?.columns.contains(column.column) ?? false) {
                absent += 1
                try assertNotTaken(table, column.column, what: "update") { value in
                    let id = try fixture.insertRow(into: name)
                    try fixture.update(name, id: id, [column.column: value])
                    return id
                }
            }
        }
        XCTAssertGreaterThanOrEqual(absent, 6, "updated_at twice, the phone hash, business_id of four child tables")
    }

    /// A field the Insert type narrows to string literals (a new session's
    /// status) accepts exactly those labels of its enum.
    func testANarrowedInsertFieldAcceptsExactlyItsLabels() throws {
        var narrowed = 0
        for (name, table, columns) in try typedTables(granting: .insert) {
            for column in columns where column.insertType.hasPrefix("\"") {
                guard let enumName = table.column(column.column)?.type.enumName, let labels = Self.catalog.enumType(enumName)?.labels
                else { XCTFail("\(name).\(column.column) is narrowed but not an enum"); continue }
                let allowed = Set(column.insertType.components(separatedBy: " | ").map { String($0.dropFirst().dropLast()) })
                narrowed += 1
                for label in labels {
                    let value = SQLValue.expression("\(quoteLiteral(label))::\(enumName.sql)")
                    if allowed.contains(label) {
                        XCTAssertNoThrow(try fixture.insertRow(into: name, [column.column: value]), "\(name).\(column.column) = \(label)")
                    } else {
                        assertSQLState(.checkViolation, "\(name).\(column.column) = \(label)") {
                            _ = try fixture.insertRow(into: name, [column.column: value])
                        }
                    }
                }
            }
        }
        XCTAssertEqual(narrowed, 1, "call_sessions.status")
    }
}
