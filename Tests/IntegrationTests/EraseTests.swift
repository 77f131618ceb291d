import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

final class EraseTests: XCTestCase {
    private typealias F = RetentionFixtures

    private let anna = "+46701234567"
    private let annaDigits = "701234567"
    private let bertil = "+46709876543"

    private struct Loaded {
        let anna: [UUID]
        let bertil: UUID
        /// Anna's cipher texts and hashes (hex) before erasure.
        let annaSecrets: [String]
    }

    /// Two customers with sessions, events (live and archived), responses and
    /// provider logs that mention their numbers.
    private func load(_ conn: Connection) throws -> Loaded {
        let tenant = try F.tenant(conn)
        var annaSessions: [UUID] = []
        for (index, days) in [120.0, 3.0].enumerated() {
            let s = try F.session(conn, tenant, daysAgo: days, phone: index == 0 ? "070-123 45 67" : anna,
                                  recordingURL: "https://rec.example/anna-\(index).wav",
                                  transcript: "Hej, det är Anna på \(anna), anna@example.com")
            let payload = #"{"to": "\#(anna)", "caller": "Anna"}"#
            try F.event(conn, session: s, type: "initiated", daysAgo: days, data: payload)
            try F.event(conn, session: s, type: "connecting", daysAgo: days - 0.001, data: payload)
            try conn.execute("UPDATE public.call_sessions SET status = 'connecting' WHERE id = $1", [s])
            try conn.execute("UPDATE public.call_events SET metadata = $2::jsonb WHERE call_session_id = $1",
                             [s, #"{"number": "\#(anna)"}"#])
            try conn.execute(
                """
                UPDATE public.call_sessions SET status = 'in_progress', connected_at = started_at + interval '1 second'
                WHERE id = $1
                """, [s])
            try F.response(conn, tenant, session: s, text: "Ring mig på \(anna)", daysAgo: days - 0.002)
            try F.providerLog(conn, session: s, daysAgo: days - 0.003, payload: #"{"to": "\#(anna)"}"#)
            try conn.execute(
                """
                UPDATE public.call_sessions SET status = 'completed', ended_at = started_at + interval '90 seconds',
                    duration_seconds = 90, cost_estimate = 1.25 WHERE id = $1
                """, [s])
            annaSessions.append(s)
        }
        let b = try F.session(conn, tenant, daysAgo: 120, phone: bertil, recordingURL: "https://rec.example/bertil.wav",
                              transcript: "Bertil här, \(bertil)")
        try F.event(conn, session: b, type: "initiated", daysAgo: 120, data: #"{"to": "\#(bertil)"}"#)
        try F.response(conn, tenant, session: b, text: "Bra, ring \(bertil)", daysAgo: 119)
        try F.providerLog(conn, session: b, daysAgo: 119, payload: #"{"to": "\#(bertil)"}"#)

        // Archive the old events, so erasure must reach the archive too.
        let moved = try conn.execute("SELECT count(*) FROM public.retention_call_events_archive(1000)").scalar(Int.self)
        XCTAssertEqual(moved, 3)

        var secrets: [String] = []
        for row in try conn.execute(
            "SELECT customer_phone, encode(customer_phone_hash, 'hex') AS hash FROM public.call_sessions WHERE id = ANY ($1::uuid[])",
            ["{\(annaSessions.map(\.uuidString).joined(separator: ","))}"]
        ).rows {
            secrets.append(try row.decode("customer_phone"))
            secrets.append(try row.decode("hash"))
        }
        return Loaded(anna: annaSessions, bertil: b, annaSecrets: secrets)
    }

    private static let tables = ["call_sessions", "call_responses", "call_events", "call_events_archive",
                                 "telephony_provider_logs", "gdpr_erasure_log"]

    /// How many rows of any table contain `needle` in their text form.
    private func rowsContaining(_ conn: Connection, _ needle: String) throws -> [String: Int] {
        var found: [String: Int] = [:]
        for table in Self.tables {
            let n = try F.count(conn, "SELECT count(*) FROM public.\(table) t WHERE strpos(t::text, $1) > 0", [needle])
            if n > 0 { found[table] = n }
        }
        return found
    }

    private func bertilState(_ conn: Connection, _ id: UUID) throws -> [String?] {
        try XCTUnwrap(conn.execute(
            """
            SELECT s.customer_phone, encode(s.customer_phone_hash, 'hex'), s.transcript, s.recording_url,
                   (SELECT string_agg(r.response_text, '|') FROM public.call_responses r WHERE r.call_session_id = s.id),
                   (SELECT string_agg(e.event_data::text, '|') FROM public.call_events_archive e WHERE e.call_session_id = s.id),
                   (SELECT string_agg(l.request_payload::text, '|') FROM public.telephony_provider_logs l WHERE l.call_session_id = s.id)
            FROM public.call_sessions s WHERE s.id = $1
            """, [id]).first).values
    }

    private func eraser(_ db: TestDatabase) -> Eraser {
        Eraser(settings: db.settings, erasure: CallFeedbackSchema.rules().erasure)
    }

    func testEraseRemovesEveryTraceOfTheCustomerAndKeepsAggregates() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let loaded = try load(conn)
        XCTAssertFalse(try rowsContaining(conn, annaDigits).isEmpty, "the fixture mentions the number")
        let bertilBefore = try bertilState(conn, loaded.bertil)

        let report = try eraser(db).erase(phone: anna, key: F.key, dryRun: false)
        XCTAssertEqual(report.sessions, 2)
        XCTAssertEqual(report.responses, 2)
        XCTAssertEqual(report.events, 2)  // the young session's live events
        XCTAssertEqual(report.archivedEvents, 2)
        XCTAssertEqual(report.providerLogs, 2)
        XCTAssertFalse(report.dryRun)

        XCTAssertEqual(try rowsContaining(conn, annaDigits), [:], "no row holds the number's digits")
        XCTAssertEqual(try rowsContaining(conn, "anna"), [:], "no row holds the e-mail, transcript or recording URL")
        for secret in loaded.annaSecrets {
            XCTAssertEqual(try rowsContaining(conn, secret), [:], "no row holds the cipher or hash")
        }
        let ids = "{\(loaded.anna.map(\.uuidString).joined(separator: ","))}"
        XCTAssertEqual(try F.count(conn, """
            SELECT count(*) FROM public.call_sessions WHERE id = ANY ($1::uuid[])
            AND customer_phone IS NULL AND customer_phone_hash IS NULL AND transcript IS NULL AND recording_url IS NULL
            AND status = 'completed' AND duration_seconds = 90 AND cost_estimate = 1.25 AND connected_at IS NOT NULL
            """, [ids]), 2, "personal data gone, aggregates kept")
        XCTAssertEqual(try F.count(conn, """
            SELECT count(*) FROM public.call_responses WHERE call_session_id = ANY ($1::uuid[])
            AND response_text = '' AND ai_analysis IS NULL AND confidence_score = 0.9 AND sentiment_score = 0.5
            AND response_duration = 12 AND question_text = 'How was the service today?'
            """, [ids]), 2)
        XCTAssertEqual(try F.count(conn, """
            SELECT (SELECT count(*) FROM public.call_events WHERE call_session_id = ANY ($1::uuid[]) AND event_data = '{}' AND metadata IS NULL)
                 + (SELECT count(*) FROM public.call_events_archive WHERE call_session_id = ANY ($1::uuid[]) AND event_data = '{}' AND metadata IS NULL)
            """, [ids]), 4)
        XCTAssertEqual(try F.count(conn, """
            SELECT count(*) FROM public.telephony_provider_logs WHERE call_session_id = ANY ($1::uuid[])
            AND request_payload = '{}' AND response_payload = '{}' AND status_code = 200 AND latency_ms = 42
            """, [ids]), 2)

        XCTAssertEqual(try bertilState(conn, loaded.bertil), bertilBefore, "another customer is untouched")
        try F.useKey(conn)
        XCTAssertEqual(try conn.execute("SELECT public.decrypt_customer_phone(customer_phone) FROM public.call_sessions WHERE id = $1",
                                        [loaded.bertil]).scalar(String.self), bertil)

        // The audit row: counts only.
        let audit = try conn.execute("SELECT sessions, responses, events, archived_events, provider_logs, t::text AS whole FROM public.gdpr_erasure_log t")
        XCTAssertEqual(audit.rows.count, 1)
        let row = try XCTUnwrap(audit.first)
        XCTAssertEqual(Array(row.values.prefix(5)), ["2", "2", "2", "2", "2"])
        let whole = try XCTUnwrap(row["whole"])
        XCTAssertFalse(whole.contains(annaDigits), whole)
        for secret in loaded.annaSecrets { XCTAssertFalse(whole.contains(secret), whole) }

        // A second erase has nothing to do.
        let again = try eraser(db).erase(phone: anna, key: F.key, dryRun: false)
        XCTAssertTrue(again.nothingToDo)
        XCTAssertEqual([again.responses, again.events, again.archivedEvents, again.providerLogs], [0, 0, 0, 0])
        let cli = try pgmigrate(["erase", "--database-url", db.url, "--phone", anna],
                                environment: [Eraser.keyEnvironmentVariable: F.key])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        XCTAssertTrue(cli.stdout.contains("nothing to erase"), cli.stdout)
    }

    func testDryRunCountsAndChangesNothing() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try load(conn)
        let snapshot = try F.fingerprint(conn)
        let report = try eraser(db).erase(phone: anna, key: F.key, dryRun: true)
        XCTAssertEqual([report.sessions, report.responses, report.events, report.archivedEvents, report.providerLogs],
                       [2, 2, 2, 2, 2])
        XCTAssertTrue(report.dryRun)
        XCTAssertEqual(try F.fingerprint(conn), snapshot)

        let cli = try pgmigrate(["erase", "--database-url", db.url, "--phone", anna, "--dry-run", "--json"],
                                environment: [Eraser.keyEnvironmentVariable: F.key])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let decoded = try JSONDecoder().decode(Eraser.Report.self, from: Data(cli.stdout.utf8))
        XCTAssertEqual(decoded, report)
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.gdpr_erasure_log"), 0)
    }

    func testNumberInAnotherFormatFindsTheSameCustomer() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let loaded = try load(conn)
        let cli = try pgmigrate(["erase", "--database-url", db.url, "--phone", "0046 70-123 45 67", "--json"],
                                environment: [Eraser.keyEnvironmentVariable: F.key])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let report = try JSONDecoder().decode(Eraser.Report.self, from: Data(cli.stdout.utf8))
        XCTAssertEqual(report.sessions, 2)
        XCTAssertFalse(cli.stdout.contains(annaDigits) || cli.stderr.contains(annaDigits))
        XCTAssertEqual(try rowsContaining(conn, annaDigits), [:])
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_sessions WHERE id = $1 AND customer_phone IS NOT NULL",
                                   [loaded.bertil]), 1)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.gdpr_erasure_log"), 1)
    }

