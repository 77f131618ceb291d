import Foundation
import PQClient
import SchemaModel
import XCTest

/// Tenant isolation by row-level security on the six tables: a
/// `business_app` session sees and writes only the rows of the business in
/// `app.current_business_id`; `call_service` sees all.
final class RowLevelSecurityTests: XCTestCase {
    private typealias F = EnforcementFixtures

    /// One business's rows, one in each table.
    private struct Tenant: Sendable {
        var business: UUID
        var verification: UUID
        var session: UUID
        var question: UUID
        var rowIDs: [String: UUID]
    }

    /// How each table is written to in these tests.
    private struct TableCase: Sendable {
        var name: String
        /// A harmless SET clause for update attempts.
        var harmlessSet: String
        /// Inserts one row for the given tenant's ids.
        var insert: @Sendable (Connection, Tenant) throws -> Void
        var isChildOfSession: Bool
    }

    private static let tables: [TableCase] = [
        TableCase(name: "call_sessions", harmlessSet: "transcript = 'x'", insert: { conn, t in
            try conn.execute(
                "INSERT INTO call_sessions (business_id, customer_phone, verification_id) VALUES ($1, '0701234567', $2)",
                [t.business, t.verification])
        }, isChildOfSession: false),
        TableCase(name: "question_configurations", harmlessSet: "frequency = 9", insert: { conn, t in
            try conn.execute(
                """
                INSERT INTO question_configurations (business_id, question_text, frequency, department_tags)
                VALUES ($1, 'Hur nöjd var du med besöket?', 3, '["kassa"]')
                """, [t.business])
        }, isChildOfSession: false),
        TableCase(name: "call_events", harmlessSet: "metadata = '{}'", insert: { conn, t in
            try conn.execute(
                """
                INSERT INTO call_events (call_session_id, business_id, event_type, source, timestamp)
                VALUES ($1, $2, 'question_asked', 'ai', now() + interval '1 hour')
                """, [t.session, t.business])
        }, isChildOfSession: true),
        TableCase(name: "call_responses", harmlessSet: "response_text = 'x'", insert: { conn, t in
            try conn.execute(
                """
                INSERT INTO call_responses (call_session_id, business_id, question_id, question_text, response_text, response_duration, asked_at)
                VALUES ($1, $2, $3, 'Hur nöjd var du med besöket?', 'Nöjd', 4, now())
                """, [t.session, t.business, t.question])
        }, isChildOfSession: true),
        TableCase(name: "question_selection_logs", harmlessSet: "selection_algorithm = 'v9'", insert: { conn, t in
            try conn.execute(
                """
                INSERT INTO question_selection_logs (business_id, customer_count, selected_questions, selection_algorithm,
                    selection_criteria, time_budget_seconds, estimated_duration)
                VALUES ($1, 7, '[]', 'v1', '{}', 90, 30)
                """, [t.business])
        }, isChildOfSession: false),
        TableCase(name: "telephony_provider_logs", harmlessSet: "latency_ms = 1", insert: { conn, t in
            try conn.execute(
                """
                INSERT INTO telephony_provider_logs (call_session_id, business_id, provider, provider_call_id, operation,
                    request_payload, response_payload, status_code, latency_ms, success)
                VALUES ($1, $2, 'twilio', 'CA1', 'connect', '{}', '{}', 200, 12, true)
                """, [t.session, t.business])
        }, isChildOfSession: true),
    ]

    /// Creates a business and one row in each of the six tables (as superuser).
    private func makeTenant(_ conn: Connection) throws -> Tenant {
        let business = try F.business(conn)
        let verification = try F.verification(conn)
        let session = try F.session(conn, business: business, status: "in_progress")
        let question = try CallEventRulesTests.question(conn, business: business)
        var tenant = Tenant(business: business, verification: verification, session: session, question: question, rowIDs: [:])
        for table in Self.tables where table.name != "call_sessions" && table.name != "question_configurations" {
            try table.insert(conn, tenant)
        }
        for table in Self.tables {
            tenant.rowIDs[table.name] = try conn.execute(
                "SELECT id FROM \(table.name) WHERE business_id = $1 ORDER BY id LIMIT 1", [business]).scalar(UUID.self)
        }
        return tenant
    }

    private func setTenant(_ conn: Connection, _ business: UUID?) throws {
        try conn.execute("SELECT set_config('app.current_business_id', $1, false)", [business?.uuidString.lowercased() ?? ""])
    }

