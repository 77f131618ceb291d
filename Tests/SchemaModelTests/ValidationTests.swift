import SchemaModel
import XCTest

/// Every model-validation error: each test breaks one thing in a valid
/// catalog and asserts the error's kind, the object and that the message
/// names what is wrong.
final class ValidationTests: XCTestCase {
    private let parentName = QualifiedName("app", "parent")
    private let childName = QualifiedName("app", "child")
    private let stateName = QualifiedName("app", "state")
    private let touchName = QualifiedName("app", "touch")

    /// A small valid catalog: an enum, a function, and two tables joined by
    /// an indexed foreign key, with a check, a unique, a trigger and a policy.
    private var valid: Catalog {
        Catalog(
            schemas: ["app"],
            enums: [EnumType(stateName, labels: ["new", "done"])],
            roles: [Role("app_user")],
            tables: [
                Table(
                    parentName, columns: [Column("id", .uuid), Column("code", .text)],
                    primaryKey: PrimaryKey(name: "parent_pkey", columns: ["id"]),
                    uniques: [UniqueConstraint(name: "parent_code_key", columns: ["code"])]),
                Table(
                    childName,
                    columns: [Column("id", .uuid), Column("parent_id", .uuid), Column("state", .enumType(stateName)), Column("qty", .integer)],
                    primaryKey: PrimaryKey(name: "child_pkey", columns: ["id"]),
                    foreignKeys: [ForeignKey(name: "child_parent_id_fkey", columns: ["parent_id"], references: parentName, ["id"], onDelete: .cascade)],
                    checks: [CheckConstraint(name: "child_qty_positive", columns: ["qty"], "qty > 0")],
                    indexes: [Index("child_parent_id_idx", on: ["parent_id"])],
                    triggers: [Trigger("child_touch", .before, [.update(of: ["qty"])], execute: touchName)],
                    policies: [Policy("child_all", using: "true")]),
            ],
            functions: [Function(touchName, returns: "trigger", language: .plpgsql, body: "BEGIN RETURN NEW; END")])
    }

    private func child(_ change: (inout Table) -> Void) -> Catalog {
        var catalog = valid
        change(&catalog.tables[1])
        return catalog
    }

    /// Asserts exactly one error of `kind` about `object`, whose message holds every fragment.
    private func assertOneError(
        _ catalog: Catalog, _ kind: ModelError.Kind, object: String, mentions fragments: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let errors = catalog.validationErrors()
        guard errors.count == 1, let error = errors.first else {
            XCTFail("expected one \(kind) error, got \(errors)", file: file, line: line)
            return
        }
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        XCTAssertEqual(error.object, object, "\(error)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(error.message.contains(fragment), "\(error.message) should mention \(fragment)", file: file, line: line)
        }
        XCTAssertThrowsError(try catalog.validate(), file: file, line: line) { thrown in
            XCTAssertEqual((thrown as? ModelValidationError)?.errors, errors, file: file, line: line)
        }
    }

    func testTheBaseCatalogIsValid() throws {
        XCTAssertEqual(valid.validationErrors(), [])
        XCTAssertNoThrow(try valid.validate())
    }

    // MARK: - Foreign keys

    func testForeignKeyToUnknownTable() {
        let catalog = child { $0.foreignKeys[0].referencedTable = QualifiedName("app", "nowhere") }
        assertOneError(catalog, .unknownTable, object: "table app.child", mentions: ["child_parent_id_fkey", "app.nowhere"])
    }

    func testForeignKeyToTableInAnotherSchemaIsUnknown() {
        let catalog = child { $0.foreignKeys[0].referencedTable = QualifiedName("public", "parent") }
        assertOneError(catalog, .unknownTable, object: "table app.child", mentions: ["child_parent_id_fkey", "public.parent"])
    }

    func testForeignKeyToUnknownColumn() {
        let catalog = child { $0.foreignKeys[0].referencedColumns = ["uid"] }
        assertOneError(catalog, .unknownColumn, object: "table app.child", mentions: ["child_parent_id_fkey", "uid", "app.parent"])
    }

