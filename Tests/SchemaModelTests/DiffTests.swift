import SchemaModel
import XCTest

final class DiffTests: XCTestCase {
    let tableName = QualifiedName("public", "t")
    let differ = SchemaDiffer()

    func base() -> Catalog {
        Catalog(
            schemas: ["public"], extensions: [Extension("pgcrypto", schema: "public")],
            enums: [EnumType(QualifiedName("public", "status"), labels: ["a", "b", "c"])],
            roles: [Role("app")],
            tables: [
                Table(
                    tableName,
                    columns: [Column("id", .uuid), Column("note", .text, nullable: true, default: "'x'::text")],
                    primaryKey: PrimaryKey(name: "t_pkey", columns: ["id"]),
                    checks: [CheckConstraint(name: "t_note_check", columns: ["note"], "CHECK ((note <> ''::text))")],
                    indexes: [Index("t_note_idx", keys: [], definition: "CREATE INDEX t_note_idx ON public.t USING btree (note)")],
                    triggers: [Trigger("t_trg", .before, [.update], execute: QualifiedName("public", "f"), definition: "CREATE TRIGGER t_trg …")],
                    rowSecurity: .enabled,
                    policies: [Policy("t_all", to: ["app"], using: "true")],
                    grants: [TableGrant("app", [.select, .insert])]),
                Table(QualifiedName("public", "host"), columns: [Column("id", .uuid)], isExternal: true),
            ],
            functions: [
                Function(
                    QualifiedName("public", "f"), returns: "trigger", language: .plpgsql,
                    searchPath: ["pg_catalog"], executeGrantees: [], body: "BEGIN RETURN NEW; END")
            ])
    }

    var table: SchemaObject { SchemaObject(.table, "public.t") }
    func object(_ kind: SchemaObject.Kind, _ name: String) -> SchemaObject { SchemaObject(kind, name, table: tableName) }

    func attribute(_ change: SchemaChange) -> SchemaAttribute? {
        if case .changed(_, let attribute, _, _) = change { return attribute }
        return nil
    }

    func changes(_ edit: (inout Catalog) -> Void) -> [SchemaChange] {
        var actual = base()
        edit(&actual)
        return differ.diff(desired: base(), actual: actual)
    }

    func testIdenticalCatalogsHaveNoChanges() {
        XCTAssertEqual(differ.diff(desired: base(), actual: base()), [])
    }

    func testExternalTablesAreIgnored() {
        XCTAssertEqual(changes { $0.tables.removeLast() }, [])
    }

    func testExtensionMissingExtraAndMoved() {
        XCTAssertEqual(changes { $0.extensions = [] }, [.missing(SchemaObject(.extension, "pgcrypto"), definition: "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public")])
        XCTAssertEqual(changes { $0.extensions.append(Extension("hstore", schema: "public")) }.map(\.object), [SchemaObject(.extension, "hstore")])
        XCTAssertEqual(changes { $0.extensions[0].schema = "extensions" }.count, 1)
    }

    func testRoleMissing() {
        XCTAssertEqual(changes { $0.roles = [] }, [.missing(SchemaObject(.role, "app"), definition: "ROLE app")])
    }

    func testSchemaUsageChanged() {
        var desired = base()
        desired.schemas = ["s"]
        desired.usageGrantees = ["app"]
        var actual = desired
        actual.usageGrantees = []
        XCTAssertEqual(differ.diff(desired: desired, actual: actual), [.changed(SchemaObject(.schema, "s"), .usage, expected: "app", actual: "(none)")])
        actual.schemas = []
        XCTAssertEqual(differ.diff(desired: desired, actual: actual).first?.object, SchemaObject(.schema, "s"))
    }

