import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// The seed's validation rules, enforced by the server: the generated
/// migration applied to a fresh database, then for each rule a boundary-good
/// row that is accepted and violating rows that are rejected with the right
/// SQLSTATE and constraint name. Rows are built by `CallFeedbackFixture`.
final class ConstraintTests: XCTestCase {
    private var fixture: CallFeedbackFixture!

    override func setUpWithError() throws {
        fixture = try CallFeedbackFixture(database: makeDatabase())
    }

    override func tearDown() {
        fixture = nil
    }

    /// Inserts each good value (must succeed) and each bad value (must fail
    /// with 23514 naming `constraint`) into `column` through `insert`.
    private func assertRule(
        _ constraint: String, column: String, accepts good: [SQLValue], rejects bad: [SQLValue],
        file: StaticString = #filePath, line: UInt = #line,
        insert: ([String: SQLValue]) throws -> UUID
    ) {
        XCTAssertFalse(good.isEmpty || bad.isEmpty, "a rule needs good and bad values", file: file, line: line)
        for value in good {
            XCTAssertNoThrow(try insert([column: value]), "\(column) = \(value) must be accepted", file: file, line: line)
        }
        for value in bad {
            assertSQLState(.checkViolation, constraint: constraint, "\(column) = \(value)", file: file, line: line) {
                _ = try insert([column: value])
            }
        }
    }

    private func merged(_ base: [String: SQLValue], _ overrides: [String: SQLValue]) -> [String: SQLValue] {
        base.merging(overrides) { $1 }
    }

    /// Every check constraint the tests below exercise; compared with the
    /// database so a new rule without a test fails here.
    static let coveredChecks: Set<String> = [
        "call_sessions_duration_seconds_range", "call_sessions_cost_estimate_non_negative",
        "call_sessions_questions_asked_is_array", "call_sessions_connected_after_start",
        "call_sessions_ended_after_start", "call_sessions_ended_after_connect",
        "call_sessions_customer_phone_hash_present",
        "question_configurations_question_text_length", "question_configurations_frequency_range",
        "question_configurations_active_period_valid", "question_configurations_department_tags_non_empty_array",
        "question_configurations_max_response_time_range", "question_configurations_follow_up_prompts_is_array",
        "call_events_event_data_is_object", "call_events_metadata_is_object",
        "call_events_archive_event_data_is_object", "call_events_archive_metadata_is_object",
        "call_responses_response_duration_range", "call_responses_confidence_score_range",
        "call_responses_sentiment_score_range", "call_responses_responded_after_asked",
        "call_responses_ai_analysis_is_object",
        "question_selection_logs_customer_count_positive", "question_selection_logs_selected_questions_is_array",
        "question_selection_logs_selection_algorithm_not_blank", "question_selection_logs_selection_criteria_is_object",
        "question_selection_logs_time_budget_range", "question_selection_logs_estimated_duration_within_budget",
        "telephony_provider_logs_status_code_valid_http", "telephony_provider_logs_latency_ms_non_negative",
        "telephony_provider_logs_error_message_required_on_failure",
        "phone_encryption_key_check_one_row", "phone_encryption_key_check_scheme_known",
        "phone_encryption_key_check_retiring_complete", "phone_encryption_key_check_retiring_older",
    ]

    /// On a time-partitioned table PostgreSQL names the partition the row
    /// went to in an error (its table, and its clone of a foreign key): the
    /// parent table and the parent's constraint those stand for.
    private func parentTable(_ table: String?) throws -> String? {
        guard let table else { return nil }
        return try fixture.connection.execute(
            """
            SELECT coalesce((SELECT p.relname::text FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                             WHERE i.inhrelid = to_regclass(quote_ident('public') || '.' || quote_ident($1))), $1)
            """, [table]).scalar(String.self)
    }

    private func parentConstraint(_ error: PQError?) throws -> String? {
        guard let error, let constraint = error.constraint else { return error?.constraint }
        return try fixture.connection.execute(
            """
            SELECT coalesce((SELECT p.conname::text FROM pg_constraint c JOIN pg_constraint p ON p.oid = c.conparentid
                             WHERE c.conname = $1 LIMIT 1), $1)
            """, [constraint]).scalar(String.self)
    }

    // MARK: - The migration itself

