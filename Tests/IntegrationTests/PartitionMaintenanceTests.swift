import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// A small time-partitioned model (no call-feedback names): a tenant-scoped
/// `pt.events` table range-partitioned by day, with a CHECK, a row trigger,
/// a composite foreign key, row-level security and a grant, all on the
/// parent only. Proves that partitions the maintenance run makes keep every
/// rule, that an insert never fails for want of a partition, and that a
/// tenant role cannot use a partition as a side door.
final class PartitionMaintenanceTests: XCTestCase {
    static let tenantRole = "pgm_partition_tenant"
    static let events = QualifiedName("pt", "events")
    static let today = CivilDay(year: 2026, month: 12, day: 2)

    static var catalog: Catalog {
        let sessions = Table(
            QualifiedName("pt", "sessions"),
            columns: [Column("tenant_id", .uuid), Column("id", .uuid)],
            primaryKey: PrimaryKey(name: "sessions_pkey", columns: ["tenant_id", "id"]))
        let events = Table(
            Self.events,
            columns: [
                Column("id", .uuid, default: .genRandomUUID), Column("tenant_id", .uuid), Column("session_id", .uuid),
                Column("at", .timestamptz), Column("kind", .text),
            ],
            primaryKey: PrimaryKey(name: "events_pkey", columns: ["id", "at"]),
            foreignKeys: [ForeignKey(
                name: "events_session_fkey", columns: ["tenant_id", "session_id"], references: sessions.name,
                ["tenant_id", "id"], onDelete: .cascade)],
            checks: [CheckConstraint(name: "events_kind_not_empty", columns: ["kind"], "(kind <> ''::text)")],
            indexes: [Index("events_session_idx", on: ["tenant_id", "session_id"])],
            triggers: [Trigger("events_no_forbidden", .before, [.insert], execute: QualifiedName("pt", "reject_forbidden"))],
            rowSecurity: .enabledAndForced,
            policies: [Policy(
                "events_tenant", to: [tenantRole],
                using: "(tenant_id = (current_setting('pt.tenant'::text))::uuid)",
                withCheck: "(tenant_id = (current_setting('pt.tenant'::text))::uuid)")],
            grants: [TableGrant(tenantRole, [.select, .insert])],
            partitioning: RangePartitioning(by: "at"))
        let reject = Function(
            QualifiedName("pt", "reject_forbidden"), returns: "trigger", language: .plpgsql,
            body: """
                BEGIN
                    IF NEW.kind = 'forbidden' THEN
                        RAISE EXCEPTION 'forbidden event kind' USING ERRCODE = 'P0001';
                    END IF;
                    RETURN NEW;
                END
                """)
        return Catalog(schemas: ["pt"], roles: [Role(tenantRole)], tables: [sessions, events], functions: [reject],
                       usageGrantees: [tenantRole])
    }

    private var maintainer: PartitionMaintainer { PartitionMaintainer(tables: Self.catalog.tables) }

    /// A fresh database with the model applied and one session of one tenant.
    private func setUp(_ database: TestDatabase) throws -> (Connection, UUID, UUID) {
        XCTAssertEqual(Self.catalog.validationErrors(), [])
        let connection = try database.connect()
        try connection.executeScript(PostgresRenderer().statements(for: Self.catalog).map(\.sql).joined(separator: ";\n") + ";")
        let tenant = UUID()
        let session = UUID()
        try connection.execute("INSERT INTO pt.sessions VALUES ($1, $2)", [tenant, session])
        return (connection, tenant, session)
    }

    private func insert(_ c: Connection, _ tenant: UUID, _ session: UUID, at day: CivilDay, hour: Int = 12, kind: String = "ok") throws -> String {
        try c.execute(
            "INSERT INTO pt.events (tenant_id, session_id, at, kind) VALUES ($1, $2, $3::timestamptz, $4) RETURNING tableoid::regclass::text",
            [tenant, session, "\(day) \(hour):00:00+00", kind]
        ).scalar(String.self)
    }

    private func partitions(_ c: Connection) throws -> [String] {
        try PartitionMaintainer.partitionNames(of: Self.events, on: c)
    }

    func testMaintenanceMakesTodayAndAWeekAheadAndASecondRunMakesNothing() throws {
        let (c, _, _) = try setUp(try makeDatabase())
        XCTAssertEqual(try partitions(c), ["events_default"])
        let first = try maintainer.run(on: c, today: Self.today)
        let expected = (0...7).map { "events_p" + Self.today.adding(days: $0).compact }
        XCTAssertEqual(first, [PartitionMaintainer.TableReport(table: "pt.events", created: expected, movedFromDefault: 0)])
        XCTAssertEqual(try partitions(c), ["events_default"] + expected)
        let second = try maintainer.run(on: c, today: Self.today)
        XCTAssertEqual(second.first?.created, [])
        // The next day makes exactly one more.
        XCTAssertEqual(try maintainer.run(on: c, today: Self.today.adding(days: 1)).first?.created,
                       ["events_p" + Self.today.adding(days: 8).compact])
    }

