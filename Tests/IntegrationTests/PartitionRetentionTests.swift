import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// Retention by partition on the small partitioned model of
/// `PartitionMaintenanceTests`, with an archive partitioned the same way:
/// whole partitions past the age move (or are dropped) as catalogue
/// operations, the straddling partition and default-partition rows go by
/// the row path, and the rule stays exact. Dates are relative to the
/// server's `now()`, and every assertion holds whatever the time of day.
final class PartitionRetentionTests: XCTestCase {
    static let archiveRule = RetentionRule(
        name: "events_archive", table: PartitionMaintenanceTests.events, ageColumn: "at", olderThanDays: 90,
        action: .archive(into: QualifiedName("pt", "events_archive"), archivedAtColumn: "archived_at"),
        comment: "Events older than 90 days are archived.")
    static let deleteRule = RetentionRule(
        name: "events_delete", table: PartitionMaintenanceTests.events, ageColumn: "at", olderThanDays: 30,
        action: .delete, comment: "Events older than 30 days are deleted.")

    static func catalog(_ rule: RetentionRule) -> Catalog {
        var catalog = PartitionMaintenanceTests.catalog
        guard let events = catalog.table(PartitionMaintenanceTests.events) else { return catalog }
        let archive = Table(
            QualifiedName("pt", "events_archive"),
            columns: events.columns.map { column in
                var column = column
                column.defaultValue = nil
                return column
            } + [Column("archived_at", .timestamptz)],
            primaryKey: PrimaryKey(name: "events_archive_pkey", columns: ["id", "at"]),
            checks: [CheckConstraint(name: "events_kind_not_empty", columns: ["kind"], "(kind <> ''::text)")],
            partitioning: RangePartitioning(by: "at"))
        catalog.tables.append(archive)
        catalog.functions.append(rule.function(columns: events.columns.map(\.name), executeGrantees: [], partitioned: true))
        return catalog
    }

    private struct Setup {
        let connection: Connection
        let tenant: UUID
        let session: UUID
    }

    private func setUp(_ database: TestDatabase, _ rule: RetentionRule) throws -> Setup {
        let catalog = Self.catalog(rule)
        XCTAssertEqual(catalog.validationErrors(), [])
        let c = try database.connect()
        try c.executeScript(PostgresRenderer().statements(for: catalog).map(\.sql).joined(separator: ";\n") + ";")
        let setup = Setup(connection: c, tenant: UUID(), session: UUID())
        try c.execute("INSERT INTO pt.sessions VALUES ($1, $2)", [setup.tenant, setup.session])
        return setup
    }

    /// Inserts `count` events `age` before now (an interval literal).
    private func insert(_ s: Setup, age: String, count: Int = 1) throws {
        try s.connection.execute(
            """
            INSERT INTO pt.events (tenant_id, session_id, at, kind)
            SELECT $1, $2, pg_catalog.now() - $3::interval, 'ok' FROM generate_series(1, $4)
            """, [s.tenant, s.session, age, count])
    }

    private func count(_ c: Connection, _ sql: String) throws -> Int { try c.execute(sql).scalar(Int.self) }

    private func runRowPath(_ c: Connection, _ rule: RetentionRule, batch: Int = 1000) throws -> Int {
        var total = 0
        while true {
            let n = try count(c, "SELECT count(*) FROM \(rule.functionName.sql)(\(batch))")
            total += n
            if n == 0 { return total }
        }
    }

