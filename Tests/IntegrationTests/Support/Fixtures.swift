import Foundation
import PQClient
import SchemaModel
import XCTest

/// A value for one column of a fixture row.
enum SQLValue {
    /// Sent as a text parameter; the server casts it to the column's type.
    case bind(any PQParameter)
    case null
    /// Raw SQL, e.g. `now() - interval '1 second'`.
    case expression(String)
    /// The column's default (`DEFAULT`).
    case `default`

    static func json(_ text: String) -> SQLValue { .bind(PQJSON(text)) }
    static func uuid(_ id: UUID) -> SQLValue { .bind(id) }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral
{
    init(stringLiteral value: String) { self = .bind(value) }
    init(integerLiteral value: Int) { self = .bind(value) }
    init(floatLiteral value: Double) { self = .bind(value) }
    init(booleanLiteral value: Bool) { self = .bind(value) }
}

/// A fresh database with the call-feedback migration applied, and the one
/// place that knows how to build a fully valid row of each table.
///
/// Tests override one column and let the fixture fill in the rest, so when
/// the schema grows rules (a status state machine, an encrypted
/// customer_phone) only this file changes. Call sessions are inserted with
/// `status` left to its default and a valid Swedish phone number; the
/// session sets `app.phone_encryption_key` before anything else runs.
final class CallFeedbackFixture {
    static let phoneEncryptionKey = TestModel.phoneKey
    static let validPhone = "+46701234567"
    /// A fixed instant for tests of chronological rules.
    static let t0 = TestModel.t0

    /// `t0` shifted by some seconds (negative: earlier).
    static func at(_ seconds: Int) -> SQLValue {
        .expression("'\(t0)'::timestamptz + interval '\(seconds) seconds'")
    }

    let connection: Connection
    let schema: String

    /// The migration the model renders, as committed in sql/.
    static var migrationSQL: String { TestModel.migrationSQL }

    init(database: TestDatabase, applyMigration: Bool = true, schema: String = CallFeedbackSchema.defaultSchema) throws {
        connection = try database.connect()
        self.schema = schema
        try Self.prepareSession(connection)
        if applyMigration { try self.applyMigration() }
    }

    /// Session settings the schema's triggers rely on.
    static func prepareSession(_ connection: Connection) throws {
        try TestModel.useKey(connection)
    }

    func applyMigration() throws {
        try connection.executeScript(Self.migrationSQL)
    }

    func qualified(_ table: String) -> String { QualifiedName(schema, table).sql }

    // MARK: - Host-application tables

    @discardableResult
    func insertBusiness() throws -> UUID {
        try connection.execute("INSERT INTO \(qualified("businesses")) (id) VALUES (gen_random_uuid()) RETURNING id").scalar(UUID.self)
    }

    @discardableResult
    func insertVerification() throws -> UUID {
        try connection.execute("INSERT INTO \(qualified("customer_verifications")) (id) VALUES (gen_random_uuid()) RETURNING id").scalar(UUID.self)
    }

    // MARK: - The managed tables: a fully valid row each, one column overridden

    @discardableResult
    func insertCallSession(business: UUID? = nil, verification: UUID? = nil, _ overrides: [String: SQLValue] = [:]) throws -> UUID {
        let business = try business ?? insertBusiness()
        let verification = try verification ?? insertVerification()
        return try insert("call_sessions", [
            ("business_id", .uuid(business)),
            ("verification_id", .uuid(verification)),
            ("customer_phone", .bind(Self.validPhone)),
            // status: left to its default ('initiated'); later moved through the state machine.
            ("ai_session_id", "sess_test_0001"),
            ("telephony_call_id", "call_test_0001"),
            ("cost_estimate", 0.35),
            ("transcript", "Hej! Hur var ditt besök idag?"),
        ], overrides)
    }

