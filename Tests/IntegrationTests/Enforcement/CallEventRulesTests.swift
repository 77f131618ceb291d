import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// Which events a session accepts in each status, the chronological order of
/// a session's events (also under concurrency), and the tenant column child
/// rows inherit from their session.
final class CallEventRulesTests: XCTestCase {
    private typealias F = EnforcementFixtures

    /// The expected mapping, written out literally (the model's
    /// `CallFeedbackSchema.eventTypesByStatus` must agree with it).
    private static let expectedEventTypesByStatus: [String: Set<String>] = [
        "initiated": ["initiated", "connecting", "failed"],
        "connecting": ["connecting", "answered", "ai_connected", "failed"],
        "in_progress": ["answered", "ai_connected", "question_asked", "response_received", "warning_sent", "timeout", "completed", "failed"],
        "completed": ["completed"],
        "failed": ["failed"],
        "timeout": ["timeout"],
    ]
    private static let eventTypes = [
        "initiated", "connecting", "answered", "ai_connected", "question_asked", "response_received",
        "warning_sent", "timeout", "completed", "failed",
    ]

    func testModelEventTypesByStatusMatchTheExpectedTable() {
        let model = Dictionary(uniqueKeysWithValues: CallFeedbackSchema.eventTypesByStatus.map { ($0.status, Set($0.eventTypes)) })
        XCTAssertEqual(model, Self.expectedEventTypesByStatus)
        XCTAssertEqual(Set(CallFeedbackSchema.callEventTypes), Set(Self.eventTypes))
    }