    func testTenantSeesAndWritesOnlyItsOwnRowsInAllSixTables() throws {
        let database = try makeDatabase()
        let conn = try F.schemaConnection(database)
        let a = try makeTenant(conn)
        let b = try makeTenant(conn)
        var attempted = 0
        var leaked: [String] = []

        try conn.execute("SET ROLE business_app")
        try setTenant(conn, a.business)
        for table in Self.tables {
            let t = table.name
            // Own rows are visible; the other tenant's are not.
            XCTAssertEqual(try conn.execute("SELECT count(*) FROM \(t) WHERE business_id = $1", [a.business]).scalar(Int.self), 1, t)
            XCTAssertEqual(try conn.execute("SELECT count(*) FROM \(t)").scalar(Int.self), 1, t)
            attempted += 1
            let visibleB = try conn.execute("SELECT count(*) FROM \(t) WHERE business_id = $1 OR id = $2", [b.business, b.rowIDs[t]]).scalar(Int.self)
            if visibleB != 0 { leaked.append("\(t): SELECT sees B's rows") }

            // Inserting for B is rejected by the policy.
            attempted += 1
            do {
                try table.insert(conn, b)
                leaked.append("\(t): INSERT for B succeeded")
            } catch let error as PQError {
                XCTAssertEqual(error.sqlState, .insufficientPrivilege, "\(t): \(error.debugDescription)")
            }
            // Inserting for A works (so the rejection above is the policy, not a missing grant).
            XCTAssertNoThrow(try table.insert(conn, a), t)

            // Moving A's row to B is rejected.
            attempted += 1
            do {
                let moved = try conn.execute("UPDATE \(t) SET business_id = $2 WHERE id = $1", [a.rowIDs[t], b.business])
                leaked.append("\(t): UPDATE moving A's row to B succeeded (\(moved.rowsAffected) rows)")
            } catch let error as PQError {
                let expected: [SQLState] = table.isChildOfSession ? [.insufficientPrivilege, .foreignKeyViolation] : [.insufficientPrivilege]
                XCTAssertTrue(expected.contains(error.sqlState ?? ""), "\(t): \(error.debugDescription)")
            }
            if table.isChildOfSession {
                // Also moving it into B's session, with B's business.
                attempted += 1
                do {
                    try conn.execute("UPDATE \(t) SET call_session_id = $2, business_id = $3 WHERE id = $1", [a.rowIDs[t], b.session, b.business])
                    leaked.append("\(t): UPDATE moving A's row into B's session succeeded")
                } catch let error as PQError {
                    XCTAssertTrue([SQLState.insufficientPrivilege, .foreignKeyViolation].contains(error.sqlState ?? ""), "\(t): \(error.debugDescription)")
                }
            }

            // Updating or deleting B's rows affects nothing.
            attempted += 1
            let updated = try conn.execute("UPDATE \(t) SET \(table.harmlessSet) WHERE id = $1 OR business_id = $2", [b.rowIDs[t], b.business])
            if updated.rowsAffected != 0 { leaked.append("\(t): UPDATE of B's rows affected \(updated.rowsAffected)") }
            attempted += 1
            let deleted = try conn.execute("DELETE FROM \(t) WHERE id = $1 OR business_id = $2", [b.rowIDs[t], b.business])
            if deleted.rowsAffected != 0 { leaked.append("\(t): DELETE of B's rows affected \(deleted.rowsAffected)") }
        }

        try conn.execute("RESET ROLE")
        // B's rows are untouched and A's rows did not move.
        for table in Self.tables {
            let t = table.name
            XCTAssertEqual(try conn.execute("SELECT business_id FROM \(t) WHERE id = $1", [b.rowIDs[t]]).scalar(UUID.self), b.business, t)
            XCTAssertEqual(try conn.execute("SELECT business_id FROM \(t) WHERE id = $1", [a.rowIDs[t]]).scalar(UUID.self), a.business, t)
            XCTAssertEqual(try conn.execute("SELECT count(*) FROM \(t) WHERE business_id = $1", [b.business]).scalar(Int.self), 1, t)
            XCTAssertEqual(try conn.execute("SELECT count(*) FROM \(t) WHERE business_id = $1", [a.business]).scalar(Int.self), 2, t)
        }
        XCTAssertGreaterThanOrEqual(attempted, 6 * 5 + 3)
        XCTAssertEqual(leaked, [], "cross-tenant operations that succeeded: \(leaked.count) of \(attempted)")
    }