    func testForeignKeyFromUnknownColumn() {
        let catalog = child { $0.foreignKeys[0].columns = ["parent_uid"] }
        let errors = catalog.validationErrors()
        XCTAssertTrue(errors.contains { $0.kind == .unknownColumn && $0.message.contains("child_parent_id_fkey") && $0.message.contains("parent_uid") }, "\(errors)")
        XCTAssertTrue(errors.allSatisfy { $0.object == "table app.child" }, "\(errors)")
    }

    func testForeignKeyColumnCountMismatch() {
        let catalog = child { $0.foreignKeys[0].referencedColumns = ["id", "code"] }
        assertOneError(catalog, .columnCountMismatch, object: "table app.child", mentions: ["child_parent_id_fkey", "1", "2"])
    }

    func testUnindexedForeignKey() {
        let catalog = child { $0.indexes = [] }
        assertOneError(catalog, .unindexedForeignKey, object: "table app.child", mentions: ["child_parent_id_fkey", "parent_id", "app.parent"])
    }

    func testForeignKeyColumnThatIsOnlySecondInAnIndexIsUnindexed() {
        let catalog = child { $0.indexes = [Index("child_qty_parent_idx", on: ["qty", "parent_id"])] }
        assertOneError(catalog, .unindexedForeignKey, object: "table app.child", mentions: ["child_parent_id_fkey"])
    }

    func testPartialIndexDoesNotCoverAForeignKey() {
        let catalog = child {
            $0.indexes = [Index("child_parent_id_idx", on: ["parent_id"], where: "qty > 1", predicateColumns: ["qty"])]
        }
        assertOneError(catalog, .unindexedForeignKey, object: "table app.child", mentions: ["child_parent_id_fkey"])
    }

    func testForeignKeyLeadingAUniqueConstraintOrPrimaryKeyIsIndexed() {
        let byUnique = child {
            $0.indexes = []
            $0.uniques = [UniqueConstraint(name: "child_parent_state_key", columns: ["parent_id", "state"])]
        }
        XCTAssertEqual(byUnique.validationErrors(), [])
        let byPrimaryKey = child {
            $0.indexes = []
            $0.primaryKey = PrimaryKey(name: "child_pkey", columns: ["parent_id", "id"])
        }
        XCTAssertEqual(byPrimaryKey.validationErrors(), [])
    }

    func testExternalTableForeignKeyNeedsNoIndex() {
        let catalog = child {
            $0.indexes = []
            $0.isExternal = true
        }
        XCTAssertEqual(catalog.validationErrors(), [])
    }

    // MARK: - Columns

    func testDuplicateColumn() {
        let catalog = child { $0.columns.append(Column("qty", .bigint)) }
        assertOneError(catalog, .duplicateName, object: "table app.child", mentions: ["qty"])
    }

    func testIndexOnUnknownColumn() {
        let catalog = child { $0.indexes.append(Index("child_missing_idx", on: ["missing"])) }
        assertOneError(catalog, .unknownColumn, object: "table app.child", mentions: ["child_missing_idx", "missing"])
    }

    func testIndexIncludeExpressionAndPredicateColumnsMustExist() {
        let include = child { $0.indexes.append(Index("child_inc_idx", on: ["qty"], include: ["ghost_include"])) }
        assertOneError(include, .unknownColumn, object: "table app.child", mentions: ["child_inc_idx", "ghost_include"])
        let expression = child { $0.indexes.append(Index("child_expr_idx", keys: [.expression("lower(ghost_expr)", columns: ["ghost_expr"])])) }
        assertOneError(expression, .unknownColumn, object: "table app.child", mentions: ["child_expr_idx", "ghost_expr"])
        let predicate = child { $0.indexes.append(Index("child_part_idx", on: ["qty"], where: "ghost_pred", predicateColumns: ["ghost_pred"])) }
        assertOneError(predicate, .unknownColumn, object: "table app.child", mentions: ["child_part_idx", "ghost_pred"])
    }

    func testCheckOnUnknownColumn() {
        let catalog = child { $0.checks.append(CheckConstraint(name: "child_ghost_check", columns: ["ghost"], "ghost > 0")) }
        assertOneError(catalog, .unknownColumn, object: "table app.child", mentions: ["child_ghost_check", "ghost"])
    }