    func testMigrationAppliesCleanlyAndCreatesEveryTable() throws {
        let tables = try fixture.connection.execute("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname
            """).rows.compactMap { $0["relname"] }
        XCTAssertEqual(tables, [
            "businesses", "call_events", "call_events_archive", "call_responses", "call_sessions", "customer_verifications",
            "gdpr_erasure_log", "phone_encryption_key_check", "question_configurations", "question_selection_logs",
            "telephony_provider_logs",
        ])
    }

    func testEveryCheckConstraintInTheDatabaseIsCoveredByATest() throws {
        let names = try fixture.connection.execute("""
            SELECT conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace
            """).rows.compactMap { $0["conname"] }
        XCTAssertEqual(Set(names), Self.coveredChecks)
    }

    // MARK: - call_sessions

    func testDurationOver120SecondsOrNegativeIsRejected() {
        assertRule("call_sessions_duration_seconds_range", column: "duration_seconds", accepts: [0, 120, .null], rejects: [121, -1]) {
            try fixture.insertCallSession($0)
        }
    }

    func testDurationOver120SecondsIsRejectedOnUpdate() throws {
        let id = try fixture.insertCallSession()
        XCTAssertNoThrow(try fixture.update("call_sessions", id: id, ["duration_seconds": 120]))
        assertSQLState(.checkViolation, constraint: "call_sessions_duration_seconds_range") {
            try fixture.update("call_sessions", id: id, ["duration_seconds": 121])
        }
    }

    func testNegativeCostEstimateIsRejected() {
        assertRule("call_sessions_cost_estimate_non_negative", column: "cost_estimate", accepts: [0, 0.0001, 12.5, .null], rejects: [-0.0001, -1]) {
            try fixture.insertCallSession($0)
        }
    }

    func testQuestionsAskedMustBeAJSONArray() {
        assertRule(
            "call_sessions_questions_asked_is_array", column: "questions_asked",
            accepts: [.json("[]"), .json(#"["6a1f0c1e-0d7b-4c55-9a55-1b8f3f7d2c11"]"#)],
            rejects: [.json("{}"), .json(#""q1""#), .json("1"), .json("null")]
        ) { try fixture.insertCallSession($0) }
    }

    func testConnectedBeforeStartIsRejected() {
        assertRule("call_sessions_connected_after_start", column: "connected_at", accepts: [CallFeedbackFixture.at(0), CallFeedbackFixture.at(5), .null], rejects: [CallFeedbackFixture.at(-1)]) {
            try fixture.insertCallSession(merged(["started_at": .bind(CallFeedbackFixture.t0)], $0))
        }
    }

    func testEndedBeforeStartIsRejected() {
        assertRule("call_sessions_ended_after_start", column: "ended_at", accepts: [CallFeedbackFixture.at(0), CallFeedbackFixture.at(60), .null], rejects: [CallFeedbackFixture.at(-1)]) {
            try fixture.insertCallSession(merged(["started_at": .bind(CallFeedbackFixture.t0), "connected_at": .null], $0))
        }
    }

    func testEndedBeforeConnectIsRejected() {
        assertRule("call_sessions_ended_after_connect", column: "ended_at", accepts: [CallFeedbackFixture.at(10), CallFeedbackFixture.at(11)], rejects: [CallFeedbackFixture.at(9), CallFeedbackFixture.at(1)]) {
            try fixture.insertCallSession(merged(["started_at": .bind(CallFeedbackFixture.t0), "connected_at": CallFeedbackFixture.at(10)], $0))
        }
    }

    func testEndedBeforeStartIsRejectedOnUpdate() throws {
        let id = try fixture.insertCallSession(["started_at": .bind(CallFeedbackFixture.t0)])
        assertSQLState(.checkViolation, constraint: "call_sessions_ended_after_start") {
            try fixture.update("call_sessions", id: id, ["ended_at": CallFeedbackFixture.at(-30)])
        }
    }

    /// Runs `body` with every trigger disabled (`session_replication_role =
    /// replica`), so a constraint is exercised on its own.
    private func withTriggersDisabled(_ body: () throws -> Void) throws {
        try fixture.connection.execute("SET session_replication_role = replica")
        defer { _ = try? fixture.connection.execute("SET session_replication_role = origin") }
        try body()
    }

    private func phoneAndHash(of session: UUID) throws -> (phone: String?, hash: String?) {
        let row = try XCTUnwrap(fixture.connection.execute(
            "SELECT customer_phone, encode(customer_phone_hash, 'hex') AS hash FROM call_sessions WHERE id = $1", [session]).first)
        return (row["customer_phone"], row["hash"])
    }

    func testCustomerPhoneIsStoredEncryptedWithItsLookupHash() throws {
        let id = try fixture.insertCallSession(["customer_phone": "070-123 45 67"])
        let stored = try phoneAndHash(of: id)
        XCTAssertNotNil(stored.phone)
        XCTAssertFalse(stored.phone?.contains("701234567") ?? true, "the number is not stored in plain text")
        let decrypted = try fixture.connection.execute(
            "SELECT decrypt_customer_phone(customer_phone) FROM call_sessions WHERE id = $1", [id]).scalar(String.self)
        XCTAssertEqual(decrypted, CallFeedbackFixture.validPhone)
        let expectedHash = try fixture.connection.execute(
            "SELECT encode(customer_phone_lookup_hash($1), 'hex')", [CallFeedbackFixture.validPhone]).scalar(String.self)
        XCTAssertEqual(stored.hash, expectedHash)
        // A hash supplied by the client is ignored: the trigger computes it.
        let other = try fixture.insertCallSession(["customer_phone_hash": .null])
        XCTAssertEqual(try phoneAndHash(of: other).hash, expectedHash)
    }

    func testCustomerPhoneIsRequiredOnInsertAndNullOnlyThroughErasure() throws {
        let error = assertSQLState(.notNullViolation, "customer_phone = NULL on insert") {
            try fixture.insertCallSession(["customer_phone": .null])
        }
        XCTAssertEqual(error?.column, "customer_phone")
        XCTAssertEqual(error?.table, "call_sessions")
        let id = try fixture.insertCallSession()
        try fixture.update("call_sessions", id: id, ["customer_phone": .null])
        let erased = try phoneAndHash(of: id)
        XCTAssertNil(erased.phone)
        XCTAssertNil(erased.hash, "erasing the number removes its hash")
    }

    func testInvalidSwedishPhoneNumberIsRejected() {
        for bad in ["12345", "+4670123", "+1 555 123 4567", "0012345678"] {
            assertSQLState(.checkViolation, constraint: "call_sessions_customer_phone_swedish", bad) {
                try fixture.insertCallSession(["customer_phone": .bind(bad)])
            }
        }
    }

    func testClearingOnlyThePhoneHashIsUndoneByTheTrigger() throws {
        let id = try fixture.insertCallSession()
        let before = try phoneAndHash(of: id)
        XCTAssertNotNil(before.hash)
        try fixture.update("call_sessions", id: id, ["customer_phone_hash": .null])
        XCTAssertEqual(try phoneAndHash(of: id).hash, before.hash, "the hash only ever follows the number")
        try fixture.update("call_sessions", id: id, ["customer_phone_hash": .expression("'\\x00'::bytea")])
        XCTAssertEqual(try phoneAndHash(of: id).hash, before.hash)
    }

    /// The check itself, with the trigger that normally keeps the pair in
    /// step switched off.
    func testPhoneWithoutHashOrHashWithoutPhoneIsRejected() throws {
        let id = try fixture.insertCallSession()
        try withTriggersDisabled {
            assertSQLState(.checkViolation, constraint: "call_sessions_customer_phone_hash_present", "hash cleared") {
                try fixture.update("call_sessions", id: id, ["customer_phone_hash": .null])
            }
            assertSQLState(.checkViolation, constraint: "call_sessions_customer_phone_hash_present", "phone cleared") {
                try fixture.update("call_sessions", id: id, ["customer_phone": .null])
            }
            XCTAssertNoThrow(try fixture.update("call_sessions", id: id, ["customer_phone": .null, "customer_phone_hash": .null]))
        }
    }

    // MARK: - Call status state machine

    static let statuses = ["initiated", "connecting", "in_progress", "completed", "failed", "timeout"]
    static let transitions: Set<String> = [
        "initiated->connecting", "initiated->failed", "connecting->in_progress", "connecting->failed",
        "in_progress->completed", "in_progress->timeout", "in_progress->failed",
    ]

    func testSessionsStartAsInitiated() {
        XCTAssertNoThrow(try fixture.insertCallSession(["status": "initiated"]))
        for status in Self.statuses where status != "initiated" {
            assertSQLState(.checkViolation, constraint: "call_sessions_status_transition", "insert as \(status)") {
                try fixture.insertCallSession(["status": .bind(status)])
            }
        }
    }

    func testStatusChangesFollowTheStateMachine() throws {
        for from in Self.statuses {
            for to in Self.statuses where to != from {
                let id = try fixture.insertCallSession()
                try fixture.moveSession(id, to: from)
                XCTAssertEqual(try fixture.status(of: id), from)
                if Self.transitions.contains("\(from)->\(to)") {
                    XCTAssertNoThrow(try fixture.update("call_sessions", id: id, ["status": .bind(to)]), "\(from) -> \(to)")
                    XCTAssertEqual(try fixture.status(of: id), to)
                } else {
                    assertSQLState(.checkViolation, constraint: "call_sessions_status_transition", "\(from) -> \(to)") {
                        try fixture.update("call_sessions", id: id, ["status": .bind(to)])
                    }
                    XCTAssertEqual(try fixture.status(of: id), from)
                }
            }
            // Keeping the status is always allowed.
            let id = try fixture.insertCallSession()
            try fixture.moveSession(id, to: from)
            XCTAssertNoThrow(try fixture.update("call_sessions", id: id, ["status": .bind(from)]), "\(from) -> \(from)")
        }
    }

    // MARK: - Call event rules

    static let eventTypes = [
        "initiated", "connecting", "answered", "ai_connected", "question_asked", "response_received",
        "warning_sent", "timeout", "completed", "failed",
    ]
    static let eventTypesByStatus: [String: Set<String>] = [
        "initiated": ["initiated", "connecting", "failed"],
        "connecting": ["connecting", "answered", "ai_connected", "failed"],
        "in_progress": ["answered", "ai_connected", "question_asked", "response_received", "warning_sent", "timeout", "completed", "failed"],
        "completed": ["completed"],
        "failed": ["failed"],
        "timeout": ["timeout"],
    ]

    func testEventTypeMustSuitTheSessionStatus() throws {
        for status in Self.statuses {
            let session = try fixture.insertCallSession()
            try fixture.moveSession(session, to: status)
            let allowed = try XCTUnwrap(Self.eventTypesByStatus[status], status)
            for type in Self.eventTypes {
                if allowed.contains(type) {
                    XCTAssertNoThrow(try fixture.insertCallEvent(session: session, ["event_type": .bind(type)]), "\(type) while \(status)")
                } else {
                    assertSQLState(.checkViolation, constraint: "call_events_event_type_allowed", "\(type) while \(status)") {
                        try fixture.insertCallEvent(session: session, ["event_type": .bind(type)])
                    }
                }
            }
        }
    }

    func testEventTimestampsNeverGoBackwardsWithinASession() throws {
        let session = try fixture.insertCallSession()
        try fixture.insertCallEvent(session: session, ["timestamp": CallFeedbackFixture.at(10)])
        XCTAssertNoThrow(try fixture.insertCallEvent(session: session, ["timestamp": CallFeedbackFixture.at(10)]), "same instant")
        XCTAssertNoThrow(try fixture.insertCallEvent(session: session, ["timestamp": CallFeedbackFixture.at(11)]))
        assertSQLState(.checkViolation, constraint: "call_events_timestamp_chronological") {
            try fixture.insertCallEvent(session: session, ["timestamp": CallFeedbackFixture.at(10)])
        }
        let moved = try fixture.insertCallEvent(session: session, ["timestamp": CallFeedbackFixture.at(12)])
        assertSQLState(.checkViolation, constraint: "call_events_timestamp_chronological", "on update") {
            try fixture.update("call_events", id: moved, ["timestamp": CallFeedbackFixture.at(0)])
        }
        // Another session's events do not constrain this one.
        XCTAssertNoThrow(try fixture.insertCallEvent(["timestamp": CallFeedbackFixture.at(-100)]))
    }

    // MARK: - Business of child rows

    static let sessionChildren = ["call_events", "call_responses", "telephony_provider_logs", "call_events_archive"]

    func testChildRowsTakeTheSessionsBusinessWhenOmitted() throws {
        for table in Self.sessionChildren {
            let business = try fixture.insertBusiness()
            let session = try fixture.insertCallSession(business: business)
            let id: UUID
            do {
                id = try insertChild(table, session: session, ["business_id": .null])
            } catch {
                XCTFail("\(table): a row without business_id must take the session's business, got \(error)")
                continue
            }
            let stored = try fixture.connection.execute(
                "SELECT business_id FROM \(fixture.qualified(table)) WHERE id = $1", [id]).scalar(UUID.self)
            XCTAssertEqual(stored, business, table)
        }
    }

    func testChildRowsOfAnotherBusinessThanTheirSessionAreRejected() throws {
        let stranger = try fixture.insertBusiness()
        for table in Self.sessionChildren {
            let session = try fixture.insertCallSession()
            assertSQLState(.foreignKeyViolation, constraint: "\(table)_call_session_id_fkey", table) {
                _ = try insertChild(table, session: session, ["business_id": .uuid(stranger)])
            }
        }
    }

    func testAResponseToAnotherBusinesssQuestionIsRejected() throws {
        let session = try fixture.insertCallSession()
        let foreignQuestion = try fixture.insertQuestion()
        assertSQLState(.foreignKeyViolation, constraint: "call_responses_question_id_fkey") {
            try fixture.insertCallResponse(session: session, question: foreignQuestion, ["business_id": .uuid(fixture.businessOfSession(session))])
        }
        assertSQLState(.foreignKeyViolation, constraint: "call_responses_question_id_fkey", "business_id filled from the session") {
            try fixture.insertCallResponse(session: session, question: foreignQuestion)
        }
    }

    func testMovingASessionToAnotherBusinessMovesItsChildRows() throws {
        let session = try fixture.insertCallSession()
        for table in ["call_events", "telephony_provider_logs", "call_events_archive"] {
            _ = try insertChild(table, session: session, [:])
        }
        let newBusiness = try fixture.insertBusiness()
        try fixture.update("call_sessions", id: session, ["business_id": .uuid(newBusiness)])
        for table in ["call_events", "telephony_provider_logs", "call_events_archive"] {
            let business = try fixture.connection.execute(
                "SELECT business_id FROM \(fixture.qualified(table)) WHERE call_session_id = $1", [session]).scalar(UUID.self)
            XCTAssertEqual(business, newBusiness, "\(table) follows its session (ON UPDATE CASCADE)")
        }
    }

    private func insertChild(_ table: String, session: UUID, _ overrides: [String: SQLValue]) throws -> UUID {
        switch table {
        case "call_events": return try fixture.insertCallEvent(session: session, overrides)
        case "call_responses": return try fixture.insertCallResponse(session: session, overrides)
        case "telephony_provider_logs": return try fixture.insertProviderLog(session: session, overrides)
        case "call_events_archive": return try fixture.insertArchivedEvent(session: session, overrides)
        default:
            XCTFail("no child table \(table)")
            throw PQError(kind: .usage, message: "no child table \(table)")
        }
    }

    // MARK: - question_configurations

    func testQuestionTextLengthIsCountedInCharactersNotBytes() {
        let nine = String(repeating: "å", count: 9)  // 18 bytes: too short in characters
        let ten = String(repeating: "ä", count: 10)
        let fiveHundred = String(repeating: "ö", count: 500)  // 1000 bytes: fine in characters
        let fiveHundredOne = String(repeating: "ö", count: 501)
        XCTAssertEqual(nine.utf8.count, 18)
        XCTAssertEqual(fiveHundred.utf8.count, 1000)
        assertRule(
            "question_configurations_question_text_length", column: "question_text",
            accepts: [.bind(ten), .bind(fiveHundred), "Hur mår du"],
            rejects: [.bind(nine), .bind(fiveHundredOne), "", "Hur mår d"]
        ) { try fixture.insertQuestion($0) }
    }

    func testFrequencyOutside1To100IsRejected() {
        assertRule("question_configurations_frequency_range", column: "frequency", accepts: [1, 100], rejects: [0, 101, -5]) {
            try fixture.insertQuestion($0)
        }
    }

    func testActivePeriodEndingBeforeItStartsIsRejected() {
        assertRule(
            "question_configurations_active_period_valid", column: "active_until",
            accepts: ["2025-10-01", "2025-10-02", .null], rejects: ["2025-09-30"]
        ) { try fixture.insertQuestion(merged(["active_from": "2025-10-01"], $0)) }
        XCTAssertNoThrow(try fixture.insertQuestion(["active_from": .null, "active_until": "2025-01-01"]))
    }

    func testDepartmentTagsMustBeANonEmptyArrayOfStrings() {
        assertRule(
            "question_configurations_department_tags_non_empty_array", column: "department_tags",
            accepts: [.json(#"["kassa"]"#), .json(#"["kassa", "bageri", "frukt & grönt"]"#)],
            rejects: [
                .json(#"{"dept": "kassa"}"#), .json("[]"), .json("[1]"), .json(#"["kassa", 2]"#),
                .json(#"[null]"#), .json(#"[{"name": "kassa"}]"#), .json(#""kassa""#), .json("null"),
            ]
        ) { try fixture.insertQuestion($0) }
    }

    /// A nested array is not an array of strings, and `[[]]` holds no tag at
    /// all; a lax jsonpath unwraps the inner arrays and lets them through.
    func testDepartmentTagsHoldingNestedArraysAreRejected() {
        assertRule(
            "question_configurations_department_tags_non_empty_array", column: "department_tags",
            accepts: [.json(#"["kassa"]"#)], rejects: [.json(#"[["kassa"]]"#), .json("[[]]")]
        ) { try fixture.insertQuestion($0) }
    }

    func testMaxResponseTimeOutside1To60IsRejected() {
        assertRule("question_configurations_max_response_time_range", column: "max_response_time", accepts: [1, 60], rejects: [0, 61]) {
            try fixture.insertQuestion($0)
        }
    }

    func testFollowUpPromptsMustBeAnArrayWhenPresent() {
        assertRule(
            "question_configurations_follow_up_prompts_is_array", column: "follow_up_prompts",
            accepts: [.null, .json("[]"), .json(#"["Kan du utveckla?"]"#)],
            rejects: [.json(#"{"prompt": "Kan du utveckla?"}"#), .json(#""Kan du utveckla?""#)]
        ) { try fixture.insertQuestion($0) }
    }

    // MARK: - call_events

    func testEventDataMustBeAJSONObject() {
        assertRule(
            "call_events_event_data_is_object", column: "event_data",
            accepts: [.json("{}"), .json(#"{"question_id": "q1"}"#)],
            rejects: [.json("[]"), .json(#""answered""#), .json("null"), .json("1")]
        ) { try fixture.insertCallEvent($0) }
    }

    func testMetadataMustBeAJSONObjectWhenPresent() {
        assertRule(
            "call_events_metadata_is_object", column: "metadata",
            accepts: [.null, .json("{}")], rejects: [.json("[]"), .json("true")]
        ) { try fixture.insertCallEvent($0) }
    }

    func testArchivedEventDataMustBeAJSONObject() {
        assertRule(
            "call_events_archive_event_data_is_object", column: "event_data",
            accepts: [.json("{}"), .json(#"{"question_id": "q1"}"#)],
            rejects: [.json("[]"), .json(#""answered""#), .json("null"), .json("1")]
        ) { try fixture.insertArchivedEvent($0) }
    }

    func testArchivedMetadataMustBeAJSONObjectWhenPresent() {
        assertRule(
            "call_events_archive_metadata_is_object", column: "metadata",
            accepts: [.null, .json("{}")], rejects: [.json("[]"), .json("true")]
        ) { try fixture.insertArchivedEvent($0) }
    }

    // MARK: - call_responses

    func testResponseDurationOutside0To60IsRejected() {
        assertRule("call_responses_response_duration_range", column: "response_duration", accepts: [0, 60], rejects: [61, -1]) {
            try fixture.insertCallResponse($0)
        }
    }

    func testConfidenceScoreOutside0To1IsRejected() {
        assertRule("call_responses_confidence_score_range", column: "confidence_score", accepts: [0, 1, 0.5, .null], rejects: [-0.001, 1.001]) {
            try fixture.insertCallResponse($0)
        }
    }

    func testSentimentScoreOutsideMinus1To1IsRejected() {
        assertRule("call_responses_sentiment_score_range", column: "sentiment_score", accepts: [-1, 1, 0, .null], rejects: [-1.001, 1.001]) {
            try fixture.insertCallResponse($0)
        }
    }

    func testResponseBeforeItsQuestionIsRejected() {
        assertRule(
            "call_responses_responded_after_asked", column: "responded_at",
            accepts: [CallFeedbackFixture.at(0), CallFeedbackFixture.at(1), .null], rejects: [CallFeedbackFixture.at(-1)]
        ) { try fixture.insertCallResponse(merged(["asked_at": .bind(CallFeedbackFixture.t0)], $0)) }
    }

    func testAIAnalysisMustBeAJSONObjectWhenPresent() {
        assertRule(
            "call_responses_ai_analysis_is_object", column: "ai_analysis",
            accepts: [.null, .json(#"{"topics": ["kassa"]}"#)], rejects: [.json(#"["positive"]"#), .json(#""positive""#)]
        ) { try fixture.insertCallResponse($0) }
    }

    // MARK: - question_selection_logs

    func testCustomerCountMustBePositive() {
        assertRule("question_selection_logs_customer_count_positive", column: "customer_count", accepts: [1], rejects: [0, -1]) {
            try fixture.insertSelectionLog($0)
        }
    }

    func testTimeBudgetOutside60To120IsRejected() {
        assertRule("question_selection_logs_time_budget_range", column: "time_budget_seconds", accepts: [60, 120], rejects: [59, 121]) {
            try fixture.insertSelectionLog(merged(["estimated_duration": 30], $0))
        }
    }

    func testEstimatedDurationMustBeBetweenZeroAndTheTimeBudget() {
        assertRule("question_selection_logs_estimated_duration_within_budget", column: "estimated_duration", accepts: [0, 90], rejects: [91, -1]) {
            try fixture.insertSelectionLog(merged(["time_budget_seconds": 90], $0))
        }
    }

    func testBlankSelectionAlgorithmIsRejected() {
        assertRule("question_selection_logs_selection_algorithm_not_blank", column: "selection_algorithm", accepts: ["v", " v2 "], rejects: ["", "   "]) {
            try fixture.insertSelectionLog($0)
        }
    }

    func testSelectedQuestionsMustBeAnArrayAndCriteriaAnObject() {
        assertRule("question_selection_logs_selected_questions_is_array", column: "selected_questions", accepts: [.json("[]")], rejects: [.json("{}")]) {
            try fixture.insertSelectionLog($0)
        }
        assertRule("question_selection_logs_selection_criteria_is_object", column: "selection_criteria", accepts: [.json("{}")], rejects: [.json("[]")]) {
            try fixture.insertSelectionLog($0)
        }
    }

    // MARK: - telephony_provider_logs

    func testStatusCodeOutsideHTTPRangeIsRejected() {
        assertRule("telephony_provider_logs_status_code_valid_http", column: "status_code", accepts: [100, 599], rejects: [99, 600, 0]) {
            try fixture.insertProviderLog($0)
        }
    }

    func testNegativeLatencyIsRejected() {
        assertRule("telephony_provider_logs_latency_ms_non_negative", column: "latency_ms", accepts: [0], rejects: [-1]) {
            try fixture.insertProviderLog($0)
        }
    }

    func testErrorMessageIsRequiredWhenTheOperationFailed() {
        assertRule(
            "telephony_provider_logs_error_message_required_on_failure", column: "error_message",
            accepts: ["503 from provider"], rejects: [.null, "", "   "]
        ) { try fixture.insertProviderLog(merged(["success": false, "status_code": 503], $0)) }
        XCTAssertNoThrow(try fixture.insertProviderLog(["success": true, "error_message": .null]))
    }

    func testMarkingASuccessfulOperationFailedWithoutMessageIsRejectedOnUpdate() throws {
        let id = try fixture.insertProviderLog(["success": true])
        assertSQLState(.checkViolation, constraint: "telephony_provider_logs_error_message_required_on_failure") {
            try fixture.update("telephony_provider_logs", id: id, ["success": false])
        }
    }

    // MARK: - NOT NULL

    /// Every managed table's columns, in order, and which of them the
    /// database leaves nullable.
    static let columns: [String: (all: [String], nullable: Set<String>)] = [
        "call_sessions": (
            ["id", "business_id", "customer_phone", "customer_phone_hash", "verification_id", "status", "started_at",
             "connected_at", "ended_at", "duration_seconds", "questions_asked", "ai_session_id", "telephony_call_id",
             "cost_estimate", "recording_url", "transcript", "transcript_anonymized_at", "created_at", "updated_at",
             "customer_phone_key_generation"],
            ["customer_phone", "customer_phone_hash", "connected_at", "ended_at", "duration_seconds", "ai_session_id",
             "telephony_call_id", "cost_estimate", "recording_url", "transcript", "transcript_anonymized_at"]),
        "question_configurations": (
            ["id", "business_id", "question_text", "frequency", "priority", "department_tags", "active_from", "active_until",
             "is_active", "max_response_time", "follow_up_prompts", "created_at", "updated_at"],
            ["active_from", "active_until", "follow_up_prompts"]),
        "call_events": (
            ["id", "call_session_id", "business_id", "event_type", "event_data", "timestamp", "source", "metadata"], ["metadata"]),
        "call_responses": (
            ["id", "call_session_id", "business_id", "question_id", "question_text", "response_text", "response_duration",
             "confidence_score", "sentiment_score", "asked_at", "responded_at", "ai_analysis", "created_at"],
            ["confidence_score", "sentiment_score", "responded_at", "ai_analysis"]),
        "question_selection_logs": (
            ["id", "business_id", "customer_count", "selected_questions", "selection_algorithm", "selection_criteria",
             "time_budget_seconds", "estimated_duration", "created_at"],
            []),
        "telephony_provider_logs": (
            ["id", "call_session_id", "business_id", "provider", "provider_call_id", "operation", "request_payload",
             "response_payload", "status_code", "latency_ms", "success", "error_message", "created_at"],
            ["error_message"]),
        "call_events_archive": (
            ["id", "call_session_id", "business_id", "event_type", "event_data", "timestamp", "source", "metadata", "archived_at"],
            ["metadata"]),
        "gdpr_erasure_log": (
            ["id", "erased_at", "erased_by", "sessions", "responses", "events", "archived_events", "provider_logs"],
            []),
        "phone_encryption_key_check": (
            ["id", "check_value", "registered_at", "registered_by", "generation", "scheme", "retiring_check_value",
             "retiring_generation", "retiring_scheme"],
            ["retiring_check_value", "retiring_generation", "retiring_scheme"]),
    ]

    /// NOT NULL columns a trigger fills when an insert leaves them NULL
    /// (tested in `testChildRowsTakeTheSessionsBusinessWhenOmitted`).
    static let filledByTrigger: Set<String> = [
        "call_events.business_id", "call_responses.business_id", "telephony_provider_logs.business_id",
        "call_events_archive.business_id",
    ]

    /// Nullable columns whose NULL an insert still cannot store: a trigger
    /// rejects or replaces it (tested in the call_sessions tests above).
    static let nullableButNotOnInsert: Set<String> = ["call_sessions.customer_phone"]

    func testColumnsAndNullabilityInTheDatabaseMatchTheList() throws {
        let rows = try fixture.connection.execute("""
            SELECT c.relname AS table, a.attname AS column, NOT a.attnotnull AS nullable
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
              AND c.relname NOT IN ('businesses', 'customer_verifications')
            ORDER BY c.relname, a.attnum
            """).rows
        var all: [String: [String]] = [:]
        var nullable: [String: Set<String>] = [:]
        for row in rows {
            let table = try row.decode("table", as: String.self)
            let column = try row.decode("column", as: String.self)
            all[table, default: []].append(column)
            nullable[table, default: []].formUnion(try row.decode("nullable", as: Bool.self) ? [column] : [])
        }
        XCTAssertEqual(Set(all.keys), Set(Self.columns.keys))
        for (table, expected) in Self.columns {
            XCTAssertEqual(all[table], expected.all, table)
            XCTAssertEqual(nullable[table] ?? [], expected.nullable, table)
        }
    }

    func testRequiredColumnsRejectNullWith23502() {
        var checked = 0
        for (table, columns) in Self.columns.sorted(by: { $0.key < $1.key }) {
            for column in columns.all where !columns.nullable.contains(column) && !Self.filledByTrigger.contains("\(table).\(column)") {
                // The phone trigger always sets the key generation (tested with the triggers off below).
                if table == "call_sessions" && column == "customer_phone_key_generation" { continue }
                checked += 1
                if table == "call_sessions" && column == "status" {
                    // The state machine trigger runs before the NOT NULL check: a new row starts as 'initiated'.
                    assertSQLState(.checkViolation, constraint: "call_sessions_status_transition", "\(table).\(column)") {
                        try fixture.insertRow(into: table, [column: .null])
                    }
                    continue
                }
                let error = assertSQLState(.notNullViolation, "\(table).\(column)") {
                    if table == "phone_encryption_key_check" {
                        // One row with a boolean id: no uuid-returning fixture fits it.
                        let values = ["id": "true", "check_value": "'\\x01'::bytea", "registered_at": "now()", "registered_by": "'x'"]
                            .merging([column: "NULL"]) { $1 }.sorted { $0.key < $1.key }
                        try fixture.connection.execute(
                            "INSERT INTO phone_encryption_key_check (\(values.map(\.key).joined(separator: ", "))) VALUES (\(values.map(\.value).joined(separator: ", ")))")
                    } else {
                        try fixture.insertRow(into: table, [column: .null])
                    }
                }
                XCTAssertEqual(error?.column, column, "\(table).\(column)")
                XCTAssertEqual(try parentTable(error?.table), table, "\(table).\(column)")
            }
        }
        XCTAssertEqual(checked, 73)
    }

    /// The NOT NULL constraints a trigger stands in front of, with the
    /// triggers switched off.
    func testTriggerGuardedRequiredColumnsRejectNullWithoutTheTriggers() throws {
        let session = try fixture.insertCallSession()
        let business = try fixture.businessOfSession(session)
        try withTriggersDisabled {
            let status = assertSQLState(.notNullViolation, "call_sessions.status") {
                try fixture.update("call_sessions", id: session, ["status": .null])
            }
            XCTAssertEqual(status?.column, "status")
            let generation = assertSQLState(.notNullViolation, "call_sessions.customer_phone_key_generation") {
                try fixture.update("call_sessions", id: session, ["customer_phone_key_generation": .null])
            }
            XCTAssertEqual(generation?.column, "customer_phone_key_generation")
            for entry in Self.filledByTrigger.sorted() {
                let table = String(entry.prefix { $0 != "." })
                let error = assertSQLState(.notNullViolation, entry) {
                    _ = try insertChild(table, session: session, ["business_id": .null])
                }
                XCTAssertEqual(error?.column, "business_id", entry)
                XCTAssertEqual(try parentTable(error?.table), table, entry)
            }
            XCTAssertNoThrow(try insertChild("call_events", session: session, ["business_id": .uuid(business)]))
        }
    }

    func testNullableColumnsAcceptNull() {
        for (table, columns) in Self.columns.sorted(by: { $0.key < $1.key }) {
            for column in columns.nullable.sorted() where !Self.nullableButNotOnInsert.contains("\(table).\(column)") {
                if table == "phone_encryption_key_check" {
                    // Its one row is the fixture's key record: set the column NULL on it.
                    XCTAssertNoThrow(try fixture.connection.execute(
                        "UPDATE phone_encryption_key_check SET \(column) = NULL"), "\(table).\(column)")
                    continue
                }
                XCTAssertNoThrow(try fixture.insertRow(into: table, [column: .null]), "\(table).\(column)")
            }
        }
    }

    // MARK: - Foreign keys

    func testForeignKeysRejectUnknownParentsWith23503() {
        let unknown = SQLValue.uuid(UUID())
        let cases: [(String, String, String)] = [
            ("call_sessions", "business_id", "call_sessions_business_id_fkey"),
            ("call_sessions", "verification_id", "call_sessions_verification_id_fkey"),
            ("question_configurations", "business_id", "question_configurations_business_id_fkey"),
            ("call_events", "call_session_id", "call_events_call_session_id_fkey"),
            ("call_responses", "call_session_id", "call_responses_call_session_id_fkey"),
            ("call_responses", "question_id", "call_responses_question_id_fkey"),
            ("question_selection_logs", "business_id", "question_selection_logs_business_id_fkey"),
            ("telephony_provider_logs", "call_session_id", "telephony_provider_logs_call_session_id_fkey"),
            ("call_events_archive", "call_session_id", "call_events_archive_call_session_id_fkey"),
        ]
        for (table, column, constraint) in cases {
            let error = assertSQLState(.foreignKeyViolation, "\(table).\(column)") {
                try fixture.insertRow(into: table, [column: unknown])
            }
            XCTAssertEqual(try parentConstraint(error), constraint, "\(table).\(column)")
        }
    }

    func testDeletingACallSessionCascadesToItsEventsResponsesProviderLogsAndArchivedEvents() throws {
        let business = try fixture.insertBusiness()
        let session = try fixture.insertCallSession(business: business)
        let other = try fixture.insertCallSession(business: business)
        let question = try fixture.insertQuestion(business: business)
        for id in [session, session, other] {
            try fixture.insertCallEvent(session: id)
            try fixture.insertCallResponse(session: id, question: question)
            try fixture.insertProviderLog(session: id)
            try fixture.insertArchivedEvent(session: id)
        }
        let children = ["call_events", "call_responses", "telephony_provider_logs", "call_events_archive"]
        for table in children {
            XCTAssertEqual(try fixture.count(table, where: "call_session_id", is: session), 2, table)
        }

        try fixture.delete(from: "call_sessions", id: session)

        for table in children {
            XCTAssertEqual(try fixture.count(table, where: "call_session_id", is: session), 0, table)
            XCTAssertEqual(try fixture.count(table, where: "call_session_id", is: other), 1, "\(table): another session's rows stay")
        }
        XCTAssertEqual(try fixture.count("question_configurations", where: "id", is: question), 1)
    }

    func testDeletingABusinessWithCallSessionsIsRestricted() throws {
        let business = try fixture.insertBusiness()
        try fixture.insertCallSession(business: business)
        assertSQLState(.foreignKeyViolation, constraint: "call_sessions_business_id_fkey") {
            try fixture.delete(from: "businesses", id: business)
        }
        XCTAssertEqual(try fixture.count("businesses", where: "id", is: business), 1)
    }

    func testDeletingABusinessWithQuestionsOrSelectionLogsIsRestricted() throws {
        let withQuestion = try fixture.insertBusiness()
        try fixture.insertQuestion(business: withQuestion)
        assertSQLState(.foreignKeyViolation, constraint: "question_configurations_business_id_fkey") {
            try fixture.delete(from: "businesses", id: withQuestion)
        }
        let withLog = try fixture.insertBusiness()
        try fixture.insertSelectionLog(business: withLog)
        assertSQLState(.foreignKeyViolation, constraint: "question_selection_logs_business_id_fkey") {
            try fixture.delete(from: "businesses", id: withLog)
        }
        let unused = try fixture.insertBusiness()
        XCTAssertNoThrow(try fixture.delete(from: "businesses", id: unused))
    }

    func testDeletingAVerificationWithCallSessionsIsRestricted() throws {
        let verification = try fixture.insertVerification()
        try fixture.insertCallSession(verification: verification)
        assertSQLState(.foreignKeyViolation, constraint: "call_sessions_verification_id_fkey") {
            try fixture.delete(from: "customer_verifications", id: verification)
        }
    }

    func testDeletingAQuestionWithResponsesIsRestrictedAndWithoutResponsesAllowed() throws {
        let answered = try fixture.insertQuestion()
        try fixture.insertCallResponse(question: answered)
        assertSQLState(.foreignKeyViolation, constraint: "call_responses_question_id_fkey") {
            try fixture.delete(from: "question_configurations", id: answered)
        }
        let unanswered = try fixture.insertQuestion()
        XCTAssertNoThrow(try fixture.delete(from: "question_configurations", id: unanswered))
        XCTAssertEqual(try fixture.count("question_configurations", where: "id", is: unanswered), 0)
    }

    // MARK: - Enums

    func testEnumColumnsRejectUnknownLabelsWith22P02() {
        let cases: [(String, String)] = [
            ("call_sessions", "status"), ("question_configurations", "priority"), ("call_events", "event_type"),
            ("call_events", "source"), ("telephony_provider_logs", "provider"), ("telephony_provider_logs", "operation"),
        ]
        for (table, column) in cases {
            assertSQLState(.invalidTextRepresentation, "\(table).\(column)") {
                try fixture.insertRow(into: table, [column: "bogus"])
            }
            // Labels are case-sensitive.
            assertSQLState(.invalidTextRepresentation, "\(table).\(column) upper case") {
                try fixture.insertRow(into: table, [column: .bind(Self.firstLabel(of: column).uppercased())])
            }
        }
    }

    private static func firstLabel(of column: String) -> String {
        switch column {
        case "status": return "initiated"
        case "priority": return "high"
        case "event_type": return "initiated"
        case "source": return "system"
        case "provider": return "twilio"
        default: return "initiate"
        }
    }

    func testEverySeedLabelIsAccepted() {
        let cases: [(String, String, [String])] = [
            ("question_configurations", "priority", ["high", "medium", "low"]),
            ("call_events", "event_type", [
                "initiated", "connecting", "answered", "ai_connected", "question_asked", "response_received",
                "warning_sent", "timeout", "completed", "failed",
            ]),
            ("call_events", "source", ["system", "telephony", "ai", "customer"]),
            ("telephony_provider_logs", "provider", ["46elks", "twilio"]),
            ("telephony_provider_logs", "operation", ["initiate", "connect", "record", "hangup", "webhook"]),
        ]
        for (table, column, labels) in cases {
            for label in labels {
                XCTAssertNoThrow(try fixture.insertRow(into: table, [column: .bind(label)]), "\(table).\(column) = \(label)")
            }
        }
    }

    // MARK: - Defaults

    func testDefaultsFillStatusTimestampsQuestionsAskedAndIds() throws {
        let connection = fixture.connection
        try connection.transaction { _ in
            let first = try fixture.insertCallSession(["questions_asked": .default])
            let second = try fixture.insertCallSession()
            XCTAssertNotEqual(first, second)
            let row = try XCTUnwrap(connection.execute("""
                SELECT status::text AS status, questions_asked::text AS questions,
                       started_at = now() AS started_now, created_at = now() AS created_now, updated_at = now() AS updated_now
                FROM call_sessions WHERE id = $1
                """, [first]).first)
            XCTAssertEqual(row["status"], "initiated")
            XCTAssertEqual(row["questions"], "[]")
            XCTAssertEqual(try row.decode("started_now", as: Bool.self), true)
            XCTAssertEqual(try row.decode("created_now", as: Bool.self), true)
            XCTAssertEqual(try row.decode("updated_now", as: Bool.self), true)
        }
    }

    func testQuestionDefaultsAreActiveMediumAnd30Seconds() throws {
        let id = try fixture.insertQuestion(["is_active": .default, "max_response_time": .default, "priority": .default])
        let row = try XCTUnwrap(fixture.connection.execute(
            "SELECT is_active, max_response_time, priority::text AS priority FROM question_configurations WHERE id = $1", [id]).first)
        XCTAssertEqual(try row.decode("is_active", as: Bool.self), true)
        XCTAssertEqual(try row.decode("max_response_time", as: Int.self), 30)
        XCTAssertEqual(row["priority"], "medium")
    }

    func testPhoneKeyCheckHoldsOneRowWithIdTrue() throws {
        let conn = fixture.connection
        try conn.executeScript("BEGIN")
        defer { _ = try? conn.executeScript("ROLLBACK") }
        try conn.execute("DELETE FROM phone_encryption_key_check")
        let good = try conn.execute(
            "INSERT INTO phone_encryption_key_check (check_value) VALUES ('\\x01') RETURNING id, registered_at = now() AS now, registered_by = current_user AS me")
        XCTAssertEqual(good.first?["id"], "t")
        XCTAssertEqual(good.first?["now"], "t")
        XCTAssertEqual(good.first?["me"], "t")
        assertSQLState(.checkViolation, constraint: "phone_encryption_key_check_one_row", "id = false") {
            try conn.execute("INSERT INTO phone_encryption_key_check (id, check_value) VALUES (false, '\\x02')")
        }
    }

    func testPhoneKeyRecordRulesForRotation() throws {
        let conn = fixture.connection  // a database of its own: no transaction, so each refusal is checked alone
        try conn.execute("DELETE FROM phone_encryption_key_check")
        let fresh = try conn.execute(
            "INSERT INTO phone_encryption_key_check (check_value) VALUES ('\\x01') RETURNING generation, scheme, retiring_generation IS NULL AS idle")
        XCTAssertEqual(fresh.first?["generation"], "1")
        XCTAssertEqual(fresh.first?["scheme"], "1")
        XCTAssertEqual(fresh.first?["idle"], "t")
        // Boundary-good: a rotation under way from generation 1 (scheme 1) to 2 (scheme 2).
        XCTAssertNoThrow(try conn.execute(
            "UPDATE phone_encryption_key_check SET generation = 2, scheme = 2, retiring_check_value = '\\x02', retiring_generation = 1, retiring_scheme = 1"))
        assertSQLState(.checkViolation, constraint: "phone_encryption_key_check_scheme_known", "scheme 3") {
            try conn.execute("UPDATE phone_encryption_key_check SET scheme = 3")
        }
        assertSQLState(.checkViolation, constraint: "phone_encryption_key_check_scheme_known", "retiring scheme 0") {
            try conn.execute("UPDATE phone_encryption_key_check SET retiring_scheme = 0")
        }
        assertSQLState(.checkViolation, constraint: "phone_encryption_key_check_retiring_complete", "a retiring generation without its check value") {
            try conn.execute("UPDATE phone_encryption_key_check SET retiring_check_value = NULL")
        }
        assertSQLState(.checkViolation, constraint: "phone_encryption_key_check_retiring_older", "retiring not older") {
            try conn.execute("UPDATE phone_encryption_key_check SET retiring_generation = 2")
        }
        XCTAssertNoThrow(try conn.execute(
            "UPDATE phone_encryption_key_check SET retiring_check_value = NULL, retiring_generation = NULL, retiring_scheme = NULL"))
    }

    func testTheKeyGenerationOnlyFollowsTheNumber() throws {
        let id = try fixture.insertCallSession()
        let recorded = try fixture.connection.execute("SELECT generation FROM phone_encryption_key_check").scalar(Int.self)
        XCTAssertEqual(recorded, 1)
        try fixture.update("call_sessions", id: id, ["customer_phone_key_generation": .expression("99")])
        let kept = try fixture.connection.execute(
            "SELECT customer_phone_key_generation FROM call_sessions WHERE id = $1", [id]).scalar(Int.self)
        XCTAssertEqual(kept, recorded, "the trigger keeps the generation of the key the number is under")
    }

    func testEveryTableGeneratesItsIdAndCreationTime() throws {
        // call_events records its time in "timestamp" (the seed gives it no created_at); the archive
        // and the erasure log record when they archived or erased.
        let creationColumn = ["call_events": "timestamp", "call_events_archive": "archived_at", "gdpr_erasure_log": "erased_at"]
        // phone_encryption_key_check holds one row with id true (its own test below).
        for table in Self.columns.keys.sorted() where table != "phone_encryption_key_check" {
            let created = creationColumn[table] ?? "created_at"
            let connection = fixture.connection
            if table == "call_events_archive" {
                // An archived event keeps the live event's id: there is no default.
                let error = assertSQLState(.notNullViolation, "call_events_archive.id DEFAULT") {
                    try fixture.insertRow(into: table, ["id": .default])
                }
                XCTAssertEqual(error?.column, "id")
            }
            try connection.transaction { _ in
                let id: SQLValue = table == "call_events_archive" ? .uuid(UUID()) : .default
                let first = try fixture.insertRow(into: table, ["id": id, created: .default])
                let second = try fixture.insertRow(into: table, table == "call_events_archive" ? [:] : ["id": .default])
                XCTAssertNotEqual(first, second, table)
                let createdNow = try connection.execute(
                    "SELECT \(quoteIdentifier(created)) = now() FROM \(fixture.qualified(table)) WHERE id = $1", [first]).scalar(Bool.self)
                XCTAssertTrue(createdNow, table)
            }
        }
    }

    func testEventDefaultsToAnEmptyObjectAtTheCurrentTime() throws {
        let connection = fixture.connection
        try connection.transaction { _ in
            let id = try fixture.insertCallEvent(["event_data": .default, "timestamp": .default])
            let row = try XCTUnwrap(connection.execute(
                #"SELECT event_data::text AS data, "timestamp" = now() AS now FROM call_events WHERE id = $1"#, [id]).first)
            XCTAssertEqual(row["data"], "{}")
            XCTAssertEqual(try row.decode("now", as: Bool.self), true)
        }
    }

    // MARK: - Host-application tables

    func testExistingBusinessesTableIsKeptWithItsExtraColumns() throws {
        let database = try makeDatabase()
        let host = try CallFeedbackFixture(database: database, applyMigration: false)
        try host.connection.executeScript("""
            CREATE TABLE public.businesses (id uuid PRIMARY KEY, name text NOT NULL);
            INSERT INTO public.businesses VALUES ('6a1f0c1e-0d7b-4c55-9a55-1b8f3f7d2c11', 'ICA Nära Testköping');
            """)
        XCTAssertNoThrow(try host.applyMigration())
        let name = try host.connection.execute("SELECT name FROM public.businesses").scalar(String.self)
        XCTAssertEqual(name, "ICA Nära Testköping")
        let columns = try host.connection.execute("""
            SELECT attname FROM pg_attribute WHERE attrelid = 'public.businesses'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """).rows.compactMap { $0["attname"] }
        XCTAssertEqual(columns, ["id", "name"])
        XCTAssertEqual(try host.connection.execute("SELECT to_regclass('public.customer_verifications') IS NOT NULL").scalar(Bool.self), true)
        // Call data can reference the host's existing business.
        let business = try XCTUnwrap(UUID(uuidString: "6a1f0c1e-0d7b-4c55-9a55-1b8f3f7d2c11"))
        XCTAssertNoThrow(try host.insertCallSession(business: business))
    }
}