    func testPhoneFromStandardInputKeepsItOffTheCommandLine() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try load(conn)
        let cli = try pgmigrate(["erase", "--database-url", db.url, "--phone-stdin", "--json"],
                                environment: [Eraser.keyEnvironmentVariable: F.key], input: "070-123 45 67\n")
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let report = try JSONDecoder().decode(Eraser.Report.self, from: Data(cli.stdout.utf8))
        XCTAssertEqual(report.sessions, 2)
        XCTAssertEqual(try rowsContaining(conn, annaDigits), [:])
    }

    func testPhoneOptionsAreCheckedBeforeConnecting() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try load(conn)
        let snapshot = try F.fingerprint(conn)
        let env = [Eraser.keyEnvironmentVariable: F.key]
        let cases: [(arguments: [String], input: String?, says: String)] = [
            ([], nil, "--phone-stdin"),                                  // no number at all
            (["--phone", anna, "--phone-stdin"], anna + "\n", "together"), // both
            (["--phone-stdin"], "", "no phone number"),                  // empty standard input
            (["--phone-stdin"], "   \n", "no phone number"),             // a blank line
        ]
        for (arguments, input, says) in cases {
            let result = try pgmigrate(["erase", "--database-url", db.url] + arguments, environment: env, input: input)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(says), "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
    }

    /// A wrong key hashes the number to no one; erase must not report
    /// "nothing to erase" for a customer whose data is still there.
    func testWrongKeyIsRefusedInsteadOfFindingNoOne() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try load(conn)
        let snapshot = try F.fingerprint(conn)
        let result = try pgmigrate(["erase", "--database-url", db.url, "--phone-stdin"],
                                   environment: [Eraser.keyEnvironmentVariable: F.key + "-not"], input: anna + "\n")
        XCTAssertEqual(result.status, ExitStatus.usage.rawValue, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("not the key"), result.stderr)
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.gdpr_erasure_log"), 0)

        // The rule is the database's: the SQL function refuses the same way (22023).
        let other = try db.connect()
        _ = try other.execute("SELECT set_config('app.phone_encryption_key', $1, false)", [F.key + "-not"])
        XCTAssertThrowsError(try other.execute("SELECT * FROM public.erase_customer_data($1)", [anna])) { error in
            XCTAssertEqual((error as? PQError)?.sqlState, .invalidParameterValue, "\(error)")
        }
        // With the right key, an unknown (valid) number is simply nobody.
        let report = try eraser(db).erase(phone: "0709999999", key: F.key, dryRun: false)
        XCTAssertTrue(report.nothingToDo)
    }

    func testMissingKeyFailsWithOneLineThatDoesNotContainTheNumber() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try load(conn)
        let snapshot = try F.fingerprint(conn)
        let result = try pgmigrate(["erase", "--database-url", db.url, "--phone", anna],
                                   environment: [Eraser.keyEnvironmentVariable: ""])
        XCTAssertNotEqual(result.status, 0)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains(Eraser.keyEnvironmentVariable), result.stderr)
        XCTAssertFalse(result.stderr.contains(annaDigits) || result.stdout.contains(annaDigits), result.stderr)
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
    }

    func testInvalidNumberExits65WithoutEchoingIt() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try load(conn)
        let snapshot = try F.fingerprint(conn)
        for invalid in ["0012345", "+46 0 555 1234 999"] {
            let result = try pgmigrate(["erase", "--database-url", db.url, "--phone", invalid],
                                       environment: [Eraser.keyEnvironmentVariable: F.key])
            XCTAssertEqual(result.status, 65, result.stderr)
            XCTAssertFalse(result.stderr.isEmpty)
            for fragment in [invalid, "12345", "555 1234", "5551234"] {
                XCTAssertFalse(result.stderr.contains(fragment) || result.stdout.contains(fragment), "\(fragment): \(result.stderr)")
            }
        }
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
    }
}
