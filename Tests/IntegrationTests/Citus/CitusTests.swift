import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// The call-feedback model on a real Citus cluster (`CITUS_URL`, the
/// coordinator; `scripts/citus-test.sh` starts one with
/// ../shared/citus/citus-cluster.sh). Skipped without CITUS_URL, except under
/// CI=true, where a missing cluster is a failure.
///
/// The suite resets the `public` schema of the coordinator's database once,
/// applies sql/citus/ with the migrator, and then works through the
/// coordinator as an application would: a login role that is a member of
/// business_app (or call_service), the tenant context set by
/// set_current_business() inside each transaction.
final class CitusTests: XCTestCase {
    static let tenantLogin = "pgmigrate_citus_tenant"
    static let serviceLogin = "pgmigrate_citus_service"
    nonisolated(unsafe) static var prepared = false
    static let lock = NSLock()
    /// Today's date in UTC (`2026-12-02`), the day of a partition the migration made.
    static var todayUTC: String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC") ?? .current, from: Date())
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    var settings: ConnectionSettings!

    override func setUpWithError() throws {
        guard let url = ProcessInfo.processInfo.environment["CITUS_URL"], !url.isEmpty else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail("CITUS_URL is not set under CI=true: run scripts/citus-test.sh (it starts the Citus cluster)")
                throw PGMigrateError(.connection, "CITUS_URL is not set")
            }
            throw XCTSkip("CITUS_URL is not set: scripts/citus-test.sh starts a Citus cluster and runs this suite")
        }
        settings = ConnectionSettings(conninfo: url, source: .environment)
        try Self.lock.withLock {
            if !Self.prepared {
                try Self.prepare(settings)
                Self.prepared = true
            }
        }
    }

    /// Resets `public`, applies sql/citus/, creates the login roles and
    /// registers the phone key (on the coordinator, as the owner).
    static func prepare(_ settings: ConnectionSettings) throws {
        let admin = try settings.connect(applicationName: "pgmigrate-citus-tests")
        _ = try admin.executeScript("SET client_min_messages = warning;\n" + (try resetPublic))
        let report = try Migrator(settings: settings, directory: TestServer.repositoryRoot.appendingPathComponent("sql/citus")).migrate()
        XCTAssertEqual(report.applied.count, 1, "sql/citus/ applies in one migration")
        _ = try admin.executeScript("""
            DO $roles$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(tenantLogin)') THEN
                    CREATE ROLE \(tenantLogin) LOGIN IN ROLE business_app;
                END IF;
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(serviceLogin)') THEN
                    CREATE ROLE \(serviceLogin) LOGIN IN ROLE call_service;
                END IF;
            END
            $roles$;
            GRANT SELECT ON public.businesses, public.customer_verifications TO business_app, call_service;
            """)
        try TestModel.useKey(admin)
        _ = try admin.execute("SELECT length(public.phone_encryption_key())")
    }

    /// Drops the model's tables, functions and types in `public` and the ledger.
    static var resetPublic: String {
        get throws {
            try String(contentsOf: TestServer.repositoryRoot.appendingPathComponent("scripts/lib/citus-reset.sql"), encoding: .utf8)
        }
    }

    // MARK: - Helpers

    /// A coordinator connection with the phone key in its session (as the
    /// startup options would put it).
    func connect() throws -> Connection {
        let connection = try settings.connect(applicationName: "pgmigrate-citus-tests")
        try TestModel.useKey(connection)
        return connection
    }

    /// Runs `body` in a transaction as `role` with `tenant` as the context
    /// (set_current_business), rolled back unless `commit`.
    func asRole<T>(
        _ connection: Connection, _ role: String, tenant: UUID?, commit: Bool = true, _ body: () throws -> T
    ) throws -> T {
        _ = try connection.executeScript("BEGIN; SET LOCAL ROLE \(role)")
        do {
            _ = try connection.execute("SELECT public.set_current_business($1::uuid)", [tenant.map { $0.uuidString.lowercased() } as String?])
            let result = try body()
            _ = try connection.executeScript(commit ? "COMMIT" : "ROLLBACK")
            return result
        } catch {
            _ = try? connection.executeScript("ROLLBACK")
            throw error
        }
    }

    func tenant(_ connection: Connection, _ id: UUID, commit: Bool = true, _ body: () throws -> Void) throws {
        try asRole(connection, Self.tenantLogin, tenant: id, commit: commit, body)
    }

    func service(_ connection: Connection, commit: Bool = true, _ body: () throws -> Void) throws {
        try asRole(connection, Self.serviceLogin, tenant: nil, commit: commit, body)
    }

    func newBusiness(_ connection: Connection) throws -> UUID {
        try connection.execute("INSERT INTO public.businesses (id) VALUES (gen_random_uuid()) RETURNING id").scalar(UUID.self)
    }

    func newVerification(_ connection: Connection) throws -> UUID {
        try connection.execute("INSERT INTO public.customer_verifications (id) VALUES (gen_random_uuid()) RETURNING id").scalar(UUID.self)
    }

    /// A session of `business` (as that tenant), with `phone`.
    func newSession(_ connection: Connection, business: UUID, phone: String = "+46701234567") throws -> UUID {
        let verification = try newVerification(connection)
        var id = UUID()
        try tenant(connection, business) {
            id = try connection.execute(
                "INSERT INTO public.call_sessions (business_id, verification_id, customer_phone) VALUES ($1, $2, $3) RETURNING id",
                [business, verification, phone]
            ).scalar(UUID.self)
        }
        return id
    }

    func insertEvent(_ connection: Connection, session: UUID, business: UUID, type: String, at: String? = nil) throws {
        _ = try connection.execute(
            "INSERT INTO public.call_events (call_session_id, business_id, event_type, source, timestamp) VALUES ($1, $2, $3::call_event_type, 'system', coalesce($4::timestamptz, now()))",
            [session, business, type, at])
    }

    /// A rule's violation through the coordinator: SQLSTATE 23514 and the
    /// rule's words (Citus relays a worker's SQLSTATE and message, not its
    /// constraint or column fields).
    func assertRule(_ words: String, _ message: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        let error = assertSQLState(.checkViolation, message, file: file, line: line, body)
        if let error {
            XCTAssertTrue("\(error)".contains(words), "\(error) should say \(words)", file: file, line: line)
        }
    }

    // MARK: - The schema

    func testMigratedClusterHasNoDriftAndPlacesEveryTable() throws {
        let result = try runProcess(
            TestServer.executable, ["drift", "--target", "citus", "--no-cache", "--database-url", settings.conninfo ?? ""])
        XCTAssertEqual(result.status, 0, "drift --target citus on the migrated cluster: \(result.stdout) \(result.stderr)")
        let admin = try connect()
        let placed = try admin.execute("""
            SELECT logicalrelid::text AS t, CASE WHEN partmethod = 'h' THEN 'distributed' WHEN repmodel = 't' THEN 'reference' ELSE 'other' END AS how
            FROM pg_dist_partition JOIN pg_class c ON c.oid = logicalrelid WHERE NOT c.relispartition ORDER BY 1
            """).rows.map { "\($0["t"] ?? "") \($0["how"] ?? "")" }
        XCTAssertEqual(Set(placed), [
            "businesses reference", "customer_verifications reference", "phone_encryption_key_check reference",
            "call_sessions distributed", "question_configurations distributed", "call_events distributed",
            "call_responses distributed", "question_selection_logs distributed", "telephony_provider_logs distributed",
            "call_events_archive distributed",
        ])
        // The erasure audit stays a plain table on the coordinator.
        XCTAssertEqual(try admin.execute("SELECT count(*)::int FROM pg_dist_partition WHERE logicalrelid = 'public.gdpr_erasure_log'::regclass").scalar(Int.self), 0)
        // The single-server model is not what this database holds.
        let plain = try runProcess(TestServer.executable, ["drift", "--no-cache", "--database-url", settings.conninfo ?? ""])
        XCTAssertEqual(plain.status, 1, "drift without --target citus reports the differences: \(plain.stderr)")
    }

    func testDriftReportsATableThatIsNotPlaced() throws {
        let admin = try connect()
        _ = try admin.executeScript("CREATE TABLE IF NOT EXISTS public.citus_probe (id int)")
        defer { _ = try? admin.executeScript("DROP TABLE IF EXISTS public.citus_probe") }
        var catalog = CallFeedbackSchema.catalog(target: .citus)
        catalog.tables.append(Table(QualifiedName("public", "citus_probe"), columns: [Column("id", .integer, nullable: true)]))
        catalog.citus?.referenceTables.append(QualifiedName("public", "citus_probe"))
        let findings = try CitusPlacementCheck.findings(for: catalog, on: admin)
        XCTAssertEqual(findings.map(\.table), ["public.citus_probe"])
        XCTAssertTrue(findings.first?.problem.contains("the model makes it a reference table") ?? false, "\(findings)")
    }

    /// A partitioned table in a model (how call_events will be): rendered
    /// for Citus it is distributed with its partitions, a partition made
    /// later is distributed too, and drift with the same model is clean.
    func testAPartitionedTableIsDistributedWithItsPartitions() throws {
        let schema = "pgmigrate_citus_partitioned"
        let admin = try connect()
        _ = try admin.executeScript("SET client_min_messages = warning; DROP SCHEMA IF EXISTS \(schema) CASCADE")
        defer { _ = try? admin.executeScript("SET client_min_messages = warning; DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        let catalog = PartitionedCitusModel.catalog(schema: schema)
        try catalog.validate()
        // One statement at a time, as the migrator sends them: Citus forwards
        // a distributed ALTER TABLE's whole query string to the workers,
        // which refuse a string of several commands.
        try admin.transaction { connection in
            for statement in PostgresRenderer().statements(for: catalog) { _ = try connection.executeScript(statement.sql) }
        }
        let events = QualifiedName(schema, "events")
        guard let table = catalog.table(events),
              let later = PostgresRenderer().createPartition(
                  of: table, from: CivilDay(year: 2030, month: 1, day: 1), to: CivilDay(year: 2030, month: 1, day: 2))
        else { return XCTFail("the model has no partitioned events table") }
        _ = try admin.execute(later.sql)
        let methods = try admin.execute(
            "SELECT logicalrelid::text AS t, partmethod::text AS m FROM pg_dist_partition WHERE logicalrelid::text LIKE $1 ORDER BY 1",
            ["\(schema).%"]
        ).rows.map { "\($0["t"] ?? "") \($0["m"] ?? "")" }
        XCTAssertEqual(methods, [
            "\(schema).events h", "\(schema).events_default h", "\(schema).events_p20300101 h", "\(schema).sessions h", "\(schema).tenants n",
        ])
        let tenant = UUID()
        _ = try admin.execute("INSERT INTO \(schema).tenants VALUES ($1)", [tenant])
        let session = try admin.execute("INSERT INTO \(schema).sessions (tenant_id) VALUES ($1) RETURNING id", [tenant]).scalar(UUID.self)
        _ = try admin.execute("INSERT INTO \(schema).events (session_id, tenant_id, at) VALUES ($1, $2, '2030-01-01 12:00+00')", [session, tenant])
        XCTAssertEqual(try admin.execute("SELECT count(*)::int FROM \(schema).events_p20300101").scalar(Int.self), 1)
        let report = try DriftCheck(catalog: catalog, schema: schema, target: settings).run()
        XCTAssertEqual(report.changes.map(\.description), [])
        XCTAssertEqual(report.citusPlacement, [])
    }

    // MARK: - The rules, through the coordinator

    func testStatusStateMachine() throws {
        let c = try connect()
        let business = try newBusiness(c)
        let session = try newSession(c, business: business)
        assertRule("call_sessions.status transition", "initiated -> completed skips states") {
            try tenant(c, business) { _ = try c.execute("UPDATE public.call_sessions SET status = 'completed' WHERE id = $1", [session]) }
        }
        for next in ["connecting", "in_progress", "completed"] {
            try tenant(c, business) {
                _ = try c.execute("UPDATE public.call_sessions SET status = $2::call_status WHERE id = $1", [session, next])
            }
        }
        assertRule("call_sessions.status transition", "completed is terminal") {
            try tenant(c, business) { _ = try c.execute("UPDATE public.call_sessions SET status = 'failed' WHERE id = $1", [session]) }
        }
        let verification = try newVerification(c)
        assertRule("call_sessions.status on insert", "a new session starts as initiated") {
            try tenant(c, business) {
                _ = try c.execute(
                    "INSERT INTO public.call_sessions (business_id, verification_id, customer_phone, status) VALUES ($1, $2, '+46701234567', 'completed')",
                    [business, verification])
            }
        }
        try tenant(c, business) {
            XCTAssertEqual(try c.execute("SELECT status::text FROM public.call_sessions WHERE id = $1", [session]).scalar(String.self), "completed")
        }
    }

    func testEventRules() throws {
        let c = try connect()
        let business = try newBusiness(c)
        let session = try newSession(c, business: business)
        // Today's times: the rows land in a day partition the migration made,
        // not in the default partition (which drift reports until maintenance runs).
        let day = Self.todayUTC
        try tenant(c, business) { try insertEvent(c, session: session, business: business, type: "initiated", at: "\(day) 10:00:00+00") }
        assertRule("call_events.event_type: completed is not allowed", "completed while initiated") {
            try tenant(c, business) { try insertEvent(c, session: session, business: business, type: "completed", at: "\(day) 10:01:00+00") }
        }
        assertRule("is earlier than the session's latest event", "earlier than the latest event") {
            try tenant(c, business) { try insertEvent(c, session: session, business: business, type: "connecting", at: "\(day) 09:59:00+00") }
        }
        // Boundary: the same instant is not earlier.
        try tenant(c, business) { try insertEvent(c, session: session, business: business, type: "connecting", at: "\(day) 10:00:00+00") }
        // An unknown session: the composite foreign key refuses it.
        assertSQLState(.foreignKeyViolation, "a session that does not exist") {
            try tenant(c, business) { try insertEvent(c, session: UUID(), business: business, type: "initiated") }
        }
        try tenant(c, business) {
            XCTAssertEqual(try c.execute("SELECT count(*)::int FROM public.call_events WHERE call_session_id = $1", [session]).scalar(Int.self), 2)
        }
    }

    func testPhoneIsEncryptedOnTheWorkers() throws {
        let c = try connect()
        let business = try newBusiness(c)
        let session = try newSession(c, business: business, phone: "070-123 45 67")
        try service(c) {
            // Decrypted on the coordinator, in a statement of its own: a
            // router query would push decrypt_customer_phone() into the shard
            // query, and Citus refuses the nested read of the key record.
            let stored = try c.execute(
                "SELECT customer_phone FROM public.call_sessions WHERE id = $1 AND business_id = $2", [session, business]
            ).scalar(String.self)
            let plain = try c.execute("SELECT public.decrypt_customer_phone($1)", [stored]).scalar(String.self)
            let row: [String: String]? = ["customer_phone": stored, "plain": plain]
            XCTAssertNotEqual(row?["customer_phone"], "+46701234567", "stored encrypted")
            XCTAssertEqual(row?["plain"], "+46701234567", "normalised, and it decrypts")
        }
        assertSQLState(.checkViolation, "not a Swedish number") {
            _ = try newSession(c, business: business, phone: "12345")
        }
    }

    // MARK: - Tenant isolation

    /// Two tenants with a row in every tenant table; each sees and changes
    /// only its own, a cross-tenant write is refused, and no tenant sees nothing.
    func testZeroLeakTenantMatrix() throws {
        let c = try connect()
        let tenants = [try newBusiness(c), try newBusiness(c)]
        var sessions: [UUID] = []
        for business in tenants {
            let session = try newSession(c, business: business)
            sessions.append(session)
            try tenant(c, business) {
                try insertEvent(c, session: session, business: business, type: "initiated")
                let question = try c.execute(
                    "INSERT INTO public.question_configurations (business_id, question_text, frequency, department_tags) VALUES ($1, 'Hur var din upplevelse idag?', 1, '[\"kassa\"]') RETURNING id",
                    [business]
                ).scalar(UUID.self)
                _ = try c.execute(
                    "INSERT INTO public.call_responses (call_session_id, business_id, question_id, question_text, response_text, response_duration, asked_at) VALUES ($1, $2, $3, 'Hur var din upplevelse idag?', 'Bra', 5, now())",
                    [session, business, question])
                _ = try c.execute(
                    "INSERT INTO public.question_selection_logs (business_id, customer_count, selected_questions, selection_algorithm, selection_criteria, time_budget_seconds, estimated_duration) VALUES ($1, 1, '[]', 'v1', '{}', 90, 30)",
                    [business])
                _ = try c.execute(
                    "INSERT INTO public.telephony_provider_logs (call_session_id, business_id, provider, provider_call_id, operation, request_payload, response_payload, status_code, latency_ms, success) VALUES ($1, $2, 'twilio', 'x', 'initiate', '{}', '{}', 200, 10, true)",
                    [session, business])
            }
            try service(c) {
                _ = try c.execute(
                    "INSERT INTO public.call_events_archive (id, call_session_id, business_id, event_type, event_data, timestamp, source) VALUES (gen_random_uuid(), $1, $2, 'initiated', '{}', now(), 'system')",
                    [session, business])
            }
        }
        let tables = ["call_sessions", "question_configurations", "call_events", "call_responses",
                      "question_selection_logs", "telephony_provider_logs", "call_events_archive"]
        for (index, business) in tenants.enumerated() {
            let other = tenants[1 - index]
            try tenant(c, business, commit: false) {
                for table in tables {
                    let counts = try c.execute(
                        "SELECT count(*) FILTER (WHERE business_id = $1)::int AS own, count(*) FILTER (WHERE business_id <> $1)::int AS others FROM public.\(table) WHERE business_id = ANY ($2::uuid[])",
                        [business, "{\(tenants.map { $0.uuidString.lowercased() }.joined(separator: ","))}"]
                    ).first
                    XCTAssertEqual(counts?["own"], "1", "\(table): the tenant sees its own row")
                    XCTAssertEqual(counts?["others"], "0", "\(table): and no other tenant's")
                    XCTAssertEqual(try c.execute("UPDATE public.\(table) SET business_id = business_id WHERE business_id = $1", [other]).rowsAffected, 0,
                                   "\(table): another tenant's rows cannot be updated")
                    XCTAssertEqual(try c.execute("DELETE FROM public.\(table) WHERE business_id = $1", [other]).rowsAffected, 0,
                                   "\(table): nor deleted")
                }
            }
            assertSQLState(.insufficientPrivilege, "a row of another tenant is refused by row-level security") {
                try tenant(c, business) {
                    _ = try c.execute(
                        "INSERT INTO public.question_selection_logs (business_id, customer_count, selected_questions, selection_algorithm, selection_criteria, time_budget_seconds, estimated_duration) VALUES ($1, 1, '[]', 'v1', '{}', 90, 30)",
                        [other])
                }
            }
            assertSQLState(.insufficientPrivilege, "an event for another tenant's session") {
                try tenant(c, business) { try insertEvent(c, session: sessions[1 - index], business: other, type: "connecting") }
            }
        }
        // No tenant context: nothing at all.
        try asRole(c, Self.tenantLogin, tenant: nil, commit: false) {
            for table in tables {
                XCTAssertEqual(try c.execute("SELECT count(*)::int FROM public.\(table)").scalar(Int.self), 0, "\(table) without a tenant")
            }
        }
        // A session-level SET (the single-server habit) does not reach the
        // workers: the tenant's rows stay invisible instead of leaking.
        _ = try c.executeScript("SET ROLE \(Self.tenantLogin); SET app.current_business_id = '\(tenants[0].uuidString.lowercased())'")
        defer { _ = try? c.executeScript("RESET app.current_business_id; RESET ROLE") }
        XCTAssertEqual(try c.execute("SELECT count(*)::int FROM public.call_events").scalar(Int.self), 0,
                       "without set_current_business the workers see no tenant")
    }

    // MARK: - Retention and erasure

    func testPurgeRunsTenantByTenant() throws {
        let c = try connect()
        let tenants = [try newBusiness(c), try newBusiness(c)]
        for business in tenants {
            let session = try newSession(c, business: business)
            try tenant(c, business) {
                try insertEvent(c, session: session, business: business, type: "initiated", at: "2020-01-01 00:00:00+00")
                try insertEvent(c, session: session, business: business, type: "connecting")
                for age in ["2020-01-01 00:00:00+00", "2020-01-02 00:00:00+00", "now"] {
                    _ = try c.execute(
                        "INSERT INTO public.telephony_provider_logs (call_session_id, business_id, provider, provider_call_id, operation, request_payload, response_payload, status_code, latency_ms, success, created_at) VALUES ($1, $2, 'twilio', 'x', 'initiate', '{}', '{}', 200, 10, true, $3::timestamptz)",
                        [session, business, age])
                }
            }
        }
        // One batch: at most batch_size rows, from as many tenants as it takes.
        try service(c) {
            let first = try c.execute("SELECT count(*)::int FROM public.retention_telephony_provider_logs_purge(3)").scalar(Int.self)
            XCTAssertLessThanOrEqual(first, 3)
            XCTAssertGreaterThan(first, 0)
        }
        let result = try runProcess(
            TestServer.executable, ["purge", "--batch-size", "2", "--database-url", settings.conninfo ?? ""])
        XCTAssertEqual(result.status, 0, "pgmigrate purge on Citus: \(result.stdout) \(result.stderr)")
        try service(c) {
            let ids = "{\(tenants.map { $0.uuidString.lowercased() }.joined(separator: ","))}"
            XCTAssertEqual(try c.execute(
                "SELECT count(*)::int FROM public.telephony_provider_logs WHERE business_id = ANY ($1::uuid[])", [ids]).scalar(Int.self), 2,
                "only the fresh log of each tenant is left")
            XCTAssertEqual(try c.execute(
                "SELECT count(*)::int FROM public.call_events WHERE business_id = ANY ($1::uuid[])", [ids]).scalar(Int.self), 2,
                "old events left call_events")
            XCTAssertEqual(try c.execute(
                "SELECT count(*)::int FROM public.call_events_archive WHERE business_id = ANY ($1::uuid[])", [ids]).scalar(Int.self), 2,
                "and were archived, once each")
        }
    }

    func testEraseAcrossTenants() throws {
        let c = try connect()
        let phone = "+46709876543"
        let tenants = [try newBusiness(c), try newBusiness(c)]
        var sessions: [UUID] = []
        for business in tenants {
            let session = try newSession(c, business: business, phone: phone)
            sessions.append(session)
            try tenant(c, business) { try insertEvent(c, session: session, business: business, type: "initiated") }
        }
        let bystander = try newSession(c, business: tenants[0], phone: "+46701112233")
        let result = try runProcess(
            TestServer.executable, ["erase", "--phone-stdin", "--database-url", settings.conninfo ?? ""],
            environment: [Eraser.keyEnvironmentVariable: TestModel.phoneKey], input: phone + "\n")
        XCTAssertEqual(result.status, 0, "pgmigrate erase on Citus: \(result.stdout) \(result.stderr)")
        try service(c) {
            let ids = "{\(sessions.map { $0.uuidString.lowercased() }.joined(separator: ","))}"
            XCTAssertEqual(try c.execute(
                "SELECT count(*)::int FROM public.call_sessions WHERE id = ANY ($1::uuid[]) AND customer_phone IS NULL AND customer_phone_hash IS NULL", [ids]
            ).scalar(Int.self), 2, "both tenants' sessions lost the number")
            XCTAssertEqual(try c.execute(
                "SELECT count(*)::int FROM public.call_events WHERE call_session_id = ANY ($1::uuid[]) AND event_data = '{}'", [ids]
            ).scalar(Int.self), 2, "and their events' payloads")
            XCTAssertEqual(try c.execute(
                "SELECT count(*)::int FROM public.call_sessions WHERE id = $1 AND customer_phone IS NOT NULL", [bystander]
            ).scalar(Int.self), 1, "another customer keeps theirs")
            XCTAssertGreaterThanOrEqual(try c.execute("SELECT count(*)::int FROM public.gdpr_erasure_log WHERE sessions = 2").scalar(Int.self), 1)
        }
    }
}

/// A small tenant model with a time-partitioned child table.
enum PartitionedCitusModel {
    static func catalog(schema: String) -> Catalog {
        let tenants = QualifiedName(schema, "tenants")
        let sessions = QualifiedName(schema, "sessions")
        let events = QualifiedName(schema, "events")
        var catalog = Catalog(
            schemas: [schema],
            extensions: [Extension("pgcrypto", schema: "public")],  // the cluster's, from sql/citus
            tables: [
                Table(tenants, columns: [Column("id", .uuid)], primaryKey: PrimaryKey(name: "tenants_pkey", columns: ["id"])),
                Table(
                    sessions, columns: [Column("id", .uuid, default: .genRandomUUID), Column("tenant_id", .uuid)],
                    primaryKey: PrimaryKey(name: "sessions_pkey", columns: ["id"]),
                    foreignKeys: [ForeignKey(name: "sessions_tenant_id_fkey", columns: ["tenant_id"], references: tenants, ["id"], onDelete: .restrict)],
                    indexes: [Index("idx_sessions_tenant", on: ["tenant_id"])],
                    comment: "Sessions."),
                Table(
                    events,
                    columns: [Column("id", .uuid, default: .genRandomUUID), Column("session_id", .uuid), Column("tenant_id", .uuid), Column("at", .timestamptz)],
                    primaryKey: PrimaryKey(name: "events_pkey", columns: ["id", "at"]),
                    foreignKeys: [ForeignKey(
                        name: "events_session_fkey", columns: ["session_id", "tenant_id"], references: sessions, ["id", "tenant_id"],
                        onDelete: .cascade, onUpdate: .cascade)],
                    indexes: [Index("idx_events_session", on: ["session_id"]), Index("idx_events_tenant_at", on: ["tenant_id", "at"])],
                    comment: "Events, by day.",
                    partitioning: RangePartitioning(by: "at")),
            ])
        CitusLayout(
            distributionColumn: "tenant_id", colocateWith: sessions, referenceTables: [tenants], coordinatorTables: []
        ).apply(to: &catalog)
        return catalog
    }
}
