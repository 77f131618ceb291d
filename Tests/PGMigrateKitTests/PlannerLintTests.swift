import Foundation
@testable import PGMigrateKit
import SchemaModel
import XCTest

/// The planner's files, linted statically with the real linter and no
/// ignores (no database: the integration matrix in SchemaEvolutionTests does
/// the same for every kind of edit on the real schema with rows).
final class PlannerLintTests: XCTestCase {
    static let notes = QualifiedName("public", "notes")
    static let tags = QualifiedName("public", "tags")
    static let mood = QualifiedName("public", "mood")

    static func base() -> Catalog {
        Catalog(
            schemas: ["public"],
            enums: [EnumType(mood, labels: ["good", "bad"])],
            tables: [
                Table(
                    notes,
                    columns: [
                        Column("id", .uuid, default: .genRandomUUID),
                        Column("body", .text, nullable: true),
                        Column("mood", .enumType(mood), nullable: true),
                    ],
                    primaryKey: PrimaryKey(name: "notes_pkey", columns: ["id"]),
                    indexes: [Index("idx_notes_body", on: ["body"])]),
                Table(
                    tags, columns: [Column("id", .uuid, default: .genRandomUUID), Column("note", .uuid, nullable: true)],
                    primaryKey: PrimaryKey(name: "tags_pkey", columns: ["id"])),
            ])
    }

    /// Lints `files` after the initial migration of `base`; returns every finding at warning or above.
    func lint(_ files: [GeneratedMigration], over base: Catalog) throws -> [String] {
        var linter = Linter()
        let initial = GeneratedMigration.initial(base)
        try linter.absorb(try LintSource(path: initial.fileName, contents: Array(initial.contents.utf8)))
        var out: [String] = []
        for file in files {
            XCTAssertFalse(file.contents.contains("lint-ignore"), file.fileName)
            out += try linter.lint(try LintSource(path: file.fileName, contents: Array(file.contents.utf8))).findings()
                .filter { $0.level >= .warning }.map(\.compilerStyle)
        }
        return out
    }

    func testEveryFileOfAPlanOverSeveralExistingTablesLintsClean() throws {
        let base = Self.base()
        var model = base
        model.enums[0].labels.append("meh")
        model.tables[0].columns.append(Column("title", .text, nullable: true))
        model.tables[0].columns[1].isNullable = false
        model.tables[0].checks.append(CheckConstraint(name: "notes_title_short", columns: ["title"], "length(title) < 200"))
        model.tables[0].indexes = [Index("idx_notes_body", on: ["body"], where: "body IS NOT NULL", predicateColumns: ["body"], comment: "bodies")]
        model.tables[1].columns.append(Column("label", .text, nullable: true))
        model.tables[1].uniques.append(UniqueConstraint(name: "tags_label_key", columns: ["label"]))
        model.tables[1].foreignKeys.append(ForeignKey(name: "tags_note_fkey", columns: ["note"], references: Self.notes, ["id"], onDelete: .cascade))
        model.tables[1].indexes.append(Index("idx_tags_note", on: ["note"]))
        model.tables.append(Table(
            QualifiedName("public", "links"), columns: [Column("id", .uuid), Column("tag", .uuid, nullable: true)],
            primaryKey: PrimaryKey(name: "links_pkey", columns: ["id"]),
            foreignKeys: [ForeignKey(name: "links_tag_fkey", columns: ["tag"], references: Self.tags, ["id"], onDelete: .setNull)]))
        let plan = try Planner(model: model).plan(SchemaDiffer().changes(desired: model, actual: base), actual: base)
        let files = plan.files(firstVersion: 2, name: "edit")
        let text = files.map { "-- file: \($0.fileName)\n" + $0.contents }.joined(separator: "\n")
        XCTAssertEqual(try lint(files, over: base), [], text)
        XCTAssertEqual(
            files.map(\.fileName),
            // links references tags (SHARE ROW EXCLUSIVE), so tags' column joins it; the foreign key
            // tags -> notes locks both, so it starts a transaction of its own (notes' NOT NULL check joins it).
            [
                "0002_edit_enum_labels.sql", "0003_edit_tags.sql", "0004_edit_notes.sql", "0005_edit_tags_2.sql", "0006_edit_indexes.sql",
                "0007_edit_validate.sql", "0008_edit_finish_notes.sql", "0009_edit_finish_tags.sql",
            ],
            text)
        // The timeout override stays, and lint accepts it: only long online steps follow it.
        XCTAssertTrue(files[4].contents.contains("SET statement_timeout = 0;"), files[4].contents)
        XCTAssertTrue(files[5].contents.contains("SET statement_timeout = 0;"), files[5].contents)
    }

    func testWithoutTheSplitTheSameStepsAreFlagged() throws {
        // The guard this split answers: both tables in one transaction.
        let sql = """
            ALTER TABLE public.notes ADD COLUMN title text;
            ALTER TABLE public.tags ADD COLUMN label text;
            """
        var linter = Linter()
        let initial = GeneratedMigration.initial(Self.base())
        try linter.absorb(try LintSource(path: initial.fileName, contents: Array(initial.contents.utf8)))
        let rules = try linter.lint(try LintSource(path: "0002_x.sql", contents: Array(sql.utf8))).findings().map(\.rule)
        XCTAssertEqual(rules, [LintRules.statementAfterAccessExclusive.id])
    }
}
