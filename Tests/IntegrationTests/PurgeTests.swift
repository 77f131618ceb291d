import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class PurgeTests: XCTestCase {
    private typealias F = RetentionFixtures

    // MARK: - Each rule acts on exactly the old rows

    func testArchiveMovesEventsOlderThan90DaysAndKeepsTheirValues() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        let session = try F.session(conn, tenant, daysAgo: 120)
        let old = try F.event(conn, session: session, type: "initiated", daysAgo: 91, data: #"{"step": "old"}"#)
        let young = try F.event(conn, session: session, type: "initiated", daysAgo: 89, data: #"{"step": "young"}"#)
        try conn.execute("UPDATE public.call_events SET metadata = '{\"m\": 1}' WHERE id = $1", [old])
        let before = try conn.execute(
            "SELECT id, call_session_id, business_id, event_type, event_data, timestamp, source, metadata FROM public.call_events WHERE id = $1",
            [old]).first

        let reports = try F.purge(db) { $0.rules = ["call_events_archive"] }
        XCTAssertEqual(F.report(reports, "call_events_archive")?.rows, 1)

        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events WHERE id = $1", [young]), 1)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events WHERE id = $1", [old]), 0)
        let after = try conn.execute(
            "SELECT id, call_session_id, business_id, event_type, event_data, timestamp, source, metadata FROM public.call_events_archive WHERE id = $1",
            [old]).first
        XCTAssertNotNil(after)
        XCTAssertEqual(after?.values, before?.values, "archived row keeps its column values")
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive WHERE id = $1 AND archived_at > now() - interval '1 hour'", [old]), 1)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive WHERE id = $1", [young]), 0)
    }

    func testArchiveOfManyEventsLosesAndDuplicatesNothing() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        for _ in 0..<5 {
            let session = try F.session(conn, tenant, daysAgo: 200)
            try F.events(conn, session: session, type: "initiated", daysAgo: 150, count: 40)
            try F.events(conn, session: session, type: "initiated", daysAgo: 60, count: 10)
        }
        let original = try F.count(conn, "SELECT count(*) FROM public.call_events")
        XCTAssertEqual(original, 250)
        let reports = try F.purge(db) { $0.rules = ["call_events_archive"]; $0.batchSize = 33 }
        XCTAssertEqual(F.report(reports, "call_events_archive")?.rows, 200)
        let live = try F.count(conn, "SELECT count(*) FROM public.call_events")
        let archived = try F.count(conn, "SELECT count(*) FROM public.call_events_archive")
        XCTAssertEqual(live, 50)
        XCTAssertEqual(live + archived, original)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events e JOIN public.call_events_archive a USING (id)"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive WHERE timestamp >= now() - interval '90 days'"), 0)
    }

    func testProviderLogsOlderThan30DaysArePurged() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        let session = try F.session(conn, tenant, daysAgo: 40)
        let old = try F.providerLog(conn, session: session, daysAgo: 31)
        let young = try F.providerLog(conn, session: session, daysAgo: 29)
        let reports = try F.purge(db) { $0.rules = ["telephony_provider_logs_purge"] }
        XCTAssertEqual(F.report(reports, "telephony_provider_logs_purge")?.rows, 1)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.telephony_provider_logs WHERE id = $1", [old]), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.telephony_provider_logs WHERE id = $1", [young]), 1)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_sessions WHERE id = $1", [session]), 1)
    }

    func testFailedSessionsOlderThan7DaysArePurgedWithTheirDependents() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        let oldFailed = try F.session(conn, tenant, daysAgo: 8)
        try F.event(conn, session: oldFailed, type: "initiated", daysAgo: 8)
        try F.providerLog(conn, session: oldFailed, daysAgo: 8)
        try F.response(conn, tenant, session: oldFailed, text: "It was fine", daysAgo: 8)
        try conn.execute("UPDATE public.call_sessions SET status = 'failed' WHERE id = $1", [oldFailed])
        try F.event(conn, session: oldFailed, type: "failed", daysAgo: 7.9)

        let youngFailed = try F.session(conn, tenant, daysAgo: 6, status: "failed")
        try F.event(conn, session: youngFailed, type: "failed", daysAgo: 6)
        let oldInitiated = try F.session(conn, tenant, daysAgo: 8)
        let oldCompleted = try F.session(conn, tenant, daysAgo: 20, status: "completed")
        let oldConnecting = try F.session(conn, tenant, daysAgo: 20, status: "connecting")

        let reports = try F.purge(db) { $0.rules = ["failed_call_sessions_purge"] }
        XCTAssertEqual(F.report(reports, "failed_call_sessions_purge")?.rows, 1)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_sessions WHERE id = $1", [oldFailed]), 0)
        for table in ["call_events", "call_responses", "telephony_provider_logs", "call_events_archive"] {
            XCTAssertEqual(
                try F.count(conn, "SELECT count(*) FROM public.\(table) WHERE call_session_id = $1", [oldFailed]), 0, table)
        }
        for kept in [youngFailed, oldInitiated, oldCompleted, oldConnecting] {
            XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_sessions WHERE id = $1", [kept]), 1)
        }
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events WHERE call_session_id = $1", [youngFailed]), 1)
    }

    func testFailedSessionWithArchivedEventsGoesWithThemInAFullPurge() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        let session = try F.session(conn, tenant, daysAgo: 100, status: "failed")
        try F.event(conn, session: session, type: "failed", daysAgo: 95)
        _ = try F.purge(db)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_sessions"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), 0)
    }

    func testRecordingsOlderThan30DaysAreClearedAndListed() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        var cleared: Set<String> = []
        for i in 0..<12 {
            let url = "https://recordings.example/old-\(i).wav"
            try F.session(conn, tenant, daysAgo: 31 + Double(i), recordingURL: url)
            cleared.insert(url)
        }
        let young = try F.session(conn, tenant, daysAgo: 29, recordingURL: "https://recordings.example/young.wav")
        try F.session(conn, tenant, daysAgo: 60)  // no recording

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgm-rec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }

        // Through the API, in several batches.
        let apiOut = dir.appendingPathComponent("api.txt")
        let reports = try F.purge(db) { $0.rules = ["call_recordings_clear"]; $0.batchSize = 5; $0.recordingsOut = apiOut }
        XCTAssertEqual(F.report(reports, "call_recordings_clear")?.rows, 12)
        let lines = try String(contentsOf: apiOut, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 12)
        XCTAssertEqual(Set(lines), cleared)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_sessions WHERE recording_url IS NOT NULL"), 1)
        XCTAssertEqual(
            try conn.execute("SELECT recording_url FROM public.call_sessions WHERE id = $1", [young]).scalar(String.self),
            "https://recordings.example/young.wav")

        // Through the CLI.
        try F.session(conn, tenant, daysAgo: 45, recordingURL: "https://recordings.example/cli.wav")
        let cliOut = dir.appendingPathComponent("cli.txt")
        let result = try pgmigrate(["purge", "--database-url", db.url, "--rule", "call_recordings_clear", "--recordings-out", cliOut.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try String(contentsOf: cliOut, encoding: .utf8), "https://recordings.example/cli.wav\n")
    }

    /// Every spelling of a Swedish number a transcript may hold is masked,
    /// and ordinary numbers are not.
    func testAnonymizeTextMasksEveryPhoneSpellingAndKeepsOtherNumbers() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let masked = [
            "070-123 45 67", "070 123 45 67", "070-1234567", "070 - 123 45 67", "070/123 45 67", "070.123.45.67",
            "(070) 123 45 67", "08-123 456 78", "(08) 123 456 78", "+46 70 123 45 67", "+46701234567",
            "+46-70-123 45 67", "+46 (0)70-123 45 67", "+46(0)701234567", "+46 0 70 123 45 67", "+46 8 123 456 78",
            "0046 70 123 45 67", "0046701234567",
            "0701234567",  // also a personnummer's shape: masked as one
        ]
        for number in masked {
            let out = try XCTUnwrap(conn.execute("SELECT public.anonymize_text($1)", ["ring " + number + " tack"])
                .scalar(String.self))
            XCTAssertFalse(out.contains { $0.isNumber }, "\(number) -> \(out)")
            XCTAssertTrue(out == "ring [telefon] tack" || out == "ring [personnummer] tack", "\(number) -> \(out)")
        }
        for ordinary in ["kl 08.30", "version 0.12.3", "1 500 kr", "år 2024", "0 5 10 15 20", "rum 012", "order 4711"] {
            XCTAssertEqual(try conn.execute("SELECT public.anonymize_text($1)", [ordinary]).scalar(String.self), ordinary)
        }
    }

    func testTranscriptsOlderThan30DaysAreAnonymisedOnce() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        let personal = """
            Hej, jag heter Anna. Mejla anna.svensson@example.com eller ring 070-123 45 67 eller +46701234567. \
            Mitt personnummer är 19850101-1234, kort 850101-1234. Personalen i kassan var trevlig och snabb.
            """
        let old = try F.session(conn, tenant, daysAgo: 31, transcript: personal)
        let young = try F.session(conn, tenant, daysAgo: 29, transcript: personal)

        let first = try F.purge(db) { $0.rules = ["call_transcripts_anonymize"] }
        XCTAssertEqual(F.report(first, "call_transcripts_anonymize")?.rows, 1)
        let row = try XCTUnwrap(conn.execute(
            "SELECT transcript, transcript_anonymized_at::text AS at FROM public.call_sessions WHERE id = $1", [old]).first)
        let text = try XCTUnwrap(row["transcript"])
        for secret in ["anna.svensson", "example.com", "070-123 45 67", "+46701234567", "19850101-1234", "850101-1234",
                       "1234", "701234567", "45 67"] {
            XCTAssertFalse(text.contains(secret), "\(secret) survived in: \(text)")
        }
        for kept in ["Hej, jag heter Anna.", "Mejla", "ring", "Personalen i kassan var trevlig och snabb.",
                     "[e-post]", "[telefon]", "[personnummer]"] {
            XCTAssertTrue(text.contains(kept), "\(kept) missing from: \(text)")
        }
        let stampedAt = try XCTUnwrap(row["at"])
        XCTAssertEqual(
            try conn.execute("SELECT transcript FROM public.call_sessions WHERE id = $1", [young]).scalar(String.self), personal)
        XCTAssertEqual(
            try F.count(conn, "SELECT count(*) FROM public.call_sessions WHERE id = $1 AND transcript_anonymized_at IS NULL", [young]), 1)

        let second = try F.purge(db) { $0.rules = ["call_transcripts_anonymize"] }
        XCTAssertEqual(F.report(second, "call_transcripts_anonymize")?.rows, 0)
        let again = try XCTUnwrap(conn.execute(
            "SELECT transcript, transcript_anonymized_at::text AS at FROM public.call_sessions WHERE id = $1", [old]).first)
        XCTAssertEqual(again["transcript"], text)
        XCTAssertEqual(again["at"], stampedAt)
    }

    // MARK: - Whole runs

    /// A data set touching every rule, with old and young rows.
    private func loadMixed(_ conn: Connection) throws -> F.Tenant {
        let tenant = try F.tenant(conn)
        for i in 0..<6 {
            let s = try F.session(conn, tenant, daysAgo: 100 + Double(i), recordingURL: "https://r.example/\(i)",
                                  transcript: "ring 0701234567 tack")
            try F.events(conn, session: s, type: "initiated", daysAgo: 95, count: 5)
            try F.events(conn, session: s, type: "initiated", daysAgo: 10, count: 3)
            try F.providerLog(conn, session: s, daysAgo: 40)
            try F.providerLog(conn, session: s, daysAgo: 5)
        }
        for _ in 0..<3 {
            let s = try F.session(conn, tenant, daysAgo: 10)
            try F.event(conn, session: s, type: "initiated", daysAgo: 10)
            try conn.execute("UPDATE public.call_sessions SET status = 'failed' WHERE id = $1", [s])
        }
        try F.session(conn, tenant, daysAgo: 2, recordingURL: "https://r.example/new", transcript: "ring 0701234567")
        return tenant
    }

    func testSecondPurgeChangesNothing() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try loadMixed(conn)
        let first = try F.purge(db)
        XCTAssertEqual(first.map(\.rule), F.rules().map(\.name))
        XCTAssertEqual(F.report(first, "call_events_archive")?.rows, 30)
        XCTAssertEqual(F.report(first, "telephony_provider_logs_purge")?.rows, 6)
        XCTAssertEqual(F.report(first, "failed_call_sessions_purge")?.rows, 3)
        XCTAssertEqual(F.report(first, "call_recordings_clear")?.rows, 6)
        XCTAssertEqual(F.report(first, "call_transcripts_anonymize")?.rows, 6)
        let snapshot = try F.fingerprint(conn)
        let second = try F.purge(db)
        XCTAssertEqual(second.map(\.rows), Array(repeating: 0, count: F.rules().count), "\(second)")
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
    }

    func testDryRunCountsAndChangesNothing() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try loadMixed(conn)
        let snapshot = try F.fingerprint(conn)
        let result = try pgmigrate(["purge", "--database-url", db.url, "--dry-run", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let reports = try F.decodeReports(result.stdout)
        XCTAssertEqual(reports.map(\.rows), [30, 6, 3, 6, 6], result.stdout)
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
        let text = try pgmigrate(["purge", "--database-url", db.url, "--dry-run"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("call_events_archive: 30 rows would be archived"), text.stdout)
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
    }

    func testRuleOptionRunsOnlyThatRule() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try loadMixed(conn)
        let result = try pgmigrate(["purge", "--database-url", db.url, "--rule", "telephony_provider_logs_purge", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let reports = try F.decodeReports(result.stdout)
        XCTAssertEqual(reports.map(\.rule), ["telephony_provider_logs_purge"])
        XCTAssertEqual(reports.first?.rows, 6)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.telephony_provider_logs"), 6)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_sessions WHERE status = 'failed'"), 3)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_sessions WHERE recording_url IS NOT NULL"), 7)
    }

    func testUnknownRuleExits64WithOneLine() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let result = try pgmigrate(["purge", "--database-url", db.url, "--rule", "no_such_rule"])
        XCTAssertEqual(result.status, 64, result.stderr)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("no_such_rule"), result.stderr)
        XCTAssertEqual(result.stdout, "")
    }

    func testSmallBatchSizeProcessesEverythingInSeveralBatches() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        let s = try F.session(conn, tenant, daysAgo: 120)
        try F.events(conn, session: s, type: "initiated", daysAgo: 100, count: 30)
        let result = try pgmigrate(["purge", "--database-url", db.url, "--rule", "call_events_archive", "--batch-size", "7", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(F.decodeReports(result.stdout).first)
        XCTAssertEqual(report.rows, 30)
        XCTAssertEqual(report.batches, 5)  // 7 + 7 + 7 + 7 + 2
        XCTAssertFalse(report.stoppedEarly)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), 30)
    }

    func testMaxRuntimeStopsBetweenBatchesAndALaterRunFinishes() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        for _ in 0..<4 {
            let s = try F.session(conn, tenant, daysAgo: 120)
            try F.events(conn, session: s, type: "initiated", daysAgo: 100, count: 500)
        }
        let result = try pgmigrate([
            "purge", "--database-url", db.url, "--rule", "call_events_archive", "--batch-size", "1",
            "--max-runtime", "0.05", "--json",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(F.decodeReports(result.stdout).first)
        XCTAssertTrue(report.stoppedEarly, result.stdout)
        XCTAssertLessThan(report.rows, 2000)
        XCTAssertEqual(report.batches, report.rows, "each batch of one row committed")
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), report.rows)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events"), 2000 - report.rows)

        // In text, a rule cut short says more may remain; the rules after it were not run.
        let text = try pgmigrate(["purge", "--database-url", db.url, "--batch-size", "1", "--max-runtime", "0.05"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("— stopped at --max-runtime, more may remain"), text.stdout)
        XCTAssertTrue(text.stdout.contains("call_transcripts_anonymize: not run, --max-runtime reached"), text.stdout)
        let archived = try F.count(conn, "SELECT count(*) FROM public.call_events_archive")

        let rest = try F.purge(db) { $0.rules = ["call_events_archive"] }
        XCTAssertEqual(F.report(rest, "call_events_archive")?.rows, 2000 - archived)
        XCTAssertEqual(F.report(rest, "call_events_archive")?.stoppedEarly, false)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), 2000)
    }

    func testJSONOutputParses() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try loadMixed(conn)
        let result = try pgmigrate(["purge", "--database-url", db.url, "--json", "--batch-size", "4"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let reports = try F.decodeReports(result.stdout)
        XCTAssertEqual(reports.map(\.rule), F.rules().map(\.name))
        XCTAssertEqual(reports.map(\.action), ["archived", "deleted", "deleted", "cleared", "anonymised"])
        XCTAssertEqual(reports.map(\.rows), [30, 6, 3, 6, 6])
        XCTAssertTrue(reports.allSatisfy { $0.longestBatchMilliseconds <= $0.milliseconds && !$0.stoppedEarly })
        XCTAssertEqual(F.report(reports, "call_events_archive")?.batches, 8)  // 30 rows by 4
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        XCTAssertTrue(object is [Any])
    }

    // MARK: - Concurrency

    func testPurgeWhileAnotherConnectionInsertsLosesNothing() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        // Old events to archive, on sessions the inserter also writes to (and on others).
        var sessions: [UUID] = []
        for _ in 0..<8 {
            let s = try F.session(conn, tenant, daysAgo: 120)
            try F.events(conn, session: s, type: "initiated", daysAgo: 100, count: 500)
            sessions.append(s)
        }
        let original = try F.count(conn, "SELECT count(*) FROM public.call_events")

        let state = SharedState()
        let settings = db.settings
        let targets = sessions
        let inserter = Thread {
            defer { state.finish() }
            do {
                let c = try settings.connect(applicationName: "inserter")
                var i = 0
                while !state.isStopped {
                    let s = targets[i % targets.count]
                    try c.execute(
                        """
                        INSERT INTO public.call_events (call_session_id, event_type, event_data, source)
                        VALUES ($1, 'initiated', jsonb_build_object('live', $2::int), 'system')
                        """, [s, i])
                    state.add(1)
                    i += 1
                }
            } catch {
                state.fail("\(error)")
            }
        }
        inserter.start()
        defer { state.stop() }
        while state.count < 20 && state.failures.isEmpty && !state.isDone { Thread.sleep(forTimeInterval: 0.01) }

        let reports = try F.purge(db) { $0.rules = ["call_events_archive"]; $0.batchSize = 50 }
        state.stop()
        while !state.isDone { Thread.sleep(forTimeInterval: 0.01) }

        XCTAssertEqual(state.failures, [])
        XCTAssertEqual(F.report(reports, "call_events_archive")?.rows, original)
        let inserted = state.count
        XCTAssertGreaterThan(inserted, 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events WHERE event_data ? 'live'"), inserted)
        XCTAssertEqual(try F.count(conn, "SELECT count(DISTINCT event_data->'live') FROM public.call_events"), inserted)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive WHERE event_data ? 'live'"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), original)
    }

    /// Cron pointed at a database nobody migrated gets one line saying so,
    /// not PostgreSQL's "you might need to add explicit type casts".
    func testPurgeAndEraseOnAnUnmigratedDatabaseSayToMigrateFirst() throws {
        let db = try makeDatabase()
        let runs: [(arguments: [String], names: String)] = [
            (["purge"], "public.retention_call_events_archive"),
            (["purge", "--dry-run"], "public.call_events"),
            (["erase", "--phone-stdin"], "public.erase_customer_data"),
        ]
        for (arguments, names) in runs {
            let result = try pgmigrate(arguments + ["--database-url", db.url],
                                       environment: [Eraser.keyEnvironmentVariable: "k"], input: "070-123 45 67\n")
            XCTAssertEqual(result.status, ExitStatus.refused.rawValue, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(names), result.stderr)
            XCTAssertTrue(result.stderr.contains("pgmigrate migrate"), result.stderr)
        }
    }

    func testSecondPurgeExitsZeroWhileTheLockIsHeldAndWaitWaits() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try loadMixed(conn)
        let holder = try db.connect()
        XCTAssertTrue(try holder.execute(
            "SELECT pg_try_advisory_lock($1, $2)", [Purger.lockNamespace, Purger.lockKey]).scalar(Bool.self))
        let snapshot = try F.fingerprint(conn)

        // API: reports the lock.
        let outcome = try Purger(settings: db.settings, rules: F.rules(), options: Purger.Options()).run()
        XCTAssertEqual(outcome, .lockHeldElsewhere)

        // CLI: exits 0 and says so.
        let skipped = try pgmigrate(["purge", "--database-url", db.url])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("another purge"), skipped.stderr)
        let skippedJSON = try pgmigrate(["purge", "--database-url", db.url, "--json"])
        XCTAssertEqual(skippedJSON.status, 0, skippedJSON.stderr)
        // The same shape as a run: an array of rule reports, here empty.
        let skippedReports = try JSONSerialization.jsonObject(with: Data(skippedJSON.stdout.utf8)) as? [Any]
        XCTAssertEqual(skippedReports?.count, 0, skippedJSON.stdout)
        XCTAssertEqual(try F.fingerprint(conn), snapshot)

        // --wait: blocks on the lock until the holder lets go, then runs.
        let process = Process()
        process.executableURL = TestServer.executable
        process.arguments = ["purge", "--database-url", db.url, "--wait", "--json"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var waiting = 0
        for _ in 0..<3000 where waiting == 0 && process.isRunning {
            waiting = try F.count(conn, """
                SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = 'pgmigrate purge'
                """)
            if waiting == 0 { Thread.sleep(forTimeInterval: 0.01) }
        }
        XCTAssertEqual(waiting, 1, "the --wait purge waits for the lock")
        XCTAssertTrue(process.isRunning)
        XCTAssertEqual(try F.fingerprint(conn), snapshot)
        try holder.execute("SELECT pg_advisory_unlock($1, $2)", [Purger.lockNamespace, Purger.lockKey])
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let reports = try JSONDecoder().decode([Purger.RuleReport].self, from: data)
        XCTAssertEqual(reports.map(\.rows), [30, 6, 3, 6, 6])
    }

    /// `--wait` must wait for as long as the other purge runs: a purge of a
    /// big data set easily holds the lock longer than the 5 s lock_timeout
    /// the purger sets for its batches.
    func testWaitOutlastsTheBatchLockTimeout() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        _ = try loadMixed(conn)
        let holder = try db.connect()
        XCTAssertTrue(try holder.execute(
            "SELECT pg_try_advisory_lock($1, $2)", [Purger.lockNamespace, Purger.lockKey]).scalar(Bool.self))
        let process = Process()
        process.executableURL = TestServer.executable
        process.arguments = ["purge", "--database-url", db.url, "--wait", "--json"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Another purge "runs" for longer than lock_timeout (5 s).
        Thread.sleep(forTimeInterval: 6.5)
        try holder.execute("SELECT pg_advisory_unlock($1, $2)", [Purger.lockNamespace, Purger.lockKey])
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "--wait gave up: \(errors)")
        XCTAssertEqual(try? JSONDecoder().decode([Purger.RuleReport].self, from: data).map(\.rows), [30, 6, 3, 6, 6])
    }

    func testTwoCLIPurgesAtOnceOneRunsTheOtherSaysSo() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        for _ in 0..<10 {
            let s = try F.session(conn, tenant, daysAgo: 120)
            try F.events(conn, session: s, type: "initiated", daysAgo: 100, count: 1000)
        }
        let first = Process()
        first.executableURL = TestServer.executable
        first.arguments = ["purge", "--database-url", db.url, "--rule", "call_events_archive", "--batch-size", "20"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        // Start the second once the first holds the lock.
        var held = 0
        for _ in 0..<3000 where held == 0 && first.isRunning {
            held = try F.count(conn, """
                SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
                AND classid = $1::bigint::oid AND objid = $2::bigint::oid
                """, [Int(Purger.lockNamespace), Int(Purger.lockKey)])
            if held == 0 { Thread.sleep(forTimeInterval: 0.005) }
        }
        let second = try pgmigrate(["purge", "--database-url", db.url, "--rule", "call_events_archive"])
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertEqual(second.status, 0, second.stderr)
        if held == 1 {
            XCTAssertTrue(second.stderr.contains("another purge"), second.stderr)
        }
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), 10_000)
    }

    /// The progress line: on a terminal only, never with --json or when
    /// stderr is a pipe. `script` gives the process a pseudo-terminal; the
    /// one-second threshold is lowered to 0 so the test needs no slow rule.
    func testProgressLineOnlyOnATerminalAndNeverWithJSON() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            // Under CI a missing tool is a failure, never a silent skip.
            let message = "needs /usr/bin/script (util-linux / bsdutils) to give pgmigrate a terminal"
            if ProcessInfo.processInfo.environment["CI"] != nil { return XCTFail(message) }
            throw XCTSkip(message)
        }
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        func load() throws {
            let s = try F.session(conn, tenant, daysAgo: 120)
            try F.events(conn, session: s, type: "initiated", daysAgo: 100, count: 50)
        }
        let env = ["PGMIGRATE_PROGRESS_AFTER_MS": "0"]
        func onTerminal(_ extra: String) throws -> ProcessResult {
            let command = "'\(TestServer.executable.path)' purge --database-url '\(db.url)' --rule call_events_archive --batch-size 10\(extra)"
            return try runProcess(URL(fileURLWithPath: "/usr/bin/script"), ["-qefc", command, "/dev/null"], environment: env)
        }
        try load()
        let tty = try onTerminal("")
        XCTAssertEqual(tty.status, 0, tty.stdout + tty.stderr)
        XCTAssertTrue(tty.stdout.contains("call_events_archive: 10 rows, "), tty.stdout)
        XCTAssertTrue(tty.stdout.contains(" rows/s, "), tty.stdout)

        try load()
        let json = try onTerminal(" --json")
        XCTAssertEqual(json.status, 0, json.stdout + json.stderr)
        XCTAssertFalse(json.stdout.contains("rows/s"), json.stdout)

        try load()
        let piped = try pgmigrate(["purge", "--database-url", db.url, "--rule", "call_events_archive", "--batch-size", "10"], environment: env)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stderr, "", "nothing on stderr when it is not a terminal")
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), 150)
    }

    func testKilledPurgeIsFinishedByTheNextRunWithNothingLostOrDuplicated() throws {
        let db = try makeDatabase()
        let conn = try db.connect()
        try F.prepare(conn)
        let tenant = try F.tenant(conn)
        for _ in 0..<20 {
            let s = try F.session(conn, tenant, daysAgo: 120)
            try F.events(conn, session: s, type: "initiated", daysAgo: 100, count: 1000)
        }
        let ids = try conn.execute("SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM public.call_events").scalar(String.self)
        let original = 20_000

        let process = Process()
        process.executableURL = TestServer.executable
        process.arguments = ["purge", "--database-url", db.url, "--rule", "call_events_archive", "--batch-size", "10"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var archived = 0
        for _ in 0..<6000 where archived < 500 && process.isRunning {
            archived = try F.count(conn, "SELECT count(*) FROM public.call_events_archive")
            if archived < 500 { Thread.sleep(forTimeInterval: 0.005) }
        }
        XCTAssertTrue(process.isRunning, "the data set should outlast the first 500 rows")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)

        let midLive = try F.count(conn, "SELECT count(*) FROM public.call_events")
        let midArchived = try F.count(conn, "SELECT count(*) FROM public.call_events_archive")
        XCTAssertEqual(midLive + midArchived, original)
        XCTAssertLessThan(midArchived, original, "killed before the end")

        // The killed backend may still hold the lock for a moment: wait for it.
        let reports = try F.purge(db) { $0.rules = ["call_events_archive"]; $0.waitForLock = true }
        XCTAssertEqual(F.report(reports, "call_events_archive")?.rows, midLive)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events"), 0)
        XCTAssertEqual(try F.count(conn, "SELECT count(*) FROM public.call_events_archive"), original)
        XCTAssertEqual(try F.count(conn, "SELECT count(DISTINCT id) FROM public.call_events_archive"), original)
        XCTAssertEqual(
            try conn.execute("SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM public.call_events_archive").scalar(String.self),
            ids)
    }
}