    func testPrimaryKeyAndUniqueOnUnknownColumn() {
        let primary = child { $0.primaryKey = PrimaryKey(name: "child_pkey", columns: ["uid"]) }
        assertOneError(primary, .unknownColumn, object: "table app.child", mentions: ["child_pkey", "uid"])
        let unique = child { $0.uniques = [UniqueConstraint(name: "child_ghost_key", columns: ["ghost"])] }
        assertOneError(unique, .unknownColumn, object: "table app.child", mentions: ["child_ghost_key", "ghost"])
    }

    func testTriggerUpdateOfUnknownColumn() {
        let catalog = child { $0.triggers[0].events = [.update(of: ["ghost"])] }
        assertOneError(catalog, .unknownColumn, object: "table app.child", mentions: ["child_touch", "ghost"])
    }

    // MARK: - Identifier length

    private let sixtyThree = String(repeating: "a", count: 63)
    private let sixtyFour = String(repeating: "a", count: 64)
    /// 32 characters, 64 bytes: the limit is in bytes.
    private let sixtyFourBytes = String(repeating: "å", count: 32)

    func testTableNameOver63BytesIsTooLong() {
        XCTAssertEqual(child { $0.name = QualifiedName("app", sixtyThree) }.validationErrors(), [])
        assertOneError(
            child { $0.name = QualifiedName("app", sixtyFour) }, .identifierTooLong, object: "table app.\(sixtyFour)",
            mentions: [sixtyFour, "64"])
        assertOneError(
            child { $0.name = QualifiedName("app", sixtyFourBytes) }, .identifierTooLong, object: "table app.\(sixtyFourBytes)",
            mentions: [sixtyFourBytes, "64"])
    }

    func testColumnNameOver63BytesIsTooLong() {
        XCTAssertEqual(child { $0.columns.append(Column(sixtyThree, .text)) }.validationErrors(), [])
        assertOneError(
            child { $0.columns.append(Column(sixtyFour, .text)) }, .identifierTooLong, object: "table app.child",
            mentions: ["column", sixtyFour])
        assertOneError(
            child { $0.columns.append(Column(sixtyFourBytes, .text)) }, .identifierTooLong, object: "table app.child",
            mentions: ["column", sixtyFourBytes])
    }

    func testConstraintNameOver63BytesIsTooLong() {
        let check = "child_" + String(repeating: "q", count: 58)
        XCTAssertEqual(check.utf8.count, 64)
        assertOneError(
            child { $0.checks[0].name = check }, .identifierTooLong, object: "table app.child", mentions: ["check constraint", check])
        assertOneError(
            child { $0.foreignKeys[0].name = check }, .identifierTooLong, object: "table app.child", mentions: ["foreign key", check])
        assertOneError(
            child { $0.primaryKey?.name = check }, .identifierTooLong, object: "table app.child", mentions: ["primary key", check])
    }

    func testIndexNameOver63BytesIsTooLong() {
        let name = "child_parent_id_" + String(repeating: "i", count: 48)
        XCTAssertEqual(name.utf8.count, 64)
        assertOneError(
            child { $0.indexes[0].name = name }, .identifierTooLong, object: "table app.child", mentions: ["index", name])
    }

    func testEnumLabelOver63BytesIsTooLong() {
        var catalog = valid
        catalog.enums[0].labels.append(sixtyFour)
        assertOneError(catalog, .identifierTooLong, object: "type app.state", mentions: [sixtyFour])
    }

    // MARK: - Types and functions

    func testUnknownEnumType() {
        let catalog = child { $0.columns[2].type = .enumType(QualifiedName("app", "mood")) }
        assertOneError(catalog, .unknownType, object: "table app.child", mentions: ["state", "app.mood"])
    }

    func testEnumTypeInAnotherSchemaIsUnknown() {
        let catalog = child { $0.columns[2].type = .enumType(QualifiedName("public", "state")) }
        assertOneError(catalog, .unknownType, object: "table app.child", mentions: ["state", "public.state"])
    }

    /// An array of an undeclared enum type is as unknown as the enum itself.
    func testArrayOfUnknownEnumTypeIsAnUnknownType() {
        let catalog = child { $0.columns.append(Column("moods", .array(.enumType(QualifiedName("app", "mood"))))) }
        assertOneError(catalog, .unknownType, object: "table app.child", mentions: ["moods", "app.mood"])
    }

