import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// Builders for the retention and erasure tests: backdated call sessions,
/// events, responses and provider logs inserted through the real triggers.
enum RetentionFixtures {
    static let key = TestModel.phoneKey

    /// Applies the generated schema and sets the phone encryption key for the session.
    static func prepare(_ connection: Connection) throws {
        try TestModel.applySchema(connection)
        try useKey(connection)
    }

    static func useKey(_ connection: Connection) throws {
        try TestModel.useKey(connection)
    }

    struct Tenant {
        let business: UUID
        let verification: UUID
        let question: UUID
    }

    static func tenant(_ connection: Connection) throws -> Tenant {
        let tenant = Tenant(business: UUID(), verification: UUID(), question: UUID())
        try connection.execute("INSERT INTO public.businesses (id) VALUES ($1)", [tenant.business])
        try connection.execute("INSERT INTO public.customer_verifications (id) VALUES ($1)", [tenant.verification])
        try connection.execute(
            """
            INSERT INTO public.question_configurations (id, business_id, question_text, frequency, department_tags)
            VALUES ($1, $2, 'How was the service today?', 10, '["kassa"]')
            """, [tenant.question, tenant.business])
        return tenant
    }

    /// A session created `daysAgo` days ago, status initiated (or moved on to `status`).
    @discardableResult
    static func session(
        _ connection: Connection, _ tenant: Tenant, daysAgo: Double, phone: String = "+46701111111",
        status: String = "initiated", recordingURL: String? = nil, transcript: String? = nil
    ) throws -> UUID {
        let id = UUID()
        try connection.execute(
            """
            INSERT INTO public.call_sessions (id, business_id, verification_id, customer_phone, recording_url, transcript,
                                              started_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, now() - make_interval(secs => $7::float8 * 86400),
                    now() - make_interval(secs => $7::float8 * 86400))
            """,
            [id, tenant.business, tenant.verification, phone, recordingURL, transcript, daysAgo])
        guard let path = TestModel.statusPaths[status] else {
            throw PQError(kind: .usage, message: "no call status \(status) in the state machine")
        }
        for next in path {
            try connection.execute("UPDATE public.call_sessions SET status = $2::public.call_status WHERE id = $1", [id, next])
        }
        return id
    }

    /// An event `daysAgo` days old; insert a session's events oldest first.
    @discardableResult
    static func event(
        _ connection: Connection, session: UUID, type: String, daysAgo: Double, data: String = "{}"
    ) throws -> UUID {
        let id = UUID()
        try connection.execute(
            """
            INSERT INTO public.call_events (id, call_session_id, event_type, event_data, timestamp, source)
            VALUES ($1, $2, $3::public.call_event_type, $4::jsonb, now() - make_interval(secs => $5::float8 * 86400), 'system')
            """, [id, session, type, data, daysAgo])
        return id
    }

    /// `count` events of `type`, spread over the day that is `daysAgo` days old.
    static func events(_ connection: Connection, session: UUID, type: String, daysAgo: Double, count: Int) throws {
        try connection.execute(
            """
            INSERT INTO public.call_events (call_session_id, event_type, event_data, timestamp, source)
            SELECT $1, $2::public.call_event_type, jsonb_build_object('n', g),
                   now() - make_interval(secs => $3::float8 * 86400) + make_interval(secs => g * 0.001), 'system'
            FROM generate_series(1, $4::int) g ORDER BY g
            """, [session, type, daysAgo, count])
    }

    @discardableResult
    static func providerLog(
        _ connection: Connection, session: UUID, daysAgo: Double, payload: String = "{}"
    ) throws -> UUID {
        let id = UUID()
        try connection.execute(
            """
            INSERT INTO public.telephony_provider_logs (id, call_session_id, provider, provider_call_id, operation,
                request_payload, response_payload, status_code, latency_ms, success, created_at)
            VALUES ($1, $2, '46elks', 'call-1', 'initiate', $3::jsonb, $3::jsonb, 200, 42, true,
                    now() - make_interval(secs => $4::float8 * 86400))
            """, [id, session, payload, daysAgo])
        return id
    }

    @discardableResult
    static func response(
        _ connection: Connection, _ tenant: Tenant, session: UUID, text: String, daysAgo: Double
    ) throws -> UUID {
        let id = UUID()
        try connection.execute(
            """
            INSERT INTO public.call_responses (id, call_session_id, question_id, question_text, response_text,
                response_duration, confidence_score, sentiment_score, asked_at, ai_analysis, created_at)
            VALUES ($1, $2, $3, 'How was the service today?', $4, 12, 0.9, 0.5,
                    now() - make_interval(secs => $5::float8 * 86400), jsonb_build_object('summary', $4::text),
                    now() - make_interval(secs => $5::float8 * 86400))
            """, [id, session, tenant.question, text, daysAgo])
        return id
    }

    static func count(_ connection: Connection, _ sql: String, _ parameters: [any PQParameter] = []) throws -> Int {
        try connection.execute(sql, parameters).scalar(Int.self)
    }

    /// A fingerprint of every table's contents, to prove a run changed nothing.
    static func fingerprint(_ connection: Connection) throws -> [String: String] {
        var result: [String: String] = [:]
        for table in ["call_sessions", "call_events", "call_events_archive", "call_responses",
                      "telephony_provider_logs", "gdpr_erasure_log"] {
            result[table] = try connection.execute(
                "SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM public.\(table) t"
            ).scalar(String.self)
        }
        return result
    }

    static func rules() -> [RetentionRule] { CallFeedbackSchema.rules().retention }

    static func purge(_ database: TestDatabase, configure: (inout Purger.Options) -> Void = { _ in }) throws -> [Purger.RuleReport] {
        var options = Purger.Options()
        configure(&options)
        switch try Purger(settings: database.settings, rules: rules(), options: options).run() {
        case .ran(let reports): return reports
        case .lockHeldElsewhere: throw PGMigrateError(.software, "purge: lock held elsewhere")
        }
    }

    static func report(_ reports: [Purger.RuleReport], _ rule: String) -> Purger.RuleReport? {
        reports.first { $0.rule == rule }
    }

    static func decodeReports(_ json: String) throws -> [Purger.RuleReport] {
        try JSONDecoder().decode([Purger.RuleReport].self, from: Data(json.utf8))
    }
}

/// A flag and counters shared with a background thread.
final class SharedState: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var inserted = 0
    private var errors: [String] = []
    private var done = false

    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
    func stop() { lock.lock(); stopped = true; lock.unlock() }
    func add(_ n: Int) { lock.lock(); inserted += n; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return inserted }
    func fail(_ message: String) { lock.lock(); errors.append(message); lock.unlock() }
    var failures: [String] { lock.lock(); defer { lock.unlock() }; return errors }
    func finish() { lock.lock(); done = true; lock.unlock() }
    var isDone: Bool { lock.lock(); defer { lock.unlock() }; return done }
}
