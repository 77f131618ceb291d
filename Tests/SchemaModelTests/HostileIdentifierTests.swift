import SchemaModel
import XCTest

/// Names that are reserved words, mixed case, hold spaces, double quotes or
/// an injection attempt must come out of the renderer correctly quoted.
final class HostileIdentifierTests: XCTestCase {
    private let renderer = PostgresRenderer()
    private let injection = #"x"; DROP TABLE x; --"#
    private let injectionQuoted = #""x""; DROP TABLE x; --""#

    private var hostileTable: Table {
        Table(
            QualifiedName("My Schema", "user"),
            columns: [
                Column("select", .text),
                Column(#"we"ird"#, .integer, nullable: true),
                Column("MixedCase", .uuid),
                Column("has space", .boolean, default: .true),
                Column(injection, .text, nullable: true),
                Column("state", .enumType(QualifiedName("My Schema", "Order State"))),
            ],
            primaryKey: PrimaryKey(name: "user pkey", columns: ["MixedCase"]),
            foreignKeys: [
                ForeignKey(name: injection, columns: [#"we"ird"#], references: QualifiedName("public", "order"), ["group"], onDelete: .cascade),
            ],
            uniques: [UniqueConstraint(name: "Unique", columns: ["select", "has space"])],
            checks: [CheckConstraint(name: "check", columns: ["select"], #"length("select") > 0"#)])
    }

    func testCreateTableQuotesEveryHostileName() {
        XCTAssertEqual(renderer.createTable(hostileTable).sql, #"""
            CREATE TABLE "My Schema"."user" (
                "select" text NOT NULL,
                "we""ird" integer,
                "MixedCase" uuid NOT NULL,
                "has space" boolean DEFAULT true NOT NULL,
                "x""; DROP TABLE x; --" text,
                state "My Schema"."Order State" NOT NULL,
                CONSTRAINT "user pkey" PRIMARY KEY ("MixedCase"),
                CONSTRAINT "x""; DROP TABLE x; --" FOREIGN KEY ("we""ird") REFERENCES public."order" ("group") ON DELETE CASCADE,
                CONSTRAINT "Unique" UNIQUE ("select", "has space"),
                CONSTRAINT "check" CHECK (length("select") > 0)
            )
            """#)
    }

    func testEnumTypeAndLabelsWithHostileNames() {
        let type = EnumType(QualifiedName("My Schema", "Order State"), labels: ["it's", #"back\slash"#, injection], comment: "it's")
        XCTAssertEqual(renderer.createEnum(type).sql, #"""
            CREATE TYPE "My Schema"."Order State" AS ENUM (
                'it''s',
                E'back\\slash',
                'x"; DROP TABLE x; --'
            )
            """#)
    }

    func testCommentsOnHostileNamesQuoteBothNameAndText() {
        var table = hostileTable
        table.comment = "It's the \"user\" table"
        table.columns[1].comment = injection
        table.checks[0].comment = "Select can't be empty."
        XCTAssertEqual(renderer.comments(on: table).map(\.sql), [
            #"COMMENT ON TABLE "My Schema"."user" IS 'It''s the "user" table'"#,
            #"COMMENT ON COLUMN "My Schema"."user"."we""ird" IS 'x"; DROP TABLE x; --'"#,
            #"COMMENT ON CONSTRAINT "check" ON "My Schema"."user" IS 'Select can''t be empty.'"#,
        ])
    }

    func testIndexOnHostileNames() {
        let index = Index(
            injection, on: ["select", #"we"ird"#], unique: true, include: ["MixedCase"],
            where: #""has space""#, predicateColumns: ["has space"], comment: "it's")
        XCTAssertEqual(renderer.createIndex(index, on: hostileTable.name).map(\.sql), [
            #"CREATE UNIQUE INDEX "x""; DROP TABLE x; --" ON "My Schema"."user" ("select", "we""ird") INCLUDE ("MixedCase") WHERE "has space""#,
            #"COMMENT ON INDEX "My Schema"."x""; DROP TABLE x; --" IS 'it''s'"#,
        ])
    }

    func testTriggerFunctionPolicyAndGrantOnHostileNames() {
        let function = QualifiedName("My Schema", "Touch")
        let trigger = Trigger("Before Update", .before, [.update(of: ["select", #"we"ird"#])], execute: function)
        XCTAssertEqual(renderer.createTrigger(trigger, on: hostileTable.name).map(\.sql), [#"""
            CREATE TRIGGER "Before Update"
                BEFORE UPDATE OF "select", "we""ird" ON "My Schema"."user"
                FOR EACH ROW
                EXECUTE FUNCTION "My Schema"."Touch"()
            """#])

        let policy = Policy("user", to: ["user", injection], using: "true")
        XCTAssertEqual(renderer.createPolicy(policy, on: hostileTable.name).map(\.sql), [#"""
            CREATE POLICY "user" ON "My Schema"."user"
                AS PERMISSIVE
                FOR ALL
                TO "user", "x""; DROP TABLE x; --"
                USING (true)
            """#])

        XCTAssertEqual(
            renderer.grant(TableGrant(injection, [.select]), on: hostileTable.name).sql,
            #"GRANT SELECT ON TABLE "My Schema"."user" TO "x""; DROP TABLE x; --""#)

        let helper = Function(
            function, arguments: [.init("from", .enumType(QualifiedName("My Schema", "Order State")))],
            returns: "trigger", language: .plpgsql, searchPath: ["My Schema", "select"], executeGrantees: ["Select"],
            body: "BEGIN RETURN NEW; END")
        XCTAssertEqual(renderer.createFunction(helper).map(\.sql), [
            #"""
            CREATE OR REPLACE FUNCTION "My Schema"."Touch"("from" "My Schema"."Order State")
                RETURNS trigger
                LANGUAGE plpgsql
                VOLATILE
                SET search_path = "My Schema", "select"
            AS $function$
            BEGIN RETURN NEW; END
            $function$
            """#,
            #"REVOKE ALL ON FUNCTION "My Schema"."Touch"("My Schema"."Order State") FROM PUBLIC"#,
            #"GRANT EXECUTE ON FUNCTION "My Schema"."Touch"("My Schema"."Order State") TO "Select""#,
        ])
    }

    func testRoleWithHostileNameIsQuotedAsIdentifierAndAsLiteral() {
        XCTAssertEqual(renderer.createRole(Role(#"it's "me""#)).sql, #"""
            DO $role$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'it''s "me"') THEN
                    CREATE ROLE "it's ""me""" NOLOGIN;
                END IF;
            END
            $role$
            """#)
    }

    /// The DO block's body is dollar-quoted; a role name holding the tag
    /// must not end the body early (the function renderer picks a fresh tag
    /// for the same reason).
    func testRoleNameHoldingTheDollarTagDoesNotEndTheDoBlockEarly() throws {
        let sql = renderer.createRole(Role("evil$role$name")).sql
        let firstLine = try XCTUnwrap(sql.split(separator: "\n").first)
        let tag = String(firstLine.dropFirst("DO ".count))
        XCTAssertTrue(tag.hasPrefix("$") && tag.hasSuffix("$"), sql)
        XCTAssertEqual(sql.components(separatedBy: tag).count - 1, 2, "the tag \(tag) must open and close the body only:\n\(sql)")
        XCTAssertTrue(sql.contains("rolname = 'evil$role$name'"), sql)
        XCTAssertTrue(sql.contains(#"CREATE ROLE "evil$role$name" NOLOGIN;"#), sql)
    }

    func testExtensionAndSchemaWithHostileNames() {
        XCTAssertEqual(
            renderer.createExtension(Extension("uuid-ossp", schema: "My Schema")).sql,
            #"CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA "My Schema""#)
        XCTAssertEqual(
            renderer.statements(for: Catalog(schemas: [injection])).map(\.sql),
            [#"CREATE SCHEMA IF NOT EXISTS "x""; DROP TABLE x; --""#])
    }

    func testQualifiedNameQuotesEachPartSeparately() {
        XCTAssertEqual(QualifiedName("public", "call_sessions").sql, "public.call_sessions")
        XCTAssertEqual(QualifiedName("a.b", "c").sql, #""a.b".c"#)
        XCTAssertEqual(QualifiedName("select", injection).sql, #""select"."x""; DROP TABLE x; --""#)
    }
}