    @discardableResult
    func insertQuestion(business: UUID? = nil, _ overrides: [String: SQLValue] = [:]) throws -> UUID {
        let business = try business ?? insertBusiness()
        return try insert("question_configurations", [
            ("business_id", .uuid(business)),
            ("question_text", "Hur upplevde du bemötandet i kassan?"),
            ("frequency", 5),
            ("priority", "high"),
            ("department_tags", .json(#"["kassa", "bageri"]"#)),
            ("active_from", "2025-09-01"),
            ("active_until", "2025-12-31"),
            ("follow_up_prompts", .json(#"["Kan du berätta mer?"]"#)),
        ], overrides)
    }

    /// The status path from 'initiated' to each status, through valid transitions only.
    static var statusPaths: [String: [String]] { TestModel.statusPaths }

    /// Moves a freshly inserted ('initiated') session to `status` through valid transitions.
    func moveSession(_ session: UUID, to status: String) throws {
        guard let path = Self.statusPaths[status] else {
            XCTFail("unknown call status \(status)")
            throw PQError(kind: .usage, message: "unknown call status \(status)")
        }
        for step in path {
            try connection.execute(
                "UPDATE \(qualified("call_sessions")) SET status = $1::\(qualified("call_status")) WHERE id = $2", [step, session])
        }
    }

    func status(of session: UUID) throws -> String {
        try connection.execute("SELECT status::text FROM \(qualified("call_sessions")) WHERE id = $1", [session]).scalar(String.self)
    }

    /// The first status (in the model's order) whose sessions accept this event type.
    static func statusAccepting(_ eventType: String) -> String? {
        CallFeedbackSchema.eventTypesByStatus.first { $0.eventTypes.contains(eventType) }?.status
    }

    func businessOfSession(_ session: UUID) throws -> UUID {
        try connection.execute("SELECT business_id FROM \(qualified("call_sessions")) WHERE id = $1", [session]).scalar(UUID.self)
    }

    func businessOfQuestion(_ question: UUID) throws -> UUID {
        try connection.execute("SELECT business_id FROM \(qualified("question_configurations")) WHERE id = $1", [question]).scalar(UUID.self)
    }

    /// An event of the default type 'initiated' in a new 'initiated' session.
    /// When the fixture makes the session and `event_type` is overridden with
    /// a known label, the session is first moved to a status that accepts it.
    @discardableResult
    func insertCallEvent(session: UUID? = nil, _ overrides: [String: SQLValue] = [:]) throws -> UUID {
        let session = try session ?? {
            let created = try insertCallSession()
            if case .bind(let value)? = overrides["event_type"], let label = value as? String,
                let status = Self.statusAccepting(label)
            {
                try moveSession(created, to: status)
            }
            return created
        }()
        return try insert("call_events", [
            ("call_session_id", .uuid(session)),
            ("event_type", "initiated"),
            ("event_data", .json(#"{"attempt": 1}"#)),
            ("source", "system"),
            ("metadata", .json(#"{"region": "SE"}"#)),
        ], overrides)
    }

    /// A response in `session` to `question`; whichever is missing is made in
    /// the other's business (the composite foreign key requires one business).
    @discardableResult
    func insertCallResponse(session: UUID? = nil, question: UUID? = nil, _ overrides: [String: SQLValue] = [:]) throws -> UUID {
        let session = try session ?? insertCallSession(business: question.map(businessOfQuestion))
        let question = try question ?? insertQuestion(business: businessOfSession(session))
        return try insert("call_responses", [
            ("call_session_id", .uuid(session)),
            ("question_id", .uuid(question)),
            ("question_text", "Hur upplevde du bemötandet i kassan?"),
            ("response_text", "Väldigt trevligt, tack."),
            ("response_duration", 12),
            ("confidence_score", 0.92),
            ("sentiment_score", 0.7),
            ("asked_at", .bind(Self.t0)),
            ("responded_at", Self.at(3)),
            ("ai_analysis", .json(#"{"sentiment": "positive"}"#)),
        ], overrides)
    }

    @discardableResult
    func insertSelectionLog(business: UUID? = nil, _ overrides: [String: SQLValue] = [:]) throws -> UUID {
        let business = try business ?? insertBusiness()
        return try insert("question_selection_logs", [
            ("business_id", .uuid(business)),
            ("customer_count", 42),
            ("selected_questions", .json(#"["6a1f0c1e-0d7b-4c55-9a55-1b8f3f7d2c11"]"#)),
            ("selection_algorithm", "frequency-v1"),
            ("selection_criteria", .json(#"{"max_questions": 3}"#)),
            ("time_budget_seconds", 90),
            ("estimated_duration", 45),
        ], overrides)
    }

    @discardableResult
    func insertProviderLog(session: UUID? = nil, _ overrides: [String: SQLValue] = [:]) throws -> UUID {
        let session = try session ?? insertCallSession()
        return try insert("telephony_provider_logs", [
            ("call_session_id", .uuid(session)),
            ("provider", "46elks"),
            ("provider_call_id", "r1234567890"),
            ("operation", "initiate"),
            ("request_payload", .json(#"{"to": "+46701234567"}"#)),
            ("response_payload", .json(#"{"state": "ongoing"}"#)),
            ("status_code", 200),
            ("latency_ms", 120),
            ("success", true),
        ], overrides)
    }

    /// An archived event, as retention writes it: it keeps the live event's
    /// id (no default) and carries the session's business explicitly.
    @discardableResult
    func insertArchivedEvent(session: UUID? = nil, _ overrides: [String: SQLValue] = [:]) throws -> UUID {
        let session = try session ?? insertCallSession()
        return try insert("call_events_archive", [
            ("id", .uuid(UUID())),
            ("call_session_id", .uuid(session)),
            ("business_id", .uuid(businessOfSession(session))),
            ("event_type", "initiated"),
            ("event_data", .json(#"{"attempt": 1}"#)),
            ("timestamp", .bind(Self.t0)),
            ("source", "system"),
            ("metadata", .json(#"{"region": "SE"}"#)),
        ], overrides)
    }

    @discardableResult
    func insertErasureLog(_ overrides: [String: SQLValue] = [:]) throws -> UUID {
        try insert("gdpr_erasure_log", [
            ("sessions", 1),
            ("responses", 2),
            ("events", 3),
            ("archived_events", 0),
            ("provider_logs", 1),
        ], overrides)
    }

    /// A valid row of any managed table, by name.
    @discardableResult
    func insertRow(into table: String, _ overrides: [String: SQLValue] = [:]) throws -> UUID {
        switch table {
        case "call_sessions": return try insertCallSession(overrides)
        case "question_configurations": return try insertQuestion(overrides)
        case "call_events": return try insertCallEvent(overrides)
        case "call_responses": return try insertCallResponse(overrides)
        case "question_selection_logs": return try insertSelectionLog(overrides)
        case "telephony_provider_logs": return try insertProviderLog(overrides)
        case "call_events_archive": return try insertArchivedEvent(overrides)
        case "gdpr_erasure_log": return try insertErasureLog(overrides)
        default:
            XCTFail("no fixture for table \(table)")
            throw PQError(kind: .usage, message: "no fixture for table \(table)")
        }
    }

    // MARK: - Changing and counting rows

    func update(_ table: String, id: UUID, _ changes: [String: SQLValue]) throws {
        var parameters: [any PQParameter] = []
        let assignments = changes.sorted { $0.key < $1.key }.map { column, value in
            "\(quoteIdentifier(column)) = \(Self.render(value, into: &parameters))"
        }
        parameters.append(id)
        try connection.execute(
            "UPDATE \(qualified(table)) SET \(assignments.joined(separator: ", ")) WHERE id = $\(parameters.count)", parameters)
    }

    func delete(from table: String, id: UUID) throws {
        try connection.execute("DELETE FROM \(qualified(table)) WHERE id = $1", [id])
    }

    func count(_ table: String, where column: String, is id: UUID) throws -> Int {
        try connection.execute("SELECT count(*) FROM \(qualified(table)) WHERE \(quoteIdentifier(column)) = $1", [id]).scalar(Int.self)
    }

    // MARK: - SQL building

    private func insert(_ table: String, _ base: [(String, SQLValue)], _ overrides: [String: SQLValue]) throws -> UUID {
        var columns = base
        for (column, value) in overrides.sorted(by: { $0.key < $1.key }) {
            if let index = columns.firstIndex(where: { $0.0 == column }) {
                columns[index].1 = value
            } else {
                columns.append((column, value))
            }
        }
        var parameters: [any PQParameter] = []
        let values = columns.map { Self.render($0.1, into: &parameters) }
        let sql = """
            INSERT INTO \(qualified(table)) (\(columns.map { quoteIdentifier($0.0) }.joined(separator: ", ")))
            VALUES (\(values.joined(separator: ", "))) RETURNING id
            """
        return try connection.execute(sql, parameters).scalar(UUID.self)
    }

    private static func render(_ value: SQLValue, into parameters: inout [any PQParameter]) -> String {
        switch value {
        case .bind(let parameter):
            parameters.append(parameter)
            return "$\(parameters.count)"
        case .null: return "NULL"
        case .expression(let sql): return sql
        case .default: return "DEFAULT"
        }
    }
}
