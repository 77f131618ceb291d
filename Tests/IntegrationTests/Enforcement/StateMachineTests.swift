import Foundation
import PQClient
import SchemaModel
import XCTest

/// The call status state machine, enforced by the
/// `call_sessions_status_transition` trigger.
final class StateMachineTests: XCTestCase {
    private typealias F = EnforcementFixtures

    /// The seed's "Valid Transitions", written out literally
    /// (shared/seeds/000_088a15177456cdf3.txt, "Call Session State Machine").
    private static let seedTransitions: Set<[String]> = [
        ["initiated", "connecting"],
        ["initiated", "failed"],
        ["connecting", "in_progress"],
        ["connecting", "failed"],
        ["in_progress", "completed"],
        ["in_progress", "timeout"],
        ["in_progress", "failed"],
    ]
    private static let statuses = ["initiated", "connecting", "in_progress", "completed", "failed", "timeout"]

    private static func seedAllows(_ from: String, _ to: String) -> Bool {
        from == to || seedTransitions.contains([from, to])
    }

    func testModelStateMachineMatchesTheSeed() {
        let machine = CallFeedbackSchema.rules().stateMachine
        XCTAssertEqual(Set(machine.states), Set(Self.statuses))
        XCTAssertEqual(machine.initial, "initiated")
        for from in Self.statuses {
            for to in Self.statuses {
                XCTAssertEqual(machine.allows(from, to), Self.seedAllows(from, to), "\(from) -> \(to)")
            }
        }
    }