    func testWithoutATenantNothingIsVisibleAndInsertsAreRejected() throws {
        let database = try makeDatabase()
        let conn = try F.schemaConnection(database)
        let a = try makeTenant(conn)
        var attempted = 0
        var leaked: [String] = []

        // A connection that never set the tenant, then one set to ''.
        let fresh = try database.connect()
        try TestModel.useKey(fresh)
        try fresh.execute("SET ROLE business_app")
        for setting in ["never set", "empty", "reset"] {
            switch setting {
            case "empty": try fresh.execute("SET app.current_business_id = ''")
            case "reset": try fresh.execute("RESET app.current_business_id")
            default: break
            }
            XCTAssertNil(try XCTUnwrap(fresh.execute("SELECT get_current_business_id() AS id").first)["id"], setting)
            for table in Self.tables {
                attempted += 1
                let visible = try fresh.execute("SELECT count(*) FROM \(table.name)").scalar(Int.self)
                if visible != 0 { leaked.append("\(table.name) (\(setting)): \(visible) rows visible") }
                attempted += 1
                do {
                    try table.insert(fresh, a)
                    leaked.append("\(table.name) (\(setting)): INSERT succeeded")
                } catch let error as PQError {
                    XCTAssertEqual(error.sqlState, .insufficientPrivilege, "\(table.name): \(error.debugDescription)")
                }
                attempted += 1
                let updated = try fresh.execute("UPDATE \(table.name) SET \(table.harmlessSet)")
                if updated.rowsAffected != 0 { leaked.append("\(table.name) (\(setting)): UPDATE affected \(updated.rowsAffected)") }
                attempted += 1
                let deleted = try fresh.execute("DELETE FROM \(table.name)")
                if deleted.rowsAffected != 0 { leaked.append("\(table.name) (\(setting)): DELETE affected \(deleted.rowsAffected)") }
            }
        }
        XCTAssertEqual(attempted, 3 * 6 * 4)
        XCTAssertEqual(leaked, [], "operations without a tenant that succeeded: \(leaked.count) of \(attempted)")
        for table in Self.tables {
            XCTAssertEqual(try conn.execute("SELECT count(*) FROM \(table.name)").scalar(Int.self), 1, table.name)
        }
    }