    func testEnumLabelAddedRemovedAndReordered() {
        XCTAssertEqual(changes { $0.enums[0].labels.append("d") }, [.extra(SchemaObject(.label, "public.status.d"), definition: "'d'")])
        XCTAssertEqual(changes { $0.enums[0].labels.removeFirst() }, [.missing(SchemaObject(.label, "public.status.a"), definition: "'a'")])
        XCTAssertEqual(
            changes { $0.enums[0].labels = ["b", "a", "c"] },
            [.changed(SchemaObject(.type, "public.status"), .labelOrder, expected: "'a', 'b', 'c'", actual: "'b', 'a', 'c'")])
        XCTAssertEqual(changes { $0.enums = [] }.map(\.object), [SchemaObject(.type, "public.status")])
    }

    func testTableMissingExtraAndComment() {
        XCTAssertEqual(changes { $0.tables.removeFirst() }, [.missing(table, definition: "TABLE public.t (id, note)")])
        XCTAssertEqual(changes { $0.tables.append(Table(QualifiedName("public", "tmp_x"), columns: [])) }.map(\.object), [SchemaObject(.table, "public.tmp_x")])
        XCTAssertEqual(changes { $0.tables[0].comment = "hi" }, [.changed(table, .comment, expected: "(none)", actual: "'hi'")])
    }

    func testColumnChanges() {
        let note = object(.column, "public.t.note")
        XCTAssertEqual(changes { $0.tables[0].columns.append(Column("extra", .integer)) }, [.extra(object(.column, "public.t.extra"), definition: "extra integer NOT NULL")])
        XCTAssertEqual(changes { $0.tables[0].columns.removeLast() }, [.missing(note, definition: "note text DEFAULT 'x'::text")])
        XCTAssertEqual(changes { $0.tables[0].columns[1].type = .varchar(10) }, [.changed(note, .type, expected: "text", actual: "character varying(10)")])
        XCTAssertEqual(changes { $0.tables[0].columns[1].isNullable = false }, [.changed(note, .nullability, expected: "NULL", actual: "NOT NULL")])
        XCTAssertEqual(changes { $0.tables[0].columns[1].defaultValue = nil }, [.changed(note, .default, expected: "'x'::text", actual: "(none)")])
        XCTAssertEqual(changes { $0.tables[0].columns[1].collation = "C" }, [.changed(note, .collation, expected: "(default)", actual: "C")])
        XCTAssertEqual(changes { $0.tables[0].columns[0].identity = .always }, [.changed(object(.column, "public.t.id"), .identity, expected: "(none)", actual: "ALWAYS")])
        XCTAssertEqual(changes { $0.tables[0].columns[1].comment = "c" }, [.changed(note, .comment, expected: "(none)", actual: "'c'")])
    }

    func testConstraintChanges() {
        let check = object(.constraint, "public.t.t_note_check")
        XCTAssertEqual(
            changes { $0.tables[0].checks[0].expression = "CHECK ((note <> 'y'::text))" },
            [.changed(check, .definition, expected: "CHECK ((note <> ''::text))", actual: "CHECK ((note <> 'y'::text))")])
        XCTAssertEqual(changes { $0.tables[0].primaryKey = nil }, [.missing(object(.constraint, "public.t.t_pkey"), definition: "PRIMARY KEY (id)")])
        XCTAssertEqual(
            changes { $0.tables[0].foreignKeys.append(ForeignKey(name: "t_fk", columns: ["id"], references: QualifiedName("public", "host"), ["id"], onDelete: .cascade)) },
            [.extra(object(.constraint, "public.t.t_fk"), definition: "FOREIGN KEY (id) REFERENCES public.host(id) ON DELETE CASCADE")])
        XCTAssertEqual(changes { $0.tables[0].uniques.append(UniqueConstraint(name: "t_u", columns: ["note"])) }.map(\.object), [object(.constraint, "public.t.t_u")])
        XCTAssertEqual(changes { $0.tables[0].checks[0].comment = "why" }, [.changed(check, .comment, expected: "(none)", actual: "'why'")])
    }