    func testAllThirtySixStatusPairsFollowTheSeedStateMachine() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        var succeeded = 0
        var rejected = 0
        for from in Self.statuses {
            for to in Self.statuses {
                let session = try F.session(conn, business: business, status: from)
                let update = { _ = try conn.execute("UPDATE call_sessions SET status = $2 WHERE id = $1", [session, to]) }
                if Self.seedAllows(from, to) {
                    XCTAssertNoThrow(try update(), "\(from) -> \(to) should be allowed")
                    succeeded += 1
                    XCTAssertEqual(try conn.execute("SELECT status::text FROM call_sessions WHERE id = $1", [session]).scalar(String.self), to)
                } else {
                    let error = assertSQLState(.checkViolation, constraint: "call_sessions_status_transition", "\(from) -> \(to)") {
                        try update()
                    }
                    XCTAssertEqual(error?.message, "invalid call_sessions.status transition: \(from) -> \(to)")
                    XCTAssertEqual(error?.table, "call_sessions")
                    XCTAssertEqual(error?.column, "status")
                    rejected += 1
                    XCTAssertEqual(try conn.execute("SELECT status::text FROM call_sessions WHERE id = $1", [session]).scalar(String.self), from,
                                   "a rejected transition leaves the status unchanged")
                }
            }
        }
        XCTAssertEqual(succeeded, 13, "7 transitions and 6 same-status updates")
        XCTAssertEqual(rejected, 23)
    }

    func testInvalidTransitionCompletedToInProgressIsRejected() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn), status: "completed")
        let error = assertSQLState(.checkViolation, constraint: "call_sessions_status_transition") {
            try conn.execute("UPDATE call_sessions SET status = 'in_progress' WHERE id = $1", [session])
        }
        XCTAssertEqual(error?.message, "invalid call_sessions.status transition: completed -> in_progress")
        XCTAssertEqual(error?.hint?.contains("in_progress -> completed"), true, error?.hint ?? "no hint")
    }

    func testTerminalStatusesAreFinal() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        for terminal in ["completed", "failed", "timeout"] {
            let session = try F.session(conn, business: business, status: terminal)
            for to in Self.statuses where to != terminal {
                assertSQLState(.checkViolation, constraint: "call_sessions_status_transition", "\(terminal) -> \(to)") {
                    try conn.execute("UPDATE call_sessions SET status = $2 WHERE id = $1", [session, to])
                }
            }
        }
    }

    func testInsertWithAnyStatusButInitiatedIsRejected() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let verification = try F.verification(conn)
        let insert = "INSERT INTO call_sessions (business_id, customer_phone, verification_id, status) VALUES ($1, '0701234567', $2, $3::call_status)"
        for status in Self.statuses where status != "initiated" {
            let error = assertSQLState(.checkViolation, constraint: "call_sessions_status_transition", status) {
                try conn.execute(insert, [business, verification, status])
            }
            XCTAssertEqual(error?.message.contains(status), true, error?.message ?? "")
        }
        XCTAssertNoThrow(try conn.execute(insert, [business, verification, "initiated"]))
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_sessions").scalar(Int.self), 1)
    }

    func testInsertWithoutStatusStartsAsInitiated() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn))
        XCTAssertEqual(try conn.execute("SELECT status::text FROM call_sessions WHERE id = $1", [session]).scalar(String.self), "initiated")
    }

    func testUpdatedAtChangesOnUpdateOfCallSessions() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn))
        try Self.backdateUpdatedAt(conn, table: "call_sessions", id: session)
        // Not a status change: any UPDATE maintains updated_at.
        let row = try XCTUnwrap(conn.execute(
            "UPDATE call_sessions SET transcript = 'hej' WHERE id = $1 RETURNING updated_at = now() AS is_now, updated_at > '2001-01-01' AS moved",
            [session]).first)
        XCTAssertEqual(try row.decode("is_now", as: Bool.self), true)
        XCTAssertEqual(try row.decode("moved", as: Bool.self), true)
        // A status change too, and an attempt to write updated_at is overridden.
        try Self.backdateUpdatedAt(conn, table: "call_sessions", id: session)
        let after = try XCTUnwrap(conn.execute(
            "UPDATE call_sessions SET status = 'connecting', updated_at = '2000-01-01' WHERE id = $1 RETURNING updated_at = now() AS is_now",
            [session]).first)
        XCTAssertEqual(try after.decode("is_now", as: Bool.self), true)
    }

    func testUpdatedAtChangesOnUpdateOfQuestionConfigurations() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let question = try conn.execute(
            """
            INSERT INTO question_configurations (business_id, question_text, frequency, department_tags)
            VALUES ($1, 'Hur nöjd var du med besöket?', 5, '["kassa"]') RETURNING id
            """, [business]).scalar(UUID.self)
        try Self.backdateUpdatedAt(conn, table: "question_configurations", id: question)
        let row = try XCTUnwrap(conn.execute(
            "UPDATE question_configurations SET frequency = 7 WHERE id = $1 RETURNING updated_at = now() AS is_now, updated_at > created_at AS after_creation",
            [question]).first)
        XCTAssertEqual(try row.decode("is_now", as: Bool.self), true)
        XCTAssertEqual(try row.decode("after_creation", as: Bool.self), true)
    }

    func testUpdatedAtAdvancesAcrossTransactions() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn))
        let before = try conn.execute("SELECT updated_at FROM call_sessions WHERE id = $1", [session]).scalar(Date.self)
        let after = try conn.transaction { conn in
            try conn.execute("SELECT pg_sleep(0.01)")
            return try conn.execute("UPDATE call_sessions SET status = 'connecting' WHERE id = $1 RETURNING updated_at", [session]).scalar(Date.self)
        }
        XCTAssertGreaterThan(after, before)
    }

    /// Sets `updated_at` to 2000-01-01 with triggers disabled (the trigger would overwrite it).
    private static func backdateUpdatedAt(_ conn: Connection, table: String, id: UUID) throws {
        try conn.execute("SET session_replication_role = replica")
        defer { _ = try? conn.execute("SET session_replication_role = DEFAULT") }
        let result = try conn.execute("UPDATE \(table) SET updated_at = '2000-01-01 00:00:00+00' WHERE id = $1", [id])
        XCTAssertEqual(result.rowsAffected, 1)
    }
}