    func testEventTypesAreAcceptedOnlyInTheStatusesThatAllowThem() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        var accepted = 0
        var rejected = 0
        for (status, allowed) in Self.expectedEventTypesByStatus.sorted(by: { $0.key < $1.key }) {
            let session = try F.session(conn, business: business, status: status)
            for (offset, type) in Self.eventTypes.enumerated() {
                let insert = { _ = try F.event(conn, session: session, type: type, at: Double(offset)) }
                if allowed.contains(type) {
                    XCTAssertNoThrow(try insert(), "\(type) while \(status) should be accepted")
                    accepted += 1
                } else {
                    let error = assertSQLState(.checkViolation, constraint: "call_events_event_type_allowed", "\(type) while \(status)") {
                        try insert()
                    }
                    XCTAssertEqual(error?.message, "invalid call_events.event_type: \(type) is not allowed while the call session is \(status)")
                    rejected += 1
                }
            }
            let stored = try conn.execute("SELECT event_type::text FROM call_events WHERE call_session_id = $1", [session]).rows.compactMap { $0[0] }
            XCTAssertEqual(Set(stored), allowed, status)
            XCTAssertEqual(stored.count, allowed.count, status)
        }
        XCTAssertEqual(accepted, 18)
        XCTAssertEqual(rejected, 42)
    }

    func testQuestionAskedIsRejectedAfterTheSessionCompleted() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn), status: "in_progress")
        try F.event(conn, session: session, type: "question_asked", at: 1)
        try conn.execute("UPDATE call_sessions SET status = 'completed' WHERE id = $1", [session])
        assertSQLState(.checkViolation, constraint: "call_events_event_type_allowed") {
            try F.event(conn, session: session, type: "question_asked", at: 2)
        }
        XCTAssertNoThrow(try F.event(conn, session: session, type: "completed", at: 3))
    }

    func testEventEarlierThanTheSessionsLatestEventIsRejected() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn), status: "in_progress")
        try F.event(conn, session: session, at: 10)
        let error = assertSQLState(.checkViolation, constraint: "call_events_timestamp_chronological") {
            try F.event(conn, session: session, at: 9.999999)
        }
        XCTAssertEqual(error?.column, "timestamp")
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_events").scalar(Int.self), 1)
    }

    func testEventAtTheSameTimestampAsTheLatestIsAccepted() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn), status: "in_progress")
        try F.event(conn, session: session, at: 10)
        XCTAssertNoThrow(try F.event(conn, session: session, type: "response_received", at: 10))
        XCTAssertNoThrow(try F.event(conn, session: session, type: "warning_sent", at: 11))
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_events").scalar(Int.self), 3)
    }

    func testEventsOfAnotherSessionDoNotAffectOrdering() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let first = try F.session(conn, business: business, status: "in_progress")
        let second = try F.session(conn, business: business, status: "in_progress")
        try F.event(conn, session: first, at: 100)
        XCTAssertNoThrow(try F.event(conn, session: second, at: 1))
        XCTAssertNoThrow(try F.event(conn, session: second, at: 2))
        assertSQLState(.checkViolation, constraint: "call_events_timestamp_chronological") {
            try F.event(conn, session: second, at: 1.5)
        }
        XCTAssertNoThrow(try F.event(conn, session: first, at: 100))
    }

    func testUpdatingAnEventBackInTimeIsRejected() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn), status: "in_progress")
        try F.event(conn, session: session, at: 10)
        try F.event(conn, session: session, type: "response_received", at: 20)
        assertSQLState(.checkViolation, constraint: "call_events_timestamp_chronological") {
            try conn.execute("UPDATE call_events SET timestamp = \(F.baseTime) + interval '5 seconds' WHERE event_type = 'response_received'")
        }
    }

    // MARK: - Concurrency

    func testConcurrentEarlierEventWaitsForTheLaterOneAndIsRejectedWhenItCommits() throws {
        let outcome = try runBlockedEarlierInsert(firstTransactionEnds: "COMMIT")
        XCTAssertEqual(outcome.sqlState, SQLState.checkViolation.rawValue, outcome.message ?? "")
        XCTAssertEqual(outcome.constraint, "call_events_timestamp_chronological")
    }

    func testConcurrentEarlierEventWaitsAndIsAcceptedWhenTheLaterOneRollsBack() throws {
        let outcome = try runBlockedEarlierInsert(firstTransactionEnds: "ROLLBACK")
        XCTAssertTrue(outcome.succeeded, outcome.message ?? "")
    }

    /// Connection A inserts an event at T2 and keeps its transaction open;
    /// connection B (another thread) inserts at T1 < T2 for the same session.
    /// B must wait for A (asserted through pg_stat_activity), then see A's
    /// outcome. Returns B's outcome; checks the stored events.
    private func runBlockedEarlierInsert(firstTransactionEnds end: String) throws -> EnforcementOutcome {
        let database = try makeDatabase()
        let conn = try F.schemaConnection(database)
        let session = try F.session(conn, business: try F.business(conn), status: "in_progress")
        try F.event(conn, session: session, at: 0)

        let connA = try database.connect()
        try connA.execute("BEGIN")
        try F.event(connA, session: session, at: 20)

        let writerB = BlockedWriter(database.settings) { connB in try F.event(connB, session: session, at: 10) }

        // B must be waiting on A's lock, not finished.
        XCTAssertTrue(try writerB.waitsOnALock(observer: conn), "connection B should wait for A's session lock")
        XCTAssertNil(writerB.outcomeSoFar, "B must not finish while A's transaction is open")

        try connA.execute(end)
        let outcome = try XCTUnwrap(writerB.outcome(), "B did not finish after A ended")

        let stored = try conn.execute(
            "SELECT extract(epoch FROM timestamp - \(F.baseTime))::int FROM call_events WHERE call_session_id = $1 ORDER BY timestamp",
            [session]).rows.compactMap { $0[0] }
        XCTAssertEqual(stored, end == "COMMIT" ? ["0", "20"] : ["0", "10"])
        return outcome
    }

    func testTwoWritersInsertingEventsForOneSessionNeverStoreAnEventOutOfOrder() throws {
        let database = try makeDatabase()
        let conn = try F.schemaConnection(database)
        let session = try F.session(conn, business: try F.business(conn), status: "in_progress")
        let settings = database.settings
        let perThread = 200
        let outcomes = EnforcementBox<[EnforcementOutcome]>([])
        let group = DispatchGroup()
        for writer in 0..<2 {
            group.enter()
            Thread {
                defer { group.leave() }
                var mine: [EnforcementOutcome] = []
                do {
                    let c = try settings.connect(applicationName: "enforce-stress-\(writer)")
                    for i in 0..<perThread {
                        // Each writer's clock increases; the two interleave 5 ms apart.
                        let seconds = Double(i) * 0.010 + Double(writer) * 0.005
                        do {
                            try F.event(c, session: session, at: seconds)
                            mine.append(.success)
                        } catch {
                            mine.append(EnforcementOutcome(error))
                        }
                    }
                } catch {
                    mine.append(EnforcementOutcome(error))
                }
                let finished = mine
                outcomes.update { $0 += finished }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success, "writers did not finish")

        let all = outcomes.get()
        XCTAssertEqual(all.count, 2 * perThread)
        let failures = all.filter { !$0.succeeded }
        for failure in failures {
            XCTAssertEqual(failure.sqlState, SQLState.checkViolation.rawValue, failure.message ?? "")
            XCTAssertEqual(failure.constraint, "call_events_timestamp_chronological", failure.message ?? "")
        }
        let accepted = all.count - failures.count
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_events WHERE call_session_id = $1", [session]).scalar(Int.self), accepted)
        XCTAssertGreaterThanOrEqual(accepted, perThread / 2)
        // Each insert commits on its own while holding the session lock, so
        // xmin order is commit order: no event may be earlier than one
        // committed before it.
        let backwards = try conn.execute(
            """
            SELECT count(*) FROM (
                SELECT timestamp < lag(timestamp) OVER (ORDER BY xmin::text::bigint) AS backwards
                FROM call_events WHERE call_session_id = $1
            ) ordered WHERE backwards
            """, [session]).scalar(Int.self)
        XCTAssertEqual(backwards, 0)
    }

    /// A REPEATABLE READ transaction that took its snapshot before another
    /// connection committed a later event must not add an earlier one.
    /// (Accepted outcomes: the ordering violation, a serialization failure, or the
    /// trigger's refusal of isolation levels other than READ COMMITTED.)
    func testEarlierEventFromARepeatableReadTransactionWithAnOlderSnapshotIsRejected() throws {
        let database = try makeDatabase()
        let conn = try F.schemaConnection(database)
        let session = try F.session(conn, business: try F.business(conn), status: "in_progress")
        try F.event(conn, session: session, at: 0)

        let reader = try database.connect()
        try reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        _ = try reader.execute("SELECT count(*) FROM call_events")  // takes the snapshot
        try F.event(conn, session: session, at: 20)  // commits a later event
        do {
            try F.event(reader, session: session, at: 10)
            try reader.execute("COMMIT")
            XCTFail("an event at T+10 was accepted after one at T+20 had committed (REPEATABLE READ snapshot predates it)")
        } catch let error as PQError {
            XCTAssertTrue(
                [SQLState.checkViolation, SQLState.serializationFailure, SQLState.featureNotSupported].contains(error.sqlState),
                error.debugDescription)
            _ = try? reader.execute("ROLLBACK")
        }
        let backwards = try conn.execute(
            """
            SELECT count(*) FROM (
                SELECT timestamp < lag(timestamp) OVER (ORDER BY xmin::text::bigint) AS backwards
                FROM call_events WHERE call_session_id = $1
            ) ordered WHERE backwards
            """, [session]).scalar(Int.self)
        XCTAssertEqual(backwards, 0, "stored events go backwards in commit order")
    }

    /// Likewise the session status: a REPEATABLE READ transaction whose
    /// snapshot predates the session's completion must not add a question.
    func testQuestionFromARepeatableReadTransactionAfterTheSessionCompletedIsRejected() throws {
        let database = try makeDatabase()
        let conn = try F.schemaConnection(database)
        let session = try F.session(conn, business: try F.business(conn), status: "in_progress")

        let reader = try database.connect()
        try reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        _ = try reader.execute("SELECT count(*) FROM call_sessions")  // takes the snapshot
        try conn.execute("UPDATE call_sessions SET status = 'completed' WHERE id = $1", [session])
        do {
            try F.event(reader, session: session, type: "question_asked", at: 10)
            try reader.execute("COMMIT")
            XCTFail("question_asked was accepted for a session that had completed (REPEATABLE READ snapshot predates it)")
        } catch let error as PQError {
            XCTAssertTrue(
                [SQLState.checkViolation, SQLState.serializationFailure, SQLState.featureNotSupported].contains(error.sqlState),
                error.debugDescription)
            _ = try? reader.execute("ROLLBACK")
        }
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_events WHERE event_type = 'question_asked'").scalar(Int.self), 0)
    }

    // MARK: - Tenant column of child rows

    func testChildRowsInheritTheBusinessOfTheirSessionWhenOmitted() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let session = try F.session(conn, business: business, status: "in_progress")
        try F.event(conn, session: session, at: 1)
        let question = try Self.question(conn, business: business)
        try Self.response(conn, session: session, question: question, business: nil)
        try Self.providerLog(conn, session: session, business: nil)
        for table in ["call_events", "call_responses", "telephony_provider_logs"] {
            let stored = try conn.execute("SELECT business_id FROM \(table) WHERE call_session_id = $1", [session]).scalar(UUID.self)
            XCTAssertEqual(stored, business, table)
        }
    }

    func testChildRowWithAnotherBusinessThanItsSessionIsRejected() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let other = try F.business(conn)
        let session = try F.session(conn, business: business, status: "in_progress")
        assertSQLState(.foreignKeyViolation, constraint: "call_events_call_session_id_fkey") {
            try F.event(conn, session: session, at: 1, business: other)
        }
        assertSQLState(.foreignKeyViolation, constraint: "telephony_provider_logs_call_session_id_fkey") {
            try Self.providerLog(conn, session: session, business: other)
        }
        let otherQuestion = try Self.question(conn, business: other)
        assertSQLState(.foreignKeyViolation) {
            try Self.response(conn, session: session, question: otherQuestion, business: other)
        }
        // A question of another business cannot be answered in this session either.
        assertSQLState(.foreignKeyViolation, constraint: "call_responses_question_id_fkey") {
            try Self.response(conn, session: session, question: otherQuestion, business: nil)
        }
        // Moving an event's business alone breaks the pair too.
        try F.event(conn, session: session, at: 2)
        assertSQLState(.foreignKeyViolation, constraint: "call_events_call_session_id_fkey") {
            try conn.execute("UPDATE call_events SET business_id = $1", [other])
        }
        for table in ["call_events", "call_responses", "telephony_provider_logs"] {
            XCTAssertEqual(try conn.execute("SELECT count(*) FROM \(table) WHERE business_id = $1", [other]).scalar(Int.self), 0, table)
        }
    }

    func testMovingASessionToAnotherBusinessMovesItsChildRows() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let other = try F.business(conn)
        let session = try F.session(conn, business: business, status: "in_progress")
        try F.event(conn, session: session, at: 1)
        try Self.providerLog(conn, session: session, business: nil)
        try conn.execute("UPDATE call_sessions SET business_id = $2 WHERE id = $1", [session, other])
        for table in ["call_events", "telephony_provider_logs"] {
            XCTAssertEqual(try conn.execute("SELECT business_id FROM \(table)").scalar(UUID.self), other, table)
        }
    }

    // MARK: - Rows of the other child tables

    static func question(_ conn: Connection, business: UUID) throws -> UUID {
        try conn.execute(
            """
            INSERT INTO question_configurations (business_id, question_text, frequency, department_tags)
            VALUES ($1, 'Hur nöjd var du med besöket?', 3, '["kassa"]') RETURNING id
            """, [business]).scalar(UUID.self)
    }

    @discardableResult
    static func response(_ conn: Connection, session: UUID, question: UUID, business: UUID?) throws -> QueryResult {
        try conn.execute(
            """
            INSERT INTO call_responses (call_session_id, business_id, question_id, question_text, response_text, response_duration, asked_at)
            VALUES ($1, $2, $3, 'Hur nöjd var du med besöket?', 'Mycket nöjd', 5, now())
            """, [session, business, question])
    }

    @discardableResult
    static func providerLog(_ conn: Connection, session: UUID, business: UUID?) throws -> QueryResult {
        try conn.execute(
            """
            INSERT INTO telephony_provider_logs (call_session_id, business_id, provider, provider_call_id, operation,
                request_payload, response_payload, status_code, latency_ms, success)
            VALUES ($1, $2, '46elks', 'call-1', 'initiate', '{}', '{}', 200, 42, true)
            """, [session, business])
    }
}