    func testIndexChanges() {
        let index = object(.index, "public.t_note_idx")
        XCTAssertEqual(changes { $0.tables[0].indexes = [] }, [.missing(index, definition: "CREATE INDEX t_note_idx ON public.t USING btree (note)")])
        XCTAssertEqual(changes { $0.tables[0].indexes.append(Index("t_id_idx", on: ["id"])) }, [.extra(object(.index, "public.t_id_idx"), definition: "CREATE INDEX t_id_idx ON public.t (id)")])
        XCTAssertEqual(changes { $0.tables[0].indexes[0].definition = "CREATE INDEX t_note_idx ON public.t USING hash (note)" }.map(\.object), [index])
        XCTAssertEqual(changes { $0.tables[0].indexes[0].comment = "c" }, [.changed(index, .comment, expected: "(none)", actual: "'c'")])
    }

    func testTriggerChanges() {
        let trigger = object(.trigger, "public.t.t_trg")
        XCTAssertEqual(changes { $0.tables[0].triggers[0].firing = .disabled }, [.changed(trigger, .firing, expected: "ENABLE", actual: "DISABLE")])
        XCTAssertEqual(changes { $0.tables[0].triggers[0].definition = "CREATE TRIGGER t_trg AFTER …" }, [.changed(trigger, .definition, expected: "CREATE TRIGGER t_trg …", actual: "CREATE TRIGGER t_trg AFTER …")])
        XCTAssertEqual(changes { $0.tables[0].triggers = [] }, [.missing(trigger, definition: "CREATE TRIGGER t_trg …")])
    }

    func testRoleThatBypassesRowSecurityIsChanged() {
        for (edit, actual) in [({ (r: inout Role) in r.bypassRLS = true }, "NOSUPERUSER BYPASSRLS"),
                               ({ (r: inout Role) in r.superuser = true }, "SUPERUSER NOBYPASSRLS")] {
            let found = changes { edit(&$0.roles[0]) }
            XCTAssertEqual(found, [.changed(SchemaObject(.role, "app"), .attributes,
                                            expected: "NOSUPERUSER NOBYPASSRLS", actual: actual)])
        }
        // LOGIN is the DBA's business, not the model's.
        XCTAssertEqual(changes { $0.roles[0].canLogin = true }, [])
    }

    func testTableOwnedByARoleItsPoliciesRestrictIsChanged() {
        XCTAssertEqual(changes { $0.tables[0].owner = "migrator" }, [])
        let owned = changes { $0.tables[0].owner = "app" }
        XCTAssertEqual(owned.count, 1, "\(owned)")
        guard case .changed(let object, .owner, _, let owner) = owned.first else { return XCTFail("\(owned)") }
        XCTAssertEqual(object, table)
        XCTAssertEqual(owner, "app")
        // FORCE ROW LEVEL SECURITY binds the owner too.
        var forced = base()
        forced.tables[0].rowSecurity.forced = true
        var actual = forced
        actual.tables[0].owner = "app"
        XCTAssertEqual(differ.diff(desired: forced, actual: actual), [])
    }

    func testRowSecurityChanges() {
        let rls = object(.rowSecurity, "public.t")
        XCTAssertEqual(changes { $0.tables[0].rowSecurity = .disabled }, [.changed(rls, .enabled, expected: "on", actual: "off")])
        XCTAssertEqual(changes { $0.tables[0].rowSecurity = .enabledAndForced }, [.changed(rls, .forced, expected: "off", actual: "on")])
    }

    func testPolicyChanges() {
        let policy = object(.policy, "public.t.t_all")
        XCTAssertEqual(changes { $0.tables[0].policies[0].using = "false" }, [.changed(policy, .using, expected: "true", actual: "false")])
        XCTAssertEqual(changes { $0.tables[0].policies[0].withCheck = "false" }, [.changed(policy, .withCheck, expected: "(none)", actual: "false")])
        XCTAssertEqual(changes { $0.tables[0].policies[0].roles = [] }, [.changed(policy, .roles, expected: "app", actual: "PUBLIC")])
        XCTAssertEqual(changes { $0.tables[0].policies[0].command = .select }, [.changed(policy, .command, expected: "ALL", actual: "SELECT")])
        XCTAssertEqual(changes { $0.tables[0].policies[0].permissive = false }, [.changed(policy, .permissive, expected: "PERMISSIVE", actual: "RESTRICTIVE")])
        XCTAssertEqual(changes { $0.tables[0].policies = [] }.map(\.object), [policy])
    }

