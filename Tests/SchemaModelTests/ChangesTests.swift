import SchemaModel
import XCTest

/// The differ's typed changes: each carries the old and the new value, and
/// drift's report lines are exactly the changes' lines.
final class ChangesTests: XCTestCase {
    let tableName = QualifiedName("public", "t")

    func catalog(_ columns: [Column], indexes: [Index] = [], labels: [String] = ["a", "b"]) -> Catalog {
        Catalog(
            schemas: ["public"], enums: [EnumType(QualifiedName("public", "e"), labels: labels)],
            tables: [Table(tableName, columns: columns, primaryKey: PrimaryKey(name: "t_pkey", columns: ["id"]), indexes: indexes)])
    }

    func testAlteredAddedAndDroppedObjectsCarryTheirValues() {
        let old = catalog([Column("id", .uuid), Column("note", .text, nullable: true), Column("gone", .integer)], labels: ["a", "b"])
        let new = catalog(
            [Column("id", .uuid), Column("note", .varchar(10), nullable: true), Column("added", .boolean, nullable: true)],
            indexes: [Index("t_note_idx", on: ["note"])], labels: ["a", "b", "c"])
        let changes = SchemaDiffer().changes(desired: new, actual: old)

        let note = changes.first { $0.object.name == "public.t.note" }
        XCTAssertEqual(note?.action, .alter)
        XCTAssertEqual(note?.old, .column(Column("note", .text, nullable: true)))
        XCTAssertEqual(note?.new, .column(Column("note", .varchar(10), nullable: true)))
        XCTAssertEqual(note?.differs(in: .type), true)
        XCTAssertEqual(note?.table, tableName)

        let added = changes.first { $0.object.name == "public.t.added" }
        XCTAssertEqual(added?.action, .add)
        XCTAssertNil(added?.old)
        let gone = changes.first { $0.object.name == "public.t.gone" }
        XCTAssertEqual(gone?.action, .drop)
        XCTAssertEqual(gone?.old, .column(Column("gone", .integer)))
        XCTAssertNil(gone?.new)

        let index = changes.first { $0.object.kind == .index }
        XCTAssertEqual(index?.action, .add)
        XCTAssertEqual(index?.new, .index(Index("t_note_idx", on: ["note"])))

        let type = changes.first { $0.object.kind == .type }
        XCTAssertEqual(type?.action, .alter)
        XCTAssertEqual(type?.differences.map(\.description), ["missing label public.e.c: 'c'"])
    }

    func testDriftReportIsTheChangesLinesSorted() {
        let old = catalog([Column("id", .uuid), Column("gone", .integer)])
        let new = catalog([Column("id", .uuid, nullable: true), Column("added", .text)], labels: ["b", "a"])
        let differ = SchemaDiffer()
        let lines = differ.changes(desired: new, actual: old).flatMap(\.differences)
        XCTAssertEqual(Set(differ.diff(desired: new, actual: old)), Set(lines))
        XCTAssertEqual(differ.diff(desired: new, actual: old).count, lines.count)
        XCTAssertEqual(differ.changes(desired: new, actual: new), [])
    }
}
