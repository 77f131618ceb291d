import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// The conversion recipe of a plain table with data into a time-partitioned
/// one, on the small model of `PartitionMaintenanceTests` (the call-feedback
/// migration that would use it is not written yet): the existing table
/// becomes one legacy partition `[MINVALUE, tomorrow)` behind a bounds CHECK
/// validated while writers run, and only one short transaction takes the
/// table's ACCESS EXCLUSIVE lock. A writer inserts throughout; no insert
/// fails and no row is lost.
final class PartitionConversionTests: XCTestCase {
    static let rows = 1_000_000

    /// Today's shape: the same table, not partitioned, its primary key on `id` alone.
    static var plainCatalog: Catalog {
        var catalog = PartitionMaintenanceTests.catalog
        catalog.tables = catalog.tables.map { table in
            var table = table
            if table.name == PartitionMaintenanceTests.events {
                table.partitioning = nil
                table.primaryKey = PrimaryKey(name: "events_pkey", columns: ["id"])
            }
            return table
        }
        return catalog
    }

    func testAPlainTableWithRowsBecomesALegacyPartitionWhileAWriterInserts() throws {
        let database = try makeDatabase()
        let c = try database.connect()
        try c.executeScript(PostgresRenderer().statements(for: Self.plainCatalog).map(\.sql).joined(separator: ";\n") + ";")
        let tenant = UUID()
        let session = UUID()
        try c.execute("INSERT INTO pt.sessions VALUES ($1, $2)", [tenant, session])
        try c.execute(
            """
            INSERT INTO pt.events (tenant_id, session_id, at, kind)
            SELECT $1, $2, now() - (i::double precision / $3) * interval '120 days', 'ok' FROM generate_series(1, $3) i
            """, [tenant, session, Self.rows])
        let tomorrow = try c.execute("SELECT to_char((now() AT TIME ZONE 'UTC')::date + 1, 'YYYY-MM-DD')").scalar(String.self)

        final class Writer: @unchecked Sendable {
            let lock = NSLock()
            var stop = false
            var inserted = 0
            var failures: [String] = []
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
            while !writer.lock.withLock({ writer.stop }) {
                do {
                    try w.execute("INSERT INTO pt.events (tenant_id, session_id, at, kind) VALUES ($1, $2, now(), 'ok')", [tenant, session])
                    writer.lock.withLock { writer.inserted += 1 }
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

        // 1. The new primary key's index, built without blocking writers.
        try c.execute("CREATE UNIQUE INDEX CONCURRENTLY events_id_at_key ON pt.events (id, at)")
        // 2. The legacy bounds, validated under SHARE UPDATE EXCLUSIVE (writers go on).
        try c.execute("ALTER TABLE pt.events ADD CONSTRAINT events_legacy_bounds CHECK (at < '\(tomorrow) 00:00:00+00') NOT VALID")
        try c.execute("ALTER TABLE pt.events VALIDATE CONSTRAINT events_legacy_bounds")
        waitForWrites(20)

        // 3. The one short transaction under the table's ACCESS EXCLUSIVE lock.
        let target = PartitionMaintenanceTests.catalog
        guard let events = target.table(PartitionMaintenanceTests.events) else { return XCTFail("model") }
        let renderer = PostgresRenderer()
        var swap = [
            "SET LOCAL lock_timeout = '2s'",
            "LOCK TABLE pt.events IN ACCESS EXCLUSIVE MODE",
            "ALTER TABLE pt.events DROP CONSTRAINT events_pkey",
            "ALTER TABLE pt.events ADD CONSTRAINT events_legacy_pkey PRIMARY KEY USING INDEX events_id_at_key",
            // What the parent will carry, the partition must not carry twice.
            "DROP TRIGGER events_no_forbidden ON pt.events",
            "DROP POLICY events_tenant ON pt.events",
            "ALTER TABLE pt.events NO FORCE ROW LEVEL SECURITY",
            "ALTER TABLE pt.events DISABLE ROW LEVEL SECURITY",
            "REVOKE ALL ON pt.events FROM \(PartitionMaintenanceTests.tenantRole)",
            "ALTER INDEX pt.events_session_idx RENAME TO events_legacy_session_idx",
            "ALTER TABLE pt.events RENAME CONSTRAINT events_session_fkey TO events_legacy_session_fkey",
            "ALTER TABLE pt.events RENAME TO events_legacy",
            renderer.createTable(events).sql,
        ]
        swap += events.indexes.flatMap { renderer.createIndex($0, on: events.name).map(\.sql) }
        swap += events.triggers.flatMap { renderer.createTrigger($0, on: events.name).map(\.sql) }
        swap += renderer.rowSecurity(events).map(\.sql)
        swap += events.policies.flatMap { renderer.createPolicy($0, on: events.name).map(\.sql) }
        swap += events.grants.map { renderer.grant($0, on: events.name).sql }
        swap += [
            "ALTER TABLE pt.events ATTACH PARTITION pt.events_legacy FOR VALUES FROM (MINVALUE) TO ('\(tomorrow) 00:00:00+00')",
            "ALTER TABLE pt.events_legacy DROP CONSTRAINT events_legacy_bounds",
        ]
        if let statement = renderer.createDefaultPartition(events) { swap.append(statement.sql) }
        let clock = ContinuousClock()
        let began = clock.now
        try c.transaction { c in
            for statement in swap { try c.execute(statement) }
        }
        let locked = clock.now - began
        // 4. Partitions ahead, from tomorrow.
        let made = try PartitionMaintainer(tables: target.tables).run(
            on: c, today: CivilDay(iso: tomorrow))
        waitForWrites(20)
        writer.lock.withLock { writer.stop = true }
        writer.done.wait()

        print("conversion of \(Self.rows) rows: ACCESS EXCLUSIVE transaction \(locked); writer inserted \(writer.inserted) rows")
        XCTAssertEqual(writer.failures, [])
        XCTAssertEqual(made.first?.created.count, 8)
        XCTAssertEqual(try c.execute("SELECT count(*) FROM pt.events").scalar(Int.self), Self.rows + writer.inserted)
        XCTAssertEqual(try c.execute("SELECT count(*) FROM pt.events_legacy").scalar(Int.self), Self.rows + writer.inserted)
        // The converted table keeps every rule: through the parent, on the legacy partition and on new ones.
        assertSQLState(.checkViolation, constraint: "events_kind_not_empty") {
            try c.execute("INSERT INTO pt.events (tenant_id, session_id, at, kind) VALUES ($1, $2, now(), '')", [tenant, session])
        }
        assertSQLState("P0001") {
            try c.execute("INSERT INTO pt.events (tenant_id, session_id, at, kind) VALUES ($1, $2, now(), 'forbidden')", [tenant, session])
        }
        assertSQLState("P0001") {
            try c.execute("INSERT INTO pt.events (tenant_id, session_id, at, kind) VALUES ($1, $2, now() + interval '2 days', 'forbidden')", [tenant, session])
        }
        assertSQLState(.foreignKeyViolation) {
            try c.execute("INSERT INTO pt.events (tenant_id, session_id, at, kind) VALUES ($1, $2, now(), 'ok')", [tenant, UUID()])
        }
        // The trigger fires once, not twice, on the legacy partition.
        XCTAssertEqual(try c.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'pt.events_legacy'::regclass AND NOT tgisinternal").scalar(Int.self), 1)
        try c.execute("SET ROLE \(PartitionMaintenanceTests.tenantRole)")
        try c.execute("SELECT set_config('pt.tenant', $1, false)", [tenant.uuidString.lowercased()])
        XCTAssertEqual(try c.execute("SELECT count(*) > 0 FROM pt.events").scalar(Bool.self), true)
        assertSQLState(.insufficientPrivilege) { try c.execute("SELECT count(*) FROM pt.events_legacy") }
        try c.execute("RESET ROLE")
        // And drift sees the model, the legacy partition being one partition of the set.
        let report = try DriftCheck(catalog: target, schema: "pt", target: database.settings).run()
        XCTAssertTrue(report.changes.isEmpty, "\(report.changes)")
        XCTAssertEqual(report.partitions, [], "\(report.partitions)")
    }
}
