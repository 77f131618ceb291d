import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// The call_events rules trigger reads sessions with the owner's rights; a
/// tenant must still learn nothing about another tenant's session from it.
final class EventTriggerTenantTests: XCTestCase {
    func testAnotherTenantsSessionIsRejectedByRowSecurityWithoutRevealingItsStatus() throws {
        let database = try makeDatabase()
        let conn = try database.connect()
        try TestModel.applySchema(conn)
        let (a, b, verification) = (UUID(), UUID(), UUID())
        try conn.execute("INSERT INTO businesses VALUES ($1), ($2)", [a, b])
        try conn.execute("INSERT INTO customer_verifications VALUES ($1)", [verification])
        try TestModel.useKey(conn)
        let session = try conn.execute(
            "INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES ($1, $2, '0701234567') RETURNING id",
            [b, verification]
        ).scalar(UUID.self)
        for status in ["connecting", "in_progress", "completed"] {
            try conn.execute("UPDATE call_sessions SET status = $1 WHERE id = $2", [status, session])
        }

        try conn.execute("SET ROLE business_app")
        try conn.execute("SELECT set_config('app.current_business_id', $1, false)", [a.uuidString.lowercased()])
        // question_asked is not allowed on a completed session; tenant A must
        // not be told so (that would reveal B's session status).
        let error = assertSQLState(.insufficientPrivilege) {
            try conn.execute(
                "INSERT INTO call_events (call_session_id, event_type, source) VALUES ($1, 'question_asked', 'ai')", [session])
        }
        XCTAssertFalse(error?.message.contains("completed") ?? true, error?.message ?? "")
        try conn.execute("RESET ROLE")
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_events").scalar(Int.self), 0)

        // The owner's view is still enforced for B's own writes: the rule holds.
        try conn.execute("SET ROLE business_app")
        try conn.execute("SELECT set_config('app.current_business_id', $1, false)", [b.uuidString.lowercased()])
        assertSQLState(.checkViolation, constraint: "call_events_event_type_allowed") {
            try conn.execute(
                "INSERT INTO call_events (call_session_id, event_type, source) VALUES ($1, 'question_asked', 'ai')", [session])
        }
        try conn.execute("RESET ROLE")
    }
}