    func testGrantChanges() {
        XCTAssertEqual(
            changes { $0.tables[0].grants.append(TableGrant("PUBLIC", [.select])) },
            [.extra(object(.grant, "public.t to PUBLIC"), definition: "GRANT SELECT ON TABLE public.t TO PUBLIC")])
        XCTAssertEqual(
            changes { $0.tables[0].grants[0].privileges.insert(.delete) },
            [.changed(object(.grant, "public.t to app"), .privileges, expected: "SELECT, INSERT", actual: "SELECT, INSERT, DELETE")])
        XCTAssertEqual(changes { $0.tables[0].grants = [] }.map(\.object), [object(.grant, "public.t to app")])
    }

    func testFunctionChanges() {
        let function = SchemaObject(.function, "public.f()")
        XCTAssertEqual(changes { $0.functions[0].body = "BEGIN RETURN OLD; END" }, [.changed(function, .body, expected: "BEGIN RETURN NEW; END", actual: "BEGIN RETURN OLD; END")])
        XCTAssertEqual(changes { $0.functions[0].executeGrantees = ["PUBLIC"] }, [.changed(function, .execute, expected: "(nobody but the owner)", actual: "PUBLIC")])
        XCTAssertEqual(changes { $0.functions[0].securityDefiner = true }.map(attribute), [.securityDefiner])
        XCTAssertEqual(changes { $0.functions[0].searchPath = nil }, [.changed(function, .searchPath, expected: "pg_catalog", actual: "(not set)")])
        XCTAssertEqual(changes { $0.functions[0].volatility = .stable }.count, 1)
        XCTAssertEqual(changes { $0.functions[0].isStrict = true }.count, 1)
        XCTAssertEqual(changes { $0.functions[0].language = .sql }.count, 1)
        XCTAssertEqual(changes { $0.functions[0].returns = "void" }.count, 1)
        XCTAssertEqual(changes { $0.functions[0].comment = "c" }.count, 1)
        // Another argument list is another function (overloads are matched by signature).
        XCTAssertEqual(
            changes { $0.functions[0].arguments = [Function.Argument("x", .integer)] }.map(\.object),
            [SchemaObject(.function, "public.f()"), SchemaObject(.function, "public.f(integer)")])
    }

    func testChangesAreSortedByKindThenNameThenChange() {
        let result = changes { catalog in
            catalog.tables[0].columns.append(Column("z", .text))
            catalog.tables[0].indexes = []
            catalog.roles = []
            catalog.tables[0].columns.append(Column("a", .text))
        }
        XCTAssertEqual(result.map(\.object.description), [
            "role app", "column public.t.a", "column public.t.z", "index public.t_note_idx",
        ])
    }

    func testIgnorePatternsMatchKindAndNameOrOwningTable() {
        let result = changes { catalog in
            catalog.tables.append(Table(QualifiedName("public", "tmp_1"), columns: []))
            catalog.tables[0].indexes.append(Index("idx_scratch_a", on: ["id"]))
            catalog.tables[0].columns.append(Column("z", .text))
        }
        XCTAssertEqual(result.count, 3)
        XCTAssertEqual(result.filter { !$0.isIgnored(by: [GlobPattern("table public.tmp_*")]) }.count, 2)
        XCTAssertEqual(result.filter { !$0.isIgnored(by: [GlobPattern("index *.idx_scratch*")]) }.count, 2)
        XCTAssertEqual(result.filter { !$0.isIgnored(by: [GlobPattern("table public.t")]) }.count, 1)
        XCTAssertEqual(result.filter { !$0.isIgnored(by: [GlobPattern("public.t.?")]) }.count, 2)
        XCTAssertFalse(GlobPattern("table public.tmp_*").matches("table public.tmp"))
        XCTAssertTrue(GlobPattern("*").matches(""))
    }
}
