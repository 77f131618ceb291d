import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

final class DriftTests: XCTestCase {
    let model = CallFeedbackSchema.catalog()

    /// A database with the model's schema applied, as `sql/0001` would.
    func appliedDatabase() throws -> TestDatabase {
        let database = try makeDatabase(prefix: "pgm_drift")
        let connection = try database.connect()
        _ = try connection.executeScript(GeneratedMigration.initial(model).contents)
        return database
    }

    /// One cache directory for the whole class, so most cached runs are hits.
    static let cacheDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("pgm-drift-cache-\(UUID().uuidString)", isDirectory: true)

    override class func tearDown() {
        try? FileManager.default.removeItem(at: cacheDirectory)
        super.tearDown()
    }

    /// Drift without the cache, then with it: every drift test case also
    /// proves that a cached run (hit or miss) reports exactly what an
    /// uncached one does.
    func drift(
        _ database: TestDatabase, catalog: Catalog? = nil, ignore: [String] = [],
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> DriftReport {
        let uncached = try DriftCheck(
            catalog: catalog ?? model, schema: "public", target: database.settings,
            ignore: ignore.map(GlobPattern.init)
        ).run()
        let cached = try DriftCheck(
            catalog: catalog ?? model, schema: "public", target: database.settings,
            ignore: ignore.map(GlobPattern.init), cache: DriftCache(directory: Self.cacheDirectory)
        ).run()
        XCTAssertEqual(uncached.cache, .off, file: file, line: line)
        XCTAssertNotEqual(cached.cache, .off, file: file, line: line)
        XCTAssertEqual(cached.changes, uncached.changes, "cached (\(cached.cache)) and uncached drift differ", file: file, line: line)
        XCTAssertEqual(cached.ignored, uncached.ignored, file: file, line: line)
        return uncached
    }

    /// Applies `sql` to a freshly applied database and returns the drift.
    func driftAfter(_ sql: String, file: StaticString = #filePath, line: UInt = #line) throws -> [SchemaChange] {
        let database = try appliedDatabase()
        _ = try database.connect().executeScript(sql)
        let report = try drift(database, file: file, line: line)
        XCTAssertTrue(report.hasDrift, "expected drift after: \(sql)", file: file, line: line)
        return report.changes
    }

    func shadowDatabases() throws -> [String] {
        try TestServer.admin().execute("SELECT datname FROM pg_database WHERE datname LIKE 'pgmigrate\\_shadow\\_%'")
            .rows.compactMap { $0[0] }
    }

    // MARK: - No drift

    func testFreshlyAppliedSchemaHasNoDriftAcrossRepeatedRuns() throws {
        let database = try appliedDatabase()
        for _ in 0..<3 {
            let report = try drift(database)
            XCTAssertEqual(report.changes, [], report.changes.map(\.description).joined(separator: "\n"))
        }
        XCTAssertEqual(try shadowDatabases(), [])
    }

    func testCLIExitsZeroWithoutDriftAndOneWithDrift() throws {
        let database = try appliedDatabase()
        let clean = try pgmigrate(["drift", "--database-url", database.url])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertTrue(clean.stderr.contains("no drift"), clean.stderr)

        _ = try database.connect().executeScript("ALTER TABLE public.call_sessions ADD COLUMN scratch text")
        let drifted = try pgmigrate(["drift", "--database-url", database.url])
        XCTAssertEqual(drifted.status, 1, drifted.stderr)
        // One summary line on stderr, nothing else.
        XCTAssertEqual(drifted.stderr.split(separator: "\n").count, 1, drifted.stderr)
        XCTAssertTrue(drifted.stderr.hasPrefix("drift: "), drifted.stderr)
        XCTAssertTrue(drifted.stdout.contains("Extra (in the database, not in the model):"), drifted.stdout)
        XCTAssertTrue(drifted.stdout.contains("column public.call_sessions.scratch"), drifted.stdout)
        XCTAssertTrue(drifted.stderr.contains("1 extra"), drifted.stderr)
    }

    func testCLIJSONNamesTheChangeAndIgnoreDropsIt() throws {
        let database = try appliedDatabase()
        _ = try database.connect().executeScript("""
            CREATE INDEX idx_scratch_one ON public.call_events (source);
            ALTER TABLE public.call_sessions ALTER COLUMN transcript SET NOT NULL;
            """)
        let result = try pgmigrate(["drift", "--database-url", database.url, "--json"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["drift"] as? Bool, true)
        let differences = try XCTUnwrap(json["differences"] as? [[String: Any]])
        XCTAssertTrue(differences.contains { $0["change"] as? String == "extra" && $0["object"] as? String == "public.idx_scratch_one" })
        XCTAssertTrue(differences.contains {
            $0["change"] as? String == "changed" && $0["object"] as? String == "public.call_sessions.transcript"
                && $0["attribute"] as? String == "nullability" && $0["expected"] as? String == "NULL"
        })

        let ignored = try pgmigrate([
            "drift", "--database-url", database.url, "--ignore", "index *.idx_scratch*", "--ignore", "column public.call_sessions.*",
        ])
        XCTAssertEqual(ignored.status, 0, ignored.stdout + ignored.stderr)
        XCTAssertTrue(ignored.stderr.contains("2 ignored"), ignored.stderr)
    }

    func testUnreachableServerExitsThree() throws {
        let result = try pgmigrate(["drift", "--database-url", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot connect"), result.stderr)
    }

    // MARK: - Each kind of drift, through the library

    func testAddedColumnIsExtra() throws {
        let changes = try driftAfter("ALTER TABLE public.call_events ADD COLUMN note text")
        XCTAssertEqual(changes, [.extra(SchemaObject(.column, "public.call_events.note", table: QualifiedName("public", "call_events")), definition: "note text")])
    }

    func testDroppedColumnIsMissing() throws {
        let changes = try driftAfter("ALTER TABLE public.call_sessions DROP COLUMN transcript")
        XCTAssertTrue(changes.contains { if case .missing(let o, _) = $0 { return o.kind == .column && o.name == "public.call_sessions.transcript" }; return false }, "\(changes)")
    }

    func testChangedColumnTypeIsReported() throws {
        let changes = try driftAfter("ALTER TABLE public.call_sessions ALTER COLUMN ai_session_id TYPE text")
        XCTAssertTrue(changes.contains(.changed(
            SchemaObject(.column, "public.call_sessions.ai_session_id", table: QualifiedName("public", "call_sessions")), .type,
            expected: "character varying(255)", actual: "text")), "\(changes)")
    }

    func testChangedDefaultIsReported() throws {
        let changes = try driftAfter("ALTER TABLE public.question_configurations ALTER COLUMN max_response_time SET DEFAULT 45")
        XCTAssertTrue(changes.contains(.changed(
            SchemaObject(.column, "public.question_configurations.max_response_time", table: QualifiedName("public", "question_configurations")),
            .default, expected: "30", actual: "45")), "\(changes)")
    }

    func testDroppedNotNullIsReported() throws {
        let changes = try driftAfter("ALTER TABLE public.call_responses ALTER COLUMN response_text DROP NOT NULL")
        XCTAssertTrue(changes.contains(.changed(
            SchemaObject(.column, "public.call_responses.response_text", table: QualifiedName("public", "call_responses")),
            .nullability, expected: "NOT NULL", actual: "NULL")), "\(changes)")
    }

    func testChangedCheckIsReported() throws {
        let changes = try driftAfter("""
            ALTER TABLE public.call_sessions DROP CONSTRAINT call_sessions_duration_seconds_range;
            ALTER TABLE public.call_sessions ADD CONSTRAINT call_sessions_duration_seconds_range CHECK (duration_seconds >= 0 AND duration_seconds <= 300);
            """)
        XCTAssertTrue(changes.contains {
            if case .changed(let o, .definition, let e, let a) = $0 {
                return o.name == "public.call_sessions.call_sessions_duration_seconds_range" && e.contains("120") && a.contains("300")
            }
            return false
        }, "\(changes)")
    }

    func testDroppedIndexIsMissing() throws {
        let changes = try driftAfter("DROP INDEX public.idx_call_sessions_created_at")
        XCTAssertEqual(changes.map(\.object), [SchemaObject(.index, "public.idx_call_sessions_created_at", table: QualifiedName("public", "call_sessions"))])
        guard case .missing(_, let definition) = changes.first else { return XCTFail("\(changes)") }
        XCTAssertEqual(definition, "CREATE INDEX idx_call_sessions_created_at ON public.call_sessions USING btree (created_at)")
    }

    func testExtraIndexIsExtra() throws {
        let changes = try driftAfter("CREATE INDEX idx_extra ON public.call_responses (asked_at) WHERE responded_at IS NULL")
        XCTAssertEqual(changes, [.extra(
            SchemaObject(.index, "public.idx_extra", table: QualifiedName("public", "call_responses")),
            definition: "CREATE INDEX idx_extra ON public.call_responses USING btree (asked_at) WHERE (responded_at IS NULL)")])
    }

    func testDisabledRowSecurityIsReported() throws {
        let changes = try driftAfter("ALTER TABLE public.call_events DISABLE ROW LEVEL SECURITY")
        XCTAssertEqual(changes, [.changed(
            SchemaObject(.rowSecurity, "public.call_events", table: QualifiedName("public", "call_events")), .enabled,
            expected: "on", actual: "off")])
    }

    func testForcedRowSecurityToggleIsReported() throws {
        let changes = try driftAfter("ALTER TABLE public.call_responses FORCE ROW LEVEL SECURITY")
        XCTAssertEqual(changes, [.changed(
            SchemaObject(.rowSecurity, "public.call_responses", table: QualifiedName("public", "call_responses")), .forced,
            expected: "off", actual: "on")])
    }

    func testDroppedPolicyIsMissing() throws {
        let changes = try driftAfter("DROP POLICY call_events_system_access ON public.call_events")
        XCTAssertEqual(changes.map(\.object.name), ["public.call_events.call_events_system_access"])
        guard case .missing(let object, _) = changes.first else { return XCTFail("\(changes)") }
        XCTAssertEqual(object.kind, .policy)
    }

    func testPolicyWithChangedUsingIsReported() throws {
        let changes = try driftAfter("ALTER POLICY call_events_system_access ON public.call_events USING (false)")
        XCTAssertEqual(changes, [.changed(
            SchemaObject(.policy, "public.call_events.call_events_system_access", table: QualifiedName("public", "call_events")),
            .using, expected: "true", actual: "false")])
    }

    func testDisabledTriggerIsReported() throws {
        let changes = try driftAfter("ALTER TABLE public.call_sessions DISABLE TRIGGER call_sessions_status_transition")
        XCTAssertEqual(changes, [.changed(
            SchemaObject(.trigger, "public.call_sessions.call_sessions_status_transition", table: QualifiedName("public", "call_sessions")),
            .firing, expected: "ENABLE", actual: "DISABLE")])
    }

    func testDroppedTriggerIsMissing() throws {
        let changes = try driftAfter("DROP TRIGGER call_events_rules ON public.call_events")
        XCTAssertEqual(changes.map(\.object.description), ["trigger public.call_events.call_events_rules"])
        guard case .missing = changes.first else { return XCTFail("\(changes)") }
    }

    func testReplacedTriggerFunctionBodyIsReported() throws {
        let changes = try driftAfter("""
            CREATE OR REPLACE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql
            SET search_path = pg_catalog, pg_temp
            AS $$ BEGIN RETURN NEW; END $$;
            """)
        XCTAssertEqual(changes.count, 1, "\(changes)")
        guard case .changed(let object, .body, _, let actual) = changes.first else { return XCTFail("\(changes)") }
        XCTAssertEqual(object.description, "function public.set_updated_at()")
        XCTAssertEqual(actual, " BEGIN RETURN NEW; END ")
    }

    func testAddedEnumLabelIsExtra() throws {
        let changes = try driftAfter("ALTER TYPE public.question_priority ADD VALUE 'urgent' BEFORE 'high'")
        XCTAssertEqual(changes, [.extra(SchemaObject(.label, "public.question_priority.urgent"), definition: "'urgent'")])
    }

    func testTablePrivilegeGrantedToPublicIsExtra() throws {
        let changes = try driftAfter("GRANT SELECT ON public.call_responses TO PUBLIC")
        XCTAssertEqual(changes, [.extra(
            SchemaObject(.grant, "public.call_responses to PUBLIC", table: QualifiedName("public", "call_responses")),
            definition: "GRANT SELECT ON TABLE public.call_responses TO PUBLIC")])
    }

    func testFunctionExecuteGrantedToPublicIsReported() throws {
        let changes = try driftAfter("GRANT EXECUTE ON FUNCTION public.set_updated_at() TO PUBLIC")
        XCTAssertEqual(changes.count, 1, "\(changes)")
        guard case .changed(_, .execute, _, let actual) = changes.first else { return XCTFail("\(changes)") }
        XCTAssertEqual(actual, "PUBLIC")
    }

    func testMissingRoleIsReportedAndNotLeftBehind() throws {
        let database = try appliedDatabase()
        let role = "pgm_drift_absent_" + UUID().uuidString.lowercased().prefix(8)
        var catalog = model
        catalog.roles.append(Role(role))
        let report = try drift(database, catalog: catalog)
        XCTAssertEqual(report.changes, [.missing(SchemaObject(.role, role), definition: "ROLE \(role)")])
        // The shadow created it inside a transaction that was rolled back.
        let exists = try TestServer.admin().execute("SELECT count(*)::int FROM pg_roles WHERE rolname = $1", [role]).scalar(Int.self)
        XCTAssertEqual(exists, 0)
    }

    /// A policy role that bypasses row-level security makes every policy moot:
    /// drift reports it. Roles are cluster-wide, so the change is undone.
    func testPolicyRoleThatBypassesRowSecurityIsReported() throws {
        let database = try appliedDatabase()
        let admin = try TestServer.admin()
        _ = try admin.execute("ALTER ROLE business_app BYPASSRLS")
        addTeardownBlock { _ = try? TestServer.admin().execute("ALTER ROLE business_app NOBYPASSRLS") }
        let changes = try drift(database).changes
        _ = try admin.execute("ALTER ROLE business_app NOBYPASSRLS")
        XCTAssertEqual(changes, [.changed(SchemaObject(.role, "business_app"), .attributes,
                                          expected: "NOSUPERUSER NOBYPASSRLS", actual: "NOSUPERUSER BYPASSRLS")])
        XCTAssertEqual(try drift(database).changes, [])
    }

    func testTableOwnedByATenantRoleIsReported() throws {
        let changes = try driftAfter("ALTER TABLE public.call_responses OWNER TO business_app")
        // (The grant to business_app is reported missing too: an owner's own
        // privileges are not grants.)
        let owner = changes.first { if case .changed(_, .owner, _, _) = $0 { return true } else { return false } }
        guard case .changed(let object, .owner, let expected, let actual) = owner else { return XCTFail("\(changes)") }
        XCTAssertEqual(object, SchemaObject(.table, "public.call_responses"))
        XCTAssertEqual(actual, "business_app")
        XCTAssertTrue(expected.contains("bypasses row-level security"), expected)
    }

    // MARK: - Shadow clean-up

    func testShadowDatabaseIsDroppedWhenTheModelSQLFails() throws {
        let database = try appliedDatabase()
        var broken = model
        broken.tables[broken.tables.count - 1].checks.append(
            CheckConstraint(name: "broken_check", columns: [], "no_such_column > 0"))
        XCTAssertThrowsError(try drift(database, catalog: broken)) { error in
            guard let error = error as? PGMigrateError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.status, .database)
            XCTAssertTrue(error.message.contains("building the shadow database"), error.message)
            XCTAssertEqual(error.underlying?.sqlState, SQLState(rawValue: "42703"))
        }
        XCTAssertEqual(try shadowDatabases(), [])

        let failing = DriftCheck(
            catalog: model, schema: "public", target: database.settings,
            builder: ShadowBuilder("a forced error") { connection in _ = try connection.execute("SELECT 1/0") })
        XCTAssertThrowsError(try failing.run())
        XCTAssertEqual(try shadowDatabases(), [])
    }

    func testShadowURLBuildsInAnExistingDatabaseAndLeavesItEmpty() throws {
        let database = try appliedDatabase()
        let shadow = try makeDatabase(prefix: "pgm_shadow")
        let report = try DriftCheck(
            catalog: model, schema: "public", target: database.settings, shadow: .existing(shadow.settings)
        ).run()
        XCTAssertEqual(report.changes, [])
        let tables = try shadow.connect().execute(
            "SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public'").scalar(Int.self)
        XCTAssertEqual(tables, 0)

        // A non-empty shadow is refused.
        XCTAssertThrowsError(try DriftCheck(
            catalog: model, schema: "public", target: shadow.settings, shadow: .existing(database.settings)).run()
        ) { error in XCTAssertEqual((error as? PGMigrateError)?.status, .refused) }
    }

    func testOtherSchemaModelOnTheSameServerHasNoDrift() throws {
        let database = try makeDatabase(prefix: "pgm_drift")
        let catalog = CallFeedbackSchema.catalog(schema: "feedback")
        _ = try database.connect().executeScript(GeneratedMigration.initial(catalog).contents)
        let report = try DriftCheck(catalog: catalog, schema: "feedback", target: database.settings).run()
        XCTAssertEqual(report.changes, [], report.changes.map(\.description).joined(separator: "\n"))
    }
}