    /// The rule holds exactly: nothing past the age is live, nothing younger
    /// was archived, no row is in both tables, and no row was lost.
    private func assertExact(_ c: Connection, total: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events WHERE at < now() - interval '90 days'"), 0, file: file, line: line)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_archive WHERE at >= now() - interval '90 days'"), 0, file: file, line: line)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events e JOIN pt.events_archive a USING (id)"), 0, file: file, line: line)
        XCTAssertEqual(try count(c, "SELECT (SELECT count(*) FROM pt.events) + (SELECT count(*) FROM pt.events_archive)"), total, file: file, line: line)
    }

    func testWholePartitionsPastTheAgeMoveToTheArchiveAndTheRowPathKeepsTheRuleExact() throws {
        let s = try setUp(try makeDatabase(), Self.archiveRule)
        let c = s.connection
        let catalog = Self.catalog(Self.archiveRule)
        // Old rows first: they land in the default partition; maintenance sorts them into days.
        try insert(s, age: "95 days", count: 5)
        try insert(s, age: "94 days", count: 4)
        try insert(s, age: "91 days 1 hour", count: 3)
        try insert(s, age: "90 days 1 minute", count: 2)   // the straddling day, past the age
        try insert(s, age: "89 days 23 hours", count: 2)   // within the age, maybe the same day
        try insert(s, age: "1 day", count: 6)
        try PartitionMaintainer(tables: catalog.tables).run(on: c)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_default"), 0)
        // A back-fill after maintenance, 200 days old: it stays in the default partition.
        try insert(s, age: "200 days", count: 1)
        // Yesterday's run archived the two oldest rows one by one (they wait in the archive's default).
        XCTAssertEqual(try count(c, "SELECT count(*) FROM \(Self.archiveRule.functionName.sql)(2)"), 1 + 1)
        let total = 23

        let retirer = try XCTUnwrap(PartitionRetirer(rule: Self.archiveRule, catalog: catalog))
        let dry = try retirer.run(on: c, dryRun: true)
        let whole = try retirer.partitionsPastAge(on: c).map(\.name)
        XCTAssertGreaterThanOrEqual(whole.count, 3, "\(whole)")   // 95, 94 and 91 days old, whatever the hour
        XCTAssertEqual(dry.partitions, whole)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_archive"), 2, "a dry run changes nothing")

        let report = try retirer.run(on: c)
        XCTAssertEqual(report.partitions, dry.partitions)
        XCTAssertEqual(report.partitionRows, dry.partitionRows)
        XCTAssertEqual(report.action, "archived")
        // The moved partitions are the archive's now, with their rows and the two taken back from its default.
        for name in whole {
            let archived = "events_archive_p" + name.suffix(8)
            XCTAssertEqual(try count(c, "SELECT count(*) FROM pg_inherits WHERE inhrelid = 'pt.\(archived)'::regclass AND inhparent = 'pt.events_archive'::regclass"), 1)
        }
        // (The 200-day back-fill the row path archived yesterday stays in the archive's default: no partition of it moved.)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_archive_default WHERE at > now() - interval '150 days'"), 0)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_archive_default"), 1)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_archive WHERE archived_at IS NULL"), 0)
        // The rest by the row path: the straddling day, whatever else, and the back-fill in the default.
        XCTAssertGreaterThanOrEqual(try runRowPath(c, Self.archiveRule), 2)
        try assertExact(c, total: total)
        XCTAssertEqual(try runRowPath(c, Self.archiveRule), 0)
        // A second partition run finds nothing; archived rows no longer follow the session's cascade.
        XCTAssertEqual(try retirer.run(on: c).partitions, [])
        try c.execute("DELETE FROM pt.sessions")
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events"), 0)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_archive"), 5 + 4 + 3 + 2 + 1)
        // Archive partitions carry no grants, policies or triggers of their own.
        XCTAssertEqual(try count(c, """
            SELECT count(*) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
            WHERE i.inhparent = 'pt.events_archive'::regclass AND (c.relacl IS NOT NULL
               OR EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid)
               OR EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgparentid = 0))
            """), 0)
    }

    func testADeleteRuleDropsWholePartitionsAndTheRowPathTheRest() throws {
        let s = try setUp(try makeDatabase(), Self.deleteRule)
        let c = s.connection
        let catalog = Self.catalog(Self.deleteRule)
        try insert(s, age: "40 days", count: 10)
        try insert(s, age: "35 days", count: 10)
        try insert(s, age: "30 days 1 minute", count: 1)
        try insert(s, age: "29 days 23 hours", count: 1)
        try PartitionMaintainer(tables: catalog.tables).run(on: c)
        let retirer = try XCTUnwrap(PartitionRetirer(rule: Self.deleteRule, catalog: catalog))
        let report = try retirer.run(on: c)
        XCTAssertGreaterThanOrEqual(report.partitions.count, 2)
        XCTAssertGreaterThanOrEqual(report.partitionRows, 20)
        XCTAssertEqual(report.action, "deleted")
        for name in report.partitions {
            XCTAssertEqual(try c.execute("SELECT to_regclass($1) IS NULL", ["pt." + name]).scalar(Bool.self), true)
        }
        _ = try runRowPath(c, Self.deleteRule)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events WHERE at < now() - interval '30 days'"), 0)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events"), 1)
    }

    func testRulesThatCannotGoByPartitionAreLeftToTheRowPath() {
        let catalog = Self.catalog(Self.archiveRule)
        var conditional = Self.deleteRule
        conditional.condition = "(kind = 'ok'::text)"
        XCTAssertNil(PartitionRetirer(rule: conditional, catalog: catalog))
        var otherColumn = Self.deleteRule
        otherColumn.ageColumn = "archived_at"
        XCTAssertNil(PartitionRetirer(rule: otherColumn, catalog: catalog))
        var plain = catalog
        plain.tables = plain.tables.map { var t = $0; t.partitioning = nil; return t }
        XCTAssertNil(PartitionRetirer(rule: Self.archiveRule, catalog: plain))
        XCTAssertNotNil(PartitionRetirer(rule: Self.archiveRule, catalog: catalog))
    }

    func testTheRowPathOnAPartitionedTableMatchesRowsByPartitionAndCtid() throws {
        let s = try setUp(try makeDatabase(), Self.deleteRule)
        let c = s.connection
        // One old row and one young row, sorted out of the default each into its own partition: both at ctid (0,1).
        try insert(s, age: "40 days")
        try insert(s, age: "1 day")
        try PartitionMaintainer(tables: Self.catalog(Self.deleteRule).tables).run(on: c)
        XCTAssertEqual(try count(c, "SELECT count(DISTINCT ctid) FROM pt.events"), 1)
        // The plain-table function (ctid alone) would delete the young row too.
        try c.transaction { c in
            let plain = Self.deleteRule.function(columns: ["id"], executeGrantees: [])
            for statement in PostgresRenderer().createFunction(plain) { try c.execute(statement.sql) }
            XCTAssertEqual(try self.count(c, "SELECT count(*) FROM \(Self.deleteRule.functionName.sql)(10)"), 2)
            XCTAssertEqual(try self.count(c, "SELECT count(*) FROM pt.events"), 0)
            try c.execute("ROLLBACK")
            try c.execute("BEGIN")
        }
        // The partitioned one deletes exactly the old row.
        XCTAssertEqual(try runRowPath(c, Self.deleteRule), 1)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events"), 1)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events WHERE at > now() - interval '2 days'"), 1)
    }

    func testASIGKILLDuringAPartitionMoveLosesNothingAndTheNextRunFinishesIt() throws {
        let database = try makeDatabase()
        let s = try setUp(database, Self.archiveRule)
        let catalog = Self.catalog(Self.archiveRule)
        try insert(s, age: "100 days", count: 50)
        try insert(s, age: "99 days", count: 50)
        try insert(s, age: "1 day", count: 10)
        try PartitionMaintainer(tables: catalog.tables).run(on: s.connection)
        let ids = try s.connection.execute("SELECT string_agg(id::text, ',' ORDER BY id) FROM pt.events").scalar(String.self)

        // Hold the archive's default partition so the move waits inside its transaction, after DETACH.
        let holder = try database.connect()
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE pt.events_archive_default IN ACCESS SHARE MODE")

        final class Outcome: @unchecked Sendable {
            let lock = NSLock()
            var error: (any Error)?
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        let settings = database.settings
        DispatchQueue.global().async {
            do {
                let mover = try settings.connect(applicationName: "pgm-partition-move")
                var options = PartitionMaintainer.Options()
                options.lockTimeoutMilliseconds = 600_000
                guard let retirer = PartitionRetirer(rule: Self.archiveRule, catalog: catalog, options: options) else { return }
                _ = try retirer.run(on: mover)
            } catch {
                outcome.lock.lock()
                outcome.error = error
                outcome.lock.unlock()
            }
            outcome.done.signal()
        }
        // Wait until the mover is blocked on its lock, holding the detached partition.
        var pid: Int32 = 0
        while pid == 0 {
            // Polled from another connection than the holder: pg_stat_activity is a snapshot per transaction.
            let row = try s.connection.execute("""
                SELECT pid FROM pg_stat_activity
                WHERE application_name = 'pgm-partition-move' AND wait_event_type = 'Lock' AND query LIKE '%ATTACH PARTITION%'
                """).first
            pid = Int32(row?[0] ?? "") ?? 0
            if pid == 0 { Thread.sleep(forTimeInterval: 0.05) }
        }
        XCTAssertEqual(kill(pid, SIGKILL), 0, "kill -9 of the moving backend")
        outcome.done.wait()
        XCTAssertNotNil(outcome.error, "the killed move must fail")

        // The server restarts after a backend's SIGKILL; wait for it.
        var c: Connection?
        while c == nil {
            c = try? database.connect()
            if let connection = c, (try? connection.execute("SELECT 1")) == nil { c = nil }
            if c == nil { Thread.sleep(forTimeInterval: 0.2) }
        }
        guard let c else { return }
        // Nothing moved, nothing lost, nothing in both.
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_archive"), 0)
        XCTAssertEqual(try c.execute("SELECT string_agg(id::text, ',' ORDER BY id) FROM pt.events").scalar(String.self), ids)
        // The second run finishes the move.
        let retirer = try XCTUnwrap(PartitionRetirer(rule: Self.archiveRule, catalog: catalog))
        let report = try retirer.run(on: c)
        XCTAssertEqual(report.partitionRows, 100)
        XCTAssertEqual(report.partitions.count, 2)
        _ = try runRowPath(c, Self.archiveRule)
        try assertExact(c, total: 110)
        XCTAssertEqual(try c.execute(
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM (SELECT id FROM pt.events UNION ALL SELECT id FROM pt.events_archive) x"
        ).scalar(String.self), ids)
    }

    func testPurgeMakesPartitionsAheadAndReportsPartitionsAndRowsApart() throws {
        let database = try makeDatabase()
        let s = try setUp(database, Self.archiveRule)
        let c = s.connection
        let catalog = Self.catalog(Self.archiveRule)
        try insert(s, age: "120 days", count: 7)   // in the default partition until maintenance sorts it
        try insert(s, age: "90 days 1 minute", count: 2)
        try insert(s, age: "1 day", count: 3)
        var options = Purger.Options()
        options.dryRun = true
        // A dry run changes nothing: no maintenance, so the old rows are still in the default and go by rows.
        guard case .ran(let dry) = try Purger(settings: database.settings, rules: [Self.archiveRule], options: options, catalog: catalog).run()
        else { return XCTFail("lock") }
        XCTAssertEqual(dry.first?.partitions, [])
        XCTAssertEqual(dry.first?.rows, 9)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_default"), 12)

        // Maintenance alone sorts every default row into its partition (purge's own
        // maintenance leaves rows already past a rule's age to that rule's row path).
        try PartitionMaintainer(tables: catalog.tables).run(on: c)
        options.dryRun = false
        guard case .ran(let reports) = try Purger(settings: database.settings, rules: [Self.archiveRule], options: options, catalog: catalog).run()
        else { return XCTFail("lock") }
        let report = try XCTUnwrap(reports.first)
        XCTAssertEqual(report.partitions.count, 1, "\(report)")
        XCTAssertEqual(report.partitionRows, 7)
        XCTAssertEqual(report.rows, 9, "7 in the whole partition and 2 by the row path")
        try assertExact(c, total: 12)
        XCTAssertEqual(try count(c, "SELECT count(*) FROM pt.events_default"), 0)
        XCTAssertGreaterThanOrEqual(try PartitionMaintainer.partitionNames(of: PartitionMaintenanceTests.events, on: c).count, 8)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        XCTAssertTrue(json.contains("\"partitionRows\":7"), json)
    }

    func testMaintainCommandOnADatabaseNotMigratedSaysToMigrateFirst() throws {
        let database = try makeDatabase()
        // The shipped model partitions three tables: maintain needs them.
        let result = try pgmigrate(["maintain", "--database-url", database.url, "--json"])
        XCTAssertEqual(result.status, ExitStatus.refused.rawValue, result.stderr)
        XCTAssertTrue(result.stderr.contains("run migrate first"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        let bad = try pgmigrate(["maintain", "--database-url", database.url, "--lock-timeout", "0"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--lock-timeout must be positive"), bad.stderr)
    }
}