    func testTriggerExecutingUnknownFunction() {
        let catalog = child { $0.triggers[0].function = QualifiedName("app", "nobody") }
        assertOneError(catalog, .unknownFunction, object: "table app.child", mentions: ["child_touch", "app.nobody"])
    }

    func testEmptyEnumAndEmptyTableAreEmptyDefinitions() {
        var noLabels = valid
        noLabels.enums.append(EnumType(QualifiedName("app", "nothing"), labels: []))
        assertOneError(noLabels, .emptyDefinition, object: "type app.nothing", mentions: ["labels"])
        var noColumns = valid
        noColumns.tables.append(Table(QualifiedName("app", "hollow"), columns: []))
        assertOneError(noColumns, .emptyDefinition, object: "table app.hollow", mentions: ["columns"])
    }

    // MARK: - Duplicate names

    func testIndexWithTheSameNameAsATableIsADuplicateRelation() {
        let catalog = child { $0.indexes[0].name = "parent" }
        assertOneError(catalog, .duplicateName, object: "table app.child", mentions: ["app.parent", "table app.parent"])
    }

    func testTwoIndexesWithTheSameNameInOneSchemaAreDuplicates() {
        var catalog = child { $0.indexes.append(Index("shared_idx", on: ["qty"])) }
        catalog.tables[0].indexes.append(Index("shared_idx", on: ["code"]))
        assertOneError(catalog, .duplicateName, object: "table app.child", mentions: ["app.shared_idx"])
    }

    func testIndexNamedLikeAUniqueConstraintIsADuplicate() {
        let catalog = child { $0.indexes.append(Index("parent_code_key", on: ["qty"])) }
        assertOneError(catalog, .duplicateName, object: "table app.child", mentions: ["parent_code_key"])
    }

    func testSameIndexNameInAnotherSchemaIsNotADuplicate() {
        var catalog = valid
        catalog.tables.append(Table(
            QualifiedName("other", "child"), columns: [Column("id", .uuid)],
            primaryKey: PrimaryKey(name: "child_pkey", columns: ["id"]), indexes: [Index("child_parent_id_idx", on: ["id"])]))
        XCTAssertEqual(catalog.validationErrors(), [])
    }

    func testDuplicateTable() {
        var catalog = valid
        catalog.tables.append(Table(parentName, columns: [Column("id", .uuid)]))
        assertOneError(catalog, .duplicateName, object: "table app.parent", mentions: ["app.parent"])
    }

    func testDuplicateConstraintTriggerPolicyAndEnum() {
        assertOneError(
            child { $0.checks.append(CheckConstraint(name: "child_parent_id_fkey", columns: ["qty"], "qty < 9")) },
            .duplicateName, object: "table app.child", mentions: ["child_parent_id_fkey"])
        assertOneError(
            child { $0.triggers.append($0.triggers[0]) }, .duplicateName, object: "table app.child", mentions: ["child_touch"])
        assertOneError(
            child { $0.policies.append(Policy("child_all")) }, .duplicateName, object: "table app.child", mentions: ["child_all"])
        var twice = valid
        twice.enums.append(EnumType(stateName, labels: ["x"]))
        assertOneError(twice, .duplicateName, object: "type app.state", mentions: ["app.state"])
        var label = valid
        label.enums[0].labels.append("new")
        assertOneError(label, .duplicateName, object: "type app.state", mentions: ["new"])
    }

    func testSeveralErrorsAreAllReportedInOneThrow() {
        let catalog = child {
            $0.indexes = []
            $0.checks.append(CheckConstraint(name: "child_ghost_check", columns: ["ghost"], "ghost > 0"))
        }
        XCTAssertEqual(Set(catalog.validationErrors().map(\.kind)), [.unknownColumn, .unindexedForeignKey])
        XCTAssertThrowsError(try catalog.validate()) { error in
            let description = "\(error)"
            XCTAssertTrue(description.hasPrefix("invalid model (2 errors): "), description)
            XCTAssertTrue(description.contains("child_ghost_check"), description)
            XCTAssertTrue(description.contains("child_parent_id_fkey"), description)
        }
    }
}
