import Foundation
import SchemaModel
import XCTest

/// Golden SQL for each rule kit, rendered from a small shop model that has
/// nothing to do with call feedback: `Golden/<kit>.sql` is the exact text
/// the kit renders (functions, triggers, policies, grants), byte for byte.
/// Set PGMIGRATE_RECORD_GOLDEN=1 to rewrite the files after a deliberate
/// change, then review the diff.
final class RuleKitGoldenTests: XCTestCase {
    private let renderer = PostgresRenderer()
    private static let schema = "shop"
    private static let orders = QualifiedName(schema, "orders")
    private static let lines = QualifiedName(schema, "order_lines")
    private static let notes = QualifiedName(schema, "order_notes")
    private static let parcels = QualifiedName(schema, "parcels")
    private static let log = QualifiedName(schema, "forget_log")

    private func sql(_ statements: [Statement]) -> String {
        statements.map { $0.sql + ";\n" }.joined(separator: "\n")
    }

    private func assertGolden(_ name: String, _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
            .appendingPathComponent("Golden").appendingPathComponent(name + ".sql")
        if ProcessInfo.processInfo.environment["PGMIGRATE_RECORD_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text, expected, "\(name).sql differs from what the kit renders", file: file, line: line)
    }

    func testStateMachine() throws {
        let machine = StateMachine(
            table: Self.orders, column: "state", states: ["new", "paid", "shipped", "cancelled"], initial: "new",
            transitions: [.init("new", "paid", "paid"), .init("new", "cancelled", "given up"), .init("paid", "shipped", "sent")])
        XCTAssertEqual(machine.terminalStates, ["shipped", "cancelled"])
        try assertGolden("state-machine", sql(renderer.createFunction(machine.function(lockKeyColumn: "order_id"))
            + renderer.createTrigger(machine.trigger(), on: Self.orders)) + "\n" + machine.mermaid + "\n")
    }

    func testEventRules() throws {
        let rules = EventRules(
            events: Self.notes, sessions: Self.orders, sessionColumn: "order_id", typeColumn: "kind",
            timestampColumn: "written_at", statusColumn: "state", sessionKey: "order_id", sessionNoun: "order",
            allowed: [("new", ["remark"]), ("paid", ["remark", "refund"])])
        XCTAssertTrue(rules.allows(eventType: "refund", whenStatus: "paid"))
        XCTAssertFalse(rules.allows(eventType: "refund", whenStatus: "new"))
        try assertGolden("event-rules", sql(
            renderer.createFunction(rules.function())
                + renderer.createFunction(rules.function(tenantColumn: "shop_id", currentTenant: QualifiedName(Self.schema, "current_shop")))
                + renderer.createTrigger(rules.trigger(), on: Self.notes)))
    }

    func testTenantIsolation() throws {
        let tenancy = TenantIsolation(
            schema: Self.schema, column: "shop_id", setting: "shop.current_id", tenantRole: "shop_clerk",
            serviceRole: "shop_backend", tables: [Self.orders], forceRowSecurity: true,
            currentTenantFunction: QualifiedName(Self.schema, "current_shop"))
        var statements = tenancy.roles().map(renderer.createRole) + renderer.createFunction(tenancy.function())
        for policy in tenancy.policies(for: Self.orders) { statements += renderer.createPolicy(policy, on: Self.orders) }
        statements += tenancy.grants().map { renderer.grant($0, on: Self.orders) }
        XCTAssertEqual(tenancy.policies(for: Self.orders).map(\.name), ["orders_tenant_isolation", "orders_system_access"])
        try assertGolden("tenant-isolation", sql(statements))
    }

    func testInheritedTenant() throws {
        let inherited = InheritedTenant(
            parent: Self.orders, parentKey: "order_id", column: "shop_id", foreignKey: "order_id", children: [Self.lines])
        try assertGolden("inherited-tenant", sql(
            renderer.createFunction(inherited.function()) + renderer.createTrigger(inherited.trigger(for: Self.lines), on: Self.lines)))
    }

    func testEncryptedHashedColumn() throws {
        let normalizer = Function(
            QualifiedName(Self.schema, "normalize_email"), arguments: [.init("raw", .text)], returns: "text", language: .sql,
            volatility: .immutable, strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: ["shop_backend"],
            comment: "Lower-cases an e-mail address.", body: "SELECT pg_catalog.lower(pg_catalog.btrim(raw))")
        let protection = EncryptedHashedColumn(
            table: Self.orders, column: "email", hashColumn: "email_hash", keySetting: "shop.email_key",
            keyCheckTable: QualifiedName(Self.schema, "email_key_check"), pgcryptoSchema: "crypto",
            serviceRoles: ["shop_backend"], writerRoles: ["shop_backend", "shop_clerk"], normalizer: normalizer,
            keyFunction: QualifiedName(Self.schema, "email_key"), decryptFunction: QualifiedName(Self.schema, "decrypt_email"),
            lookupHashFunction: QualifiedName(Self.schema, "email_lookup_hash"), keyCheckMessage: "shop email key check",
            lookupArgument: "email",
            wording: .init(
                storedValues: "customer e-mail addresses", values: "e-mail addresses", key: "e-mail key", value: "address",
                lookupInput: "an e-mail address", trigger: "the e-mail address"))
        XCTAssertEqual(protection.functions().first, normalizer)
        try assertGolden("encrypted-hashed-column", sql(
            protection.functions().flatMap(renderer.createFunction) + renderer.createTrigger(protection.trigger(), on: Self.orders)))
    }

    func testUpdatedAt() throws {
        let rule = UpdatedAtRule(schema: Self.schema, column: "changed_at")
        try assertGolden("updated-at", sql(
            renderer.createFunction(rule.function()) + renderer.createTrigger(rule.trigger(for: Self.orders), on: Self.orders)))
    }

    func testRetentionActionsWithTheirKeyColumn() throws {
        let columns = ["order_id", "shop_id", "note", "written_at"]
        let rules = [
            RetentionRule(
                name: "notes_archive", table: Self.notes, ageColumn: "written_at", olderThanDays: 365,
                action: .archive(into: QualifiedName(Self.schema, "order_notes_archive"), archivedAtColumn: "archived_at"),
                comment: "Old notes move to the archive.", keyColumn: "order_id"),
            RetentionRule(
                name: "notes_delete", table: Self.notes, ageColumn: "written_at", olderThanDays: 730,
                condition: "note LIKE '%100%%'", action: .delete, comment: "Very old notes go.", keyColumn: "order_id"),
            RetentionRule(
                name: "notes_clear", table: Self.notes, ageColumn: "written_at", olderThanDays: 30,
                condition: "note IS NOT NULL", action: .clear(columns: ["note"], reportColumn: "note"),
                comment: "Note texts are cleared.", keyColumn: "order_id"),
            RetentionRule(
                name: "notes_anonymize", table: Self.notes, ageColumn: "written_at", olderThanDays: 90,
                action: .anonymize(column: "note", markColumn: "written_at", function: QualifiedName(Self.schema, "mask")),
                comment: "Notes are masked.", keyColumn: "order_id"),
        ]
        XCTAssertEqual(rules.map(\.countSQL).last, "SELECT count(*) FROM shop.order_notes WHERE written_at < pg_catalog.now() - interval '90 days'")
        try assertGolden("retention", sql(rules.flatMap { renderer.createFunction($0.function(columns: columns, executeGrantees: ["shop_backend"])) }))
    }

    func testErasure() throws {
        let erasure = Erasure(
            function: QualifiedName(Self.schema, "forget_customer"), argument: "email",
            lookupHash: QualifiedName(Self.schema, "email_lookup_hash"), hashColumn: "email_hash",
            root: .init(table: Self.orders, count: "orders", matchColumn: "order_id",
                        assignments: [.init("email", "NULL"), .init("delivery_address", "NULL")]),
            children: [
                .init(table: Self.notes, count: "notes", matchColumn: "order_id", assignments: [.init("note", "''")]),
                .init(table: Self.parcels, count: "parcels", matchColumn: "order_id", assignments: [
                    .init("recipient_name", "'[erased]'"), .init("recipient_phone", "NULL"),
                    .init("courier_instructions", "CASE WHEN delivered THEN NULL ELSE '[erased]' END"),
                ]),
            ],
            log: Self.log, keySetting: "shop.email_key", comment: "Forgets a customer.", erased: ["orders: email"], kept: ["totals"])
        XCTAssertEqual(erasure.counts, ["orders", "notes", "parcels"])
        try assertGolden("erasure", sql(renderer.createFunction(erasure.function(executeGrantees: ["shop_backend"]))))
    }
}

/// Paths through a state machine, which the integration fixtures use to move
/// a row to any status.
final class StateMachinePathTests: XCTestCase {
    func testTheCallStatusPathsAreTheShortestValidOnes() {
        let machine = CallFeedbackSchema.rules().stateMachine
        let expected: [String: [String]] = [
            "initiated": [],
            "connecting": ["connecting"],
            "in_progress": ["connecting", "in_progress"],
            "completed": ["connecting", "in_progress", "completed"],
            "timeout": ["connecting", "in_progress", "timeout"],
            "failed": ["failed"],
        ]
        for state in machine.states {
            XCTAssertEqual(machine.path(to: state), expected[state], state)
            var current = machine.initial
            for step in machine.path(to: state) ?? [] {
                XCTAssertTrue(machine.allows(current, step), "\(current) -> \(step)")
                current = step
            }
        }
        XCTAssertNil(machine.path(to: "no_such_state"))
    }

    func testAnUnreachableStateHasNoPath() {
        let machine = StateMachine(
            table: QualifiedName("s", "t"), column: "c", states: ["a", "b", "z"], initial: "a", transitions: [.init("a", "b", "")])
        XCTAssertEqual(machine.path(to: "b"), ["b"])
        XCTAssertNil(machine.path(to: "z"))
    }
}