    func testChildInsertIntoAnotherTenantsSessionWithoutBusinessIsRejected() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let a = try makeTenant(conn)
        let b = try makeTenant(conn)
        try conn.execute("SET ROLE business_app")
        try setTenant(conn, a.business)
        // business_id omitted: the trigger cannot see B's session, so the row gets no tenant.
        XCTAssertThrowsError(try conn.execute(
            "INSERT INTO call_events (call_session_id, event_type, source, timestamp) VALUES ($1, 'question_asked', 'ai', now() + interval '1 hour')",
            [b.session])) { error in
            let state = (error as? PQError)?.sqlState
            XCTAssertTrue([SQLState.insufficientPrivilege, .notNullViolation, .foreignKeyViolation].contains(state ?? ""), "\(error)")
        }
        // business_id A with B's session: the composite foreign key rejects it.
        assertSQLState(.foreignKeyViolation, constraint: "call_events_call_session_id_fkey") {
            try conn.execute(
                "INSERT INTO call_events (call_session_id, business_id, event_type, source, timestamp) VALUES ($1, $2, 'question_asked', 'ai', now() + interval '1 hour')",
                [b.session, a.business])
        }
        try conn.execute("RESET ROLE")
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_events WHERE call_session_id = $1", [b.session]).scalar(Int.self), 1)
    }

    func testCallServiceSeesAndWritesEveryTenantsRows() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let a = try makeTenant(conn)
        let b = try makeTenant(conn)
        try conn.execute("SET ROLE call_service")
        for table in Self.tables {
            XCTAssertEqual(try conn.execute("SELECT count(*) FROM \(table.name)").scalar(Int.self), 2, table.name)
            XCTAssertEqual(try conn.execute("UPDATE \(table.name) SET \(table.harmlessSet)").rowsAffected, 2, table.name)
            XCTAssertNoThrow(try table.insert(conn, a), table.name)
            XCTAssertNoThrow(try table.insert(conn, b), table.name)
        }
        try setTenant(conn, a.business)
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_sessions").scalar(Int.self), 4, "a tenant setting does not narrow call_service")
        XCTAssertEqual(try conn.execute("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions LIMIT 1").scalar(String.self), "+46701234567")
    }

    func testCurrentBusinessIdIsNullWhenUnsetOrEmpty() throws {
        let database = try makeDatabase()
        let conn = try F.schemaConnection(database)
        let fresh = try database.connect()
        XCTAssertNil(try XCTUnwrap(fresh.execute("SELECT get_current_business_id() AS id").first)["id"])
        try fresh.execute("SET app.current_business_id = ''")
        XCTAssertNil(try XCTUnwrap(fresh.execute("SELECT get_current_business_id() AS id").first)["id"])
        let id = UUID()
        try fresh.execute("SELECT set_config('app.current_business_id', $1, false)", [id.uuidString.lowercased()])
        XCTAssertEqual(try fresh.execute("SELECT get_current_business_id()").scalar(UUID.self), id)
        _ = conn
    }

    func testRowLevelSecurityIsEnabledOnAllSixTables() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let rows = try conn.execute(
            """
            SELECT c.relname, c.relrowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
            ORDER BY c.relname
            """, ["{\(Self.tables.map(\.name).joined(separator: ","))}"]).rows
        XCTAssertEqual(rows.count, 6)
        for row in rows {
            XCTAssertEqual(row["relrowsecurity"], "t", row["relname"] ?? "")
            XCTAssertEqual(row["policies"], "2", row["relname"] ?? "")
        }
    }

    func testOnlyTheServiceRoleMayDecryptPhones() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let row = try XCTUnwrap(conn.execute(
            """
            SELECT has_function_privilege('public', 'decrypt_customer_phone(text)', 'EXECUTE') AS public_may,
                   has_function_privilege('business_app', 'decrypt_customer_phone(text)', 'EXECUTE') AS tenant_may,
                   has_function_privilege('call_service', 'decrypt_customer_phone(text)', 'EXECUTE') AS service_may,
                   has_function_privilege('public', 'customer_phone_lookup_hash(text)', 'EXECUTE') AS public_may_hash
            """).first)
        XCTAssertEqual(row["public_may"], "f")
        XCTAssertEqual(row["tenant_may"], "f")
        XCTAssertEqual(row["service_may"], "t")
        XCTAssertEqual(row["public_may_hash"], "f")
    }

    func testTenantPolicyEvaluatesTheTenantFunctionOnceAsAnInitPlan() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let a = try makeTenant(conn)
        // Enough rows of several tenants that the index is worth using.
        try conn.execute("SET session_replication_role = replica")
        try conn.execute(
            """
            INSERT INTO call_events (call_session_id, business_id, event_type, source, timestamp)
            SELECT $1, CASE WHEN g % 50 = 0 THEN $2::uuid ELSE gen_random_uuid() END, 'question_asked', 'ai', now() + g * interval '1 ms'
            FROM generate_series(1, 20000) g
            """, [a.session, a.business])
        try conn.execute("SET session_replication_role = DEFAULT")
        try conn.execute("ANALYZE call_events")
        try conn.execute("SET ROLE business_app")
        try setTenant(conn, a.business)
        let plan = try conn.execute("EXPLAIN SELECT * FROM call_events ORDER BY timestamp DESC LIMIT 100").rows.compactMap { $0[0] }.joined(separator: "\n")
        XCTAssertTrue(plan.contains("InitPlan"), plan)
        // call_events is partitioned: the scan uses the partition's clone of the index.
        XCTAssertTrue(plan.contains("idx_call_events_business_timestamp") || plan.contains("_business_id_timestamp_idx"), plan)
        // No sequential scan of the partition holding the rows (empty partitions made ahead may be).
        try conn.execute("RESET ROLE")
        let full = try conn.execute("SELECT DISTINCT tableoid::regclass::text FROM call_events").rows.compactMap { $0[0] }
        try conn.execute("SET ROLE business_app")
        for partition in full { XCTAssertFalse(plan.contains("Seq Scan on \(partition) "), plan) }
        let count = try conn.execute("EXPLAIN SELECT count(*) FROM call_events").rows.compactMap { $0[0] }.joined(separator: "\n")
        XCTAssertTrue(count.contains("InitPlan"), count)
    }
}