    func testRowsLandInTheirDayAndEveryRuleHoldsOnMadePartitions() throws {
        let (c, tenant, session) = try setUp(try makeDatabase())
        try maintainer.run(on: c, today: Self.today)
        XCTAssertEqual(try insert(c, tenant, session, at: Self.today, hour: 0), "pt.events_p20261202")
        XCTAssertEqual(try insert(c, tenant, session, at: Self.today, hour: 23), "pt.events_p20261202")
        XCTAssertEqual(try insert(c, tenant, session, at: Self.today.adding(days: 7)), "pt.events_p20261209")
        // The boundary: midnight UTC belongs to the later day.
        XCTAssertEqual(try c.execute(
            "INSERT INTO pt.events (tenant_id, session_id, at, kind) VALUES ($1, $2, '2026-12-03 00:00:00+00', 'ok') RETURNING tableoid::regclass::text",
            [tenant, session]).scalar(String.self), "pt.events_p20261203")

        assertSQLState(.checkViolation, constraint: "events_kind_not_empty") {
            _ = try self.insert(c, tenant, session, at: Self.today, kind: "")
        }
        assertSQLState("P0001") { _ = try self.insert(c, tenant, session, at: Self.today, kind: "forbidden") }
        assertSQLState(.foreignKeyViolation, constraint: "events_session_fkey") {
            _ = try self.insert(c, tenant, UUID(), at: Self.today)
        }
        // The primary key includes the key: the same id on another day is another row, the same (id, at) is not.
        let id = UUID()
        try c.execute("INSERT INTO pt.events (id, tenant_id, session_id, at, kind) VALUES ($1, $2, $3, '2026-12-02 10:00+00', 'ok')", [id, tenant, session])
        assertSQLState(.uniqueViolation) {
            try c.execute("INSERT INTO pt.events (id, tenant_id, session_id, at, kind) VALUES ($1, $2, $3, '2026-12-02 10:00+00', 'ok')", [id, tenant, session])
        }
        // The cascading composite foreign key reaches rows in every partition, default included.
        _ = try insert(c, tenant, session, at: Self.today.adding(days: -300))
        try c.execute("DELETE FROM pt.sessions WHERE id = $1", [session])
        XCTAssertEqual(try c.execute("SELECT count(*) FROM pt.events").scalar(Int.self), 0)
    }

    func testAWeekWithoutCronAndABackFillLandInTheDefaultAndMaintenanceSortsThemOut() throws {
        let (c, tenant, session) = try setUp(try makeDatabase())
        try maintainer.run(on: c, today: Self.today)
        // Cron stops. Ten days later, and a back-fill 100 days old and a log a day late:
        let later = Self.today.adding(days: 10)
        XCTAssertEqual(try insert(c, tenant, session, at: later), "pt.events_default")
        XCTAssertEqual(try insert(c, tenant, session, at: later, hour: 1), "pt.events_default")
        XCTAssertEqual(try insert(c, tenant, session, at: Self.today.adding(days: -100)), "pt.events_default")
        XCTAssertEqual(try insert(c, tenant, session, at: Self.today.adding(days: -1)), "pt.events_default")
        XCTAssertEqual(try insert(c, tenant, session, at: Self.today.adding(days: 3)), "pt.events_p20261205")
        let before = try c.execute("SELECT string_agg(id::text || at::text, ',' ORDER BY id) FROM pt.events").scalar(String.self)

        let report = try XCTUnwrap(try maintainer.run(on: c, today: later).first)
        XCTAssertEqual(report.movedFromDefault, 4)
        XCTAssertEqual(report.created, [
            "events_p20260824", "events_p20261201", "events_p20261210", "events_p20261211",
            "events_p20261212", "events_p20261213", "events_p20261214", "events_p20261215",
            "events_p20261216", "events_p20261217", "events_p20261218", "events_p20261219",
        ])
        XCTAssertEqual(try c.execute("SELECT count(*) FROM pt.events_default").scalar(Int.self), 0)
        XCTAssertEqual(try c.execute("SELECT string_agg(id::text || at::text, ',' ORDER BY id) FROM pt.events").scalar(String.self), before)
        XCTAssertEqual(try c.execute(
            "SELECT string_agg(DISTINCT tableoid::regclass::text, ',' ORDER BY tableoid::regclass::text) FROM pt.events").scalar(String.self),
            "pt.events_p20260824,pt.events_p20261201,pt.events_p20261205,pt.events_p20261212")
        // The default is back, and the sorted partitions keep every rule.
        XCTAssertTrue(try partitions(c).contains("events_default"))
        XCTAssertEqual(try c.execute("SELECT to_regclass('pt.events_moving') IS NULL").scalar(Bool.self), true)
        assertSQLState(.checkViolation, constraint: "events_kind_not_empty") {
            _ = try self.insert(c, tenant, session, at: later, kind: "")
        }
        assertSQLState("P0001") { _ = try self.insert(c, tenant, session, at: Self.today.adding(days: -100), kind: "forbidden") }
        assertSQLState(.foreignKeyViolation) { _ = try self.insert(c, tenant, UUID(), at: later) }
        XCTAssertEqual(try c.execute("SELECT count(*) FROM pt.events").scalar(Int.self), 5)
    }

