import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// The shipped call-feedback model, time-partitioned: `call_events`,
/// `call_events_archive` and `telephony_provider_logs`. The conversion of a
/// database at sql/0005 (1M events, a writer inserting throughout) by the
/// committed sql/0006-0011, partitions as no side door, erasure over every
/// partition, late and back-dated inserts, a week without cron, and a
/// SIGKILL during a partition move.
final class CallFeedbackPartitionTests: XCTestCase {
    private typealias F = RetentionFixtures
    static let rows = 1_000_000
    static var sqlDirectory: URL { TestServer.repositoryRoot.appendingPathComponent("sql") }
    static var catalog: Catalog { CallFeedbackSchema.catalog() }
    static let partitioned = ["call_events", "call_events_archive", "telephony_provider_logs"]

    private func count(_ c: Connection, _ sql: String, _ parameters: [any PQParameter] = []) throws -> Int {
        try c.execute(sql, parameters).scalar(Int.self)
    }

    private func today(_ c: Connection) throws -> CivilDay {
        try XCTUnwrap(CivilDay(iso: try c.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')").scalar(String.self)))
    }

    // MARK: - The conversion of a database at 0005

    func testConversionOfADatabaseAt0005With1MEventsKeepsEveryRowWhileAWriterInserts() throws {
        let database = try makeDatabase()
        let migrator = Migrator(settings: database.settings, directory: Self.sqlDirectory)
        _ = try migrator.migrate(target: 5)
        let c = try database.connect()
        try F.useKey(c)
        XCTAssertEqual(try c.execute("SELECT relkind::text FROM pg_class WHERE oid = 'public.call_events'::regclass").scalar(String.self), "r")
        let tenant = try F.tenant(c)
        let session = try F.session(c, tenant, daysAgo: 121)
        let logSession = try F.session(c, tenant, daysAgo: 121)
        // 1M events over 120 days, inserted in one statement with the triggers
        // off (the test is about the conversion; the rules are checked after it).
        try c.execute("SET session_replication_role = replica")
        try c.execute(
            """
            INSERT INTO public.call_events (call_session_id, business_id, event_type, event_data, timestamp, source)
            SELECT $1, $2, 'initiated', jsonb_build_object('n', i), now() - interval '1 minute' - (i::float8 / $3) * interval '120 days', 'system'
            FROM generate_series(1, $3) i
            """, [session, tenant.business, Self.rows])
        try c.execute(
            """
            INSERT INTO public.call_events_archive (id, call_session_id, business_id, event_type, event_data, timestamp, source, metadata, archived_at)
            SELECT gen_random_uuid(), $1, $2, 'initiated', '{}', now() - interval '200 days' + i * interval '1 second', 'system', NULL, now()
            FROM generate_series(1, 1000) i
            """, [session, tenant.business])
        try c.execute(
            """
            INSERT INTO public.telephony_provider_logs (call_session_id, business_id, provider, provider_call_id, operation,
                request_payload, response_payload, status_code, latency_ms, success, created_at)
            SELECT $1, $2, '46elks', 'c', 'initiate', '{}', '{}', 200, 1, true, now() - i * interval '1 hour'
            FROM generate_series(1, 1000) i
            """, [logSession, tenant.business])
        try c.execute("RESET session_replication_role")
        let idsBefore = try c.execute("SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM public.call_events").scalar(String.self)

        final class Writer: @unchecked Sendable {
            let lock = NSLock()
            var stop = false
            var inserted = 0
            var failures: [String] = []
            var longestWait: Duration = .zero
            let done = DispatchSemaphore(value: 0)
        }
        let writer = Writer()
        let settings = database.settings
        DispatchQueue.global().async {
            defer { writer.done.signal() }
            guard let w = try? settings.connect(applicationName: "pgm-conversion-writer") else {
                writer.lock.withLock { writer.failures.append("cannot connect") }
                return
            }
            let clock = ContinuousClock()
            while !writer.lock.withLock({ writer.stop }) {
                let began = clock.now
                do {
                    try w.execute("INSERT INTO public.call_events (call_session_id, event_type, source) VALUES ($1, 'initiated', 'system')", [session])
                    try w.execute(
                        """
                        INSERT INTO public.telephony_provider_logs (call_session_id, provider, provider_call_id, operation,
                            request_payload, response_payload, status_code, latency_ms, success)
                        VALUES ($1, '46elks', 'w', 'initiate', '{}', '{}', 200, 1, true)
                        """, [logSession])
                    let took = clock.now - began
                    writer.lock.withLock {
                        writer.inserted += 1
                        writer.longestWait = max(writer.longestWait, took)
                    }
                } catch {
                    writer.lock.withLock { writer.failures.append("\(error)") }
                }
            }
        }
        func waitForWrites(_ n: Int) {
            let start = writer.lock.withLock { writer.inserted }
            while writer.lock.withLock({ writer.inserted }) < start + n { Thread.sleep(forTimeInterval: 0.01) }
        }
        waitForWrites(20)
        _ = try migrator.migrate(target: 8)
        waitForWrites(20)
        var swaps: [String] = []
        let clock = ContinuousClock()
        for version in 9...11 {
            let began = clock.now
            _ = try migrator.migrate(target: Int64(version))
            swaps.append("\(version): \(clock.now - began)")
            waitForWrites(5)
        }
        _ = try migrator.migrate()  // the files after the conversion (0012: the events' bounded ordering lookup)
        try PartitionMaintainer(tables: Self.catalog.tables).run(on: c)
        waitForWrites(20)
        writer.lock.withLock { writer.stop = true }
        writer.done.wait()
        print("conversion of \(Self.rows) events: swap files (ACCESS EXCLUSIVE transaction + ledger) \(swaps.joined(separator: ", ")); writer inserted \(writer.inserted) rows, longest insert \(writer.longestWait)")

        XCTAssertEqual(writer.failures, [])
        for table in Self.partitioned {
            XCTAssertEqual(try c.execute("SELECT relkind::text FROM pg_class WHERE oid = $1::regclass", ["public.\(table)"]).scalar(String.self), "p", table)
        }
        XCTAssertEqual(try count(c, "SELECT count(*) FROM public.call_events"), Self.rows + writer.inserted)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM public.call_events_archive"), 1000)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM public.telephony_provider_logs"), 1000 + writer.inserted)
        XCTAssertEqual(
            try c.execute("SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM public.call_events WHERE event_data ? 'n'").scalar(String.self),
            idsBefore, "every event that was there is there")
        XCTAssertEqual(try count(c, "SELECT count(*) FROM ONLY public.call_events_legacy"), Self.rows + writer.inserted,
                       "the old table is the legacy partition (rows before its bound)")
        // Every rule holds through the parent after the conversion.
        assertSQLState(.checkViolation, constraint: "call_events_event_data_is_object") {
            try c.execute("INSERT INTO public.call_events (call_session_id, event_type, event_data, source) VALUES ($1, 'initiated', '[]', 'system')", [session])
        }
        assertSQLState(.checkViolation) {
            // The ordering rule: never earlier than the session's previous event.
            try c.execute("INSERT INTO public.call_events (call_session_id, event_type, timestamp, source) VALUES ($1, 'initiated', now() - interval '1 day', 'system')", [session])
        }
        assertSQLState(.uniqueViolation) {
            try c.execute("INSERT INTO public.call_events (id, call_session_id, event_type, timestamp, source) SELECT id, call_session_id, event_type, timestamp, source FROM public.call_events WHERE call_session_id = $1 ORDER BY timestamp DESC LIMIT 1", [session])
        }
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.call_events_legacy'::regclass AND NOT tgisinternal"), 1,
                       "the rules trigger fires once on the legacy partition (the parent's clone), not twice")
        let report = try DriftCheck(catalog: Self.catalog, schema: "public", target: database.settings).run()
        XCTAssertTrue(report.changes.isEmpty, "\(report.changes)")
        XCTAssertEqual(report.partitions, [], "\(report.partitions)")
    }

    // MARK: - Partitions are no side door

    func testATenantRoleCannotReadAPartitionDirectly() throws {
        let database = try makeDatabase()
        let c = try database.connect()
        try F.prepare(c)
        try PartitionMaintainer(tables: Self.catalog.tables).run(on: c)
        let tenant = try F.tenant(c)
        let session = try F.session(c, tenant, daysAgo: 0.01)
        try F.event(c, session: session, type: "initiated", daysAgo: 0.005)
        try F.providerLog(c, session: session, daysAgo: 0.005)
        let day = try today(c)
        try c.execute("SET ROLE \(CallFeedbackSchema.tenantRole)")
        try c.execute("SELECT set_config('app.current_business_id', $1, false)", [tenant.business.uuidString.lowercased()])
        XCTAssertEqual(try count(c, "SELECT count(*) FROM public.call_events"), 1, "through the parent and its policy")
        for table in Self.partitioned {
            for partition in ["\(table)_default", "\(table)_p\(day.compact)"] {
                assertSQLState(.insufficientPrivilege, partition) { try c.execute("SELECT count(*) FROM public.\(partition)") }
                assertSQLState(.insufficientPrivilege, partition) { try c.execute("DELETE FROM public.\(partition)") }
            }
        }
        try c.execute("RESET ROLE")
    }

    // MARK: - Inserts never fail for want of a partition

    func testLateAndBackDatedInsertsLandAndAWeekWithoutCronIsSortedOutByTheNextRun() throws {
        let database = try makeDatabase()
        let c = try database.connect()
        try F.prepare(c)  // the migration made today's partitions and a week ahead
        let day = try today(c)
        let tenant = try F.tenant(c)
        let old = try F.session(c, tenant, daysAgo: 101)
        let backfilled = try F.event(c, session: old, type: "initiated", daysAgo: 100)
        let late = try F.providerLog(c, session: old, daysAgo: 1)
        func partition(_ table: String, _ id: UUID) throws -> String {
            try c.execute("SELECT tableoid::regclass::text FROM public.\(table) WHERE id = $1", [id]).scalar(String.self)
        }
        XCTAssertEqual(try partition("call_events", backfilled), "call_events_default", "a back-fill 100 days old lands")
        XCTAssertEqual(try partition("telephony_provider_logs", late), "telephony_provider_logs_default", "a provider log a day late lands")
        // A week and more without cron: rows of days no run has made yet.
        let current = try F.session(c, tenant, daysAgo: 0.01)
        let inAWeek = "\(day.adding(days: 8)) 12:00:00+00"
        let future = try c.execute(
            "INSERT INTO public.call_events (call_session_id, event_type, timestamp, source) VALUES ($1, 'initiated', $2::timestamptz, 'system') RETURNING id",
            [current, inAWeek]).scalar(UUID.self)
        let log = try c.execute(
            """
            INSERT INTO public.telephony_provider_logs (call_session_id, provider, provider_call_id, operation, request_payload,
                response_payload, status_code, latency_ms, success, created_at)
            VALUES ($1, '46elks', 'c', 'initiate', '{}', '{}', 200, 1, true, $2::timestamptz) RETURNING id
            """, [current, inAWeek]).scalar(UUID.self)
        XCTAssertEqual(try partition("call_events", future), "call_events_default")
        XCTAssertEqual(try partition("telephony_provider_logs", log), "telephony_provider_logs_default")
        // The run a week later fills the days missed, makes a week ahead and sorts the default partitions out.
        let reports = try PartitionMaintainer(tables: Self.catalog.tables).run(on: c, today: day.adding(days: 9))
        XCTAssertEqual(reports.first { $0.table == "public.call_events" }?.movedFromDefault, 2)
        XCTAssertEqual(reports.first { $0.table == "public.telephony_provider_logs" }?.movedFromDefault, 2)
        XCTAssertEqual(try partition("call_events", backfilled), "call_events_p\(day.adding(days: -100).compact)")
        XCTAssertEqual(try partition("call_events", future), "call_events_p\(day.adding(days: 8).compact)")
        XCTAssertEqual(try partition("telephony_provider_logs", late), "telephony_provider_logs_p\(day.adding(days: -1).compact)")
        XCTAssertEqual(try partition("telephony_provider_logs", log), "telephony_provider_logs_p\(day.adding(days: 8).compact)")
        for table in Self.partitioned {
            XCTAssertEqual(try count(c, "SELECT count(*) FROM public.\(table)_default"), 0, table)
            XCTAssertEqual(try count(c, "SELECT count(*) FROM pg_class WHERE relname = $1", ["\(table)_p\(day.adding(days: 16).compact)"]), 1, table)
        }
        XCTAssertEqual(try count(c, "SELECT count(*) FROM public.call_events"), 2)
        // Inserts of every day in between still land, through the parent.
        for offset in [-100, -1, 0, 3, 8, 16, 40] {
            let at = "\(day.adding(days: offset)) 13:00:00+00"
            XCTAssertNoThrow(try c.execute(
                """
                INSERT INTO public.telephony_provider_logs (call_session_id, provider, provider_call_id, operation, request_payload,
                    response_payload, status_code, latency_ms, success, created_at)
                VALUES ($1, '46elks', 'c', 'initiate', '{}', '{}', 200, 1, true, $2::timestamptz)
                """, [current, at]), at)
        }
    }

    // MARK: - Erasure reaches every partition

    func testEraseReachesEveryPartitionIncludingTheArchive() throws {
        let database = try makeDatabase()
        let c = try database.connect()
        try F.prepare(c)
        let phone = "+46701234567"
        let tenant = try F.tenant(c)
        var sessions: [UUID] = []
        for days in [120.0, 95.0, 3.0, 0.01] {
            let s = try F.session(c, tenant, daysAgo: days + 0.001, phone: phone)
            try F.event(c, session: s, type: "initiated", daysAgo: days, data: #"{"to": "\#(phone)"}"#)
            try F.providerLog(c, session: s, daysAgo: days, payload: #"{"to": "\#(phone)"}"#)
            sessions.append(s)
        }
        // Old rows sorted into their partitions, old events archived by partition.
        try PartitionMaintainer(tables: Self.catalog.tables).run(on: c)
        let rule = try XCTUnwrap(CallFeedbackSchema.rules().retention.first { $0.name == "call_events_archive" })
        let retirer = try XCTUnwrap(PartitionRetirer(rule: rule, catalog: Self.catalog))
        XCTAssertEqual(try retirer.run(on: c).partitions.count, 2)
        let spread = try count(c, "SELECT count(DISTINCT tableoid) FROM public.call_events_archive")
            + count(c, "SELECT count(DISTINCT tableoid) FROM public.call_events")
            + count(c, "SELECT count(DISTINCT tableoid) FROM public.telephony_provider_logs")
        XCTAssertEqual(spread, 2 + 2 + 4, "rows in eight partitions")

        let report = try Eraser(settings: database.settings, erasure: CallFeedbackSchema.rules().erasure)
            .erase(phone: phone, key: F.key, dryRun: false)
        XCTAssertEqual(report.events, 2)
        XCTAssertEqual(report.archivedEvents, 2)
        XCTAssertEqual(report.providerLogs, 4)
        // Read every partition directly: none holds the number.
        let partitions = try c.execute(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent IN ('public.call_events'::regclass, 'public.call_events_archive'::regclass, 'public.telephony_provider_logs'::regclass)
            """).rows.compactMap { $0[0] }
        XCTAssertGreaterThan(partitions.count, 8)
        for partition in partitions {
            XCTAssertEqual(try count(c, "SELECT count(*) FROM ONLY public.\(partition) t WHERE t::text LIKE '%701234567%'"), 0, partition)
        }
    }

    // MARK: - SIGKILL during a partition move

    func testASIGKILLDuringAMoveToTheArchiveLosesNothingAndTheNextRunFinishesIt() throws {
        let database = try makeDatabase()
        let c0 = try database.connect()
        try F.prepare(c0)
        let tenant = try F.tenant(c0)
        for days in [100.0, 99.0, 1.0] {
            let s = try F.session(c0, tenant, daysAgo: days + 0.01)
            try F.events(c0, session: s, type: "initiated", daysAgo: days, count: 50)
        }
        try PartitionMaintainer(tables: Self.catalog.tables).run(on: c0)
        let ids = try c0.execute("SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM public.call_events").scalar(String.self)
        let rule = try XCTUnwrap(CallFeedbackSchema.rules().retention.first { $0.name == "call_events_archive" })
        let catalog = Self.catalog

        let holder = try database.connect()
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE public.call_events_archive_default IN ACCESS SHARE MODE")
        final class Outcome: @unchecked Sendable {
            let lock = NSLock()
            var error: (any Error)?
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        let settings = database.settings
        DispatchQueue.global().async {
            do {
                let mover = try settings.connect(applicationName: "pgm-shipped-partition-move")
                var options = PartitionMaintainer.Options()
                options.lockTimeoutMilliseconds = 600_000
                if let retirer = PartitionRetirer(rule: rule, catalog: catalog, options: options) { _ = try retirer.run(on: mover) }
            } catch {
                outcome.lock.withLock { outcome.error = error }
            }
            outcome.done.signal()
        }
        var pid: Int32 = 0
        while pid == 0 {
            let row = try c0.execute("""
                SELECT pid FROM pg_stat_activity
                WHERE application_name = 'pgm-shipped-partition-move' AND wait_event_type = 'Lock' AND query LIKE '%ATTACH PARTITION%'
                """).first
            pid = Int32(row?[0] ?? "") ?? 0
            if pid == 0 { Thread.sleep(forTimeInterval: 0.05) }
        }
        XCTAssertEqual(kill(pid, SIGKILL), 0, "kill -9 of the moving backend")
        outcome.done.wait()
        XCTAssertNotNil(outcome.lock.withLock { outcome.error }, "the killed move must fail")
        var c: Connection?
        while c == nil {
            c = try? database.connect()
            if let connection = c, (try? connection.execute("SELECT 1")) == nil { c = nil }
            if c == nil { Thread.sleep(forTimeInterval: 0.2) }
        }
        guard let c else { return }
        XCTAssertEqual(try count(c, "SELECT count(*) FROM public.call_events_archive"), 0, "nothing moved")
        XCTAssertEqual(try c.execute("SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM public.call_events").scalar(String.self), ids)
        // The second run, as purge runs it, finishes the move.
        let retirer = try XCTUnwrap(PartitionRetirer(rule: rule, catalog: catalog))
        let report = try retirer.run(on: c)
        XCTAssertEqual(report.partitionRows, 100)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM public.call_events_archive"), 100)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM public.call_events e JOIN public.call_events_archive a USING (id)"), 0, "nothing in both")
        XCTAssertEqual(try c.execute(
            "SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM (SELECT id FROM public.call_events UNION ALL SELECT id FROM public.call_events_archive) x"
        ).scalar(String.self), ids, "nothing lost")
        // The archive keeps its foreign key on the moved partitions (adopted, not dropped).
        XCTAssertEqual(try count(c, """
            SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN (
                SELECT inhrelid FROM pg_inherits WHERE inhparent = 'public.call_events_archive'::regclass)
            AND conparentid <> 0
            """), try count(c, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.call_events_archive'::regclass"))
    }
}