    func testATenantRoleCannotReadOrWriteAPartitionDirectly() throws {
        let (c, tenant, session) = try setUp(try makeDatabase())
        try maintainer.run(on: c, today: Self.today)
        _ = try insert(c, tenant, session, at: Self.today)
        let other = UUID()
        let otherSession = UUID()
        try c.execute("INSERT INTO pt.sessions VALUES ($1, $2)", [other, otherSession])
        _ = try insert(c, other, otherSession, at: Self.today)

        try c.execute("SET ROLE \(Self.tenantRole)")
        try c.execute("SELECT set_config('pt.tenant', $1, false)", [tenant.uuidString.lowercased()])
        // Through the parent: its own row only.
        XCTAssertEqual(try c.execute("SELECT count(*) FROM pt.events").scalar(Int.self), 1)
        for partition in ["pt.events_p20261202", "pt.events_default"] {
            assertSQLState(.insufficientPrivilege, partition) { try c.execute("SELECT count(*) FROM \(partition)") }
            assertSQLState(.insufficientPrivilege, partition) {
                try c.execute("INSERT INTO \(partition) (tenant_id, session_id, at, kind) VALUES ($1, $2, '2026-12-02 12:00+00', 'ok')",
                              [other, otherSession])
            }
        }
        try c.execute("RESET ROLE")
        // And no partition carries a grant or a policy of its own.
        XCTAssertEqual(try c.execute("""
            SELECT count(*) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
            WHERE i.inhparent = 'pt.events'::regclass AND (c.relacl IS NOT NULL
               OR EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid))
            """).scalar(Int.self), 0)
    }

    func testMaintenanceThatCannotGetItsLockRetriesThenFailsWithNothingHalfMade() throws {
        let database = try makeDatabase()
        let (c, _, _) = try setUp(database)
        let holder = try database.connect()
        try holder.execute("BEGIN")
        try holder.execute("LOCK TABLE pt.events IN ACCESS SHARE MODE")
        var options = PartitionMaintainer.Options()
        options.lockTimeoutMilliseconds = 50
        options.attempts = 2
        options.retryDelayMilliseconds = 10
        let blocked = PartitionMaintainer(tables: Self.catalog.tables, options: options)
        XCTAssertThrowsError(try blocked.run(on: c, today: Self.today)) { error in
            XCTAssertEqual((error as? PQError)?.sqlState, .lockNotAvailable, "\(error)")
        }
        XCTAssertEqual(try partitions(c), ["events_default"])
        try holder.execute("ROLLBACK")
        XCTAssertEqual(try blocked.run(on: c, today: Self.today).first?.created.count, 8)
    }

    func testDriftChecksThePartitionSetInsteadOfListingPartitionsAsTables() throws {
        let database = try makeDatabase()
        let (c, tenant, session) = try setUp(database)
        func drift() throws -> DriftReport {
            try DriftCheck(catalog: Self.catalog, schema: "pt", target: database.settings).run()
        }
        // Before maintenance: nothing made ahead.
        var report = try drift()
        XCTAssertTrue(report.changes.isEmpty, "\(report.changes)")
        XCTAssertEqual(report.partitions.map(\.problem), ["partitions are not made 6 days ahead: partition maintenance has not run"])

        let today = try XCTUnwrap(CivilDay(iso: try c.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')").scalar(String.self)))
        try maintainer.run(on: c)
        report = try drift()
        XCTAssertTrue(report.changes.isEmpty, "partitions are not extra tables: \(report.changes)")
        XCTAssertEqual(report.partitions, [])
        XCTAssertFalse(report.hasDrift)

        // A grant on a partition, a missing day, and a row waiting in the default partition.
        let granted = "events_p" + today.adding(days: 2).compact
        let dropped = "events_p" + today.adding(days: 3).compact
        try c.execute("GRANT SELECT ON pt.\(granted) TO \(Self.tenantRole)")
        try c.execute("DROP TABLE pt.\(dropped)")
        XCTAssertEqual(try insert(c, tenant, session, at: today.adding(days: 3)), "pt.events_default")
        report = try drift()
        XCTAssertTrue(report.changes.isEmpty, "\(report.changes)")
        let problems = report.partitions.map(\.problem)
        XCTAssertEqual(problems.count, 3, "\(problems)")
        XCTAssertTrue(problems.contains("partition \(granted) carries grants of its own; grant on the parent only"), "\(problems)")
        XCTAssertTrue(problems.contains { $0.hasPrefix("no partition from ") && $0.contains("(before events_p" + today.adding(days: 4).compact + ")") }, "\(problems)")
        XCTAssertTrue(problems.contains("the default partition events_default holds rows: partition maintenance has not run since they came"), "\(problems)")
        XCTAssertTrue(report.hasDrift)

        // Maintenance heals the gap and sorts the row; the grant stays until someone revokes it.
        try maintainer.run(on: c)
        try c.execute("REVOKE ALL ON pt.\(granted) FROM \(Self.tenantRole)")
        report = try drift()
        XCTAssertEqual(report.partitions, [], "\(report.partitions)")
    }
}
