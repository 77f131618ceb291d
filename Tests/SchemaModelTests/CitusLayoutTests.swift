import SchemaModel
import XCTest

/// The Citus transformation of a model (`--target citus`): what changes,
/// what does not, and what the validation refuses.
final class CitusLayoutTests: XCTestCase {
    /// A small tenant model: a reference table, a co-location anchor, and a
    /// child partitioned by time (the shape the call-feedback events take).
    static func model(schema: String = "public") -> Catalog {
        let tenants = QualifiedName(schema, "tenants")
        let sessions = QualifiedName(schema, "sessions")
        let events = QualifiedName(schema, "events")
        let current = QualifiedName(schema, "current_tenant")
        let predicate = SQLExpression("tenant_id = (SELECT \(current.sql)())")
        var catalog = Catalog(
            schemas: [schema],
            tables: [
                Table(tenants, columns: [Column("id", .uuid)], primaryKey: PrimaryKey(name: "tenants_pkey", columns: ["id"])),
                Table(
                    sessions, columns: [Column("id", .uuid, default: .genRandomUUID), Column("tenant_id", .uuid), Column("code", .text)],
                    primaryKey: PrimaryKey(name: "sessions_pkey", columns: ["id"]),
                    foreignKeys: [ForeignKey(name: "sessions_tenant_id_fkey", columns: ["tenant_id"], references: tenants, ["id"], onDelete: .restrict)],
                    uniques: [
                        UniqueConstraint(name: "sessions_id_tenant_id_key", columns: ["id", "tenant_id"]),
                        UniqueConstraint(name: "sessions_code_key", columns: ["code"]),
                    ],
                    indexes: [Index("idx_sessions_tenant", on: ["tenant_id"])],
                    rowSecurity: .enabled,
                    policies: [Policy("sessions_isolation", using: predicate, withCheck: predicate)],
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
            ],
            functions: [Function(current, returns: "uuid", language: .sql, volatility: .stable, body: "SELECT NULL::uuid")])
        layout(schema: schema).apply(to: &catalog)
        return catalog
    }

    static func layout(schema: String = "public") -> CitusLayout {
        CitusLayout(
            distributionColumn: "tenant_id", colocateWith: QualifiedName(schema, "sessions"),
            referenceTables: [QualifiedName(schema, "tenants")], coordinatorTables: [],
            tenantSetting: "app.tenant", currentTenantFunction: QualifiedName(schema, "current_tenant"),
            setTenantFunction: QualifiedName(schema, "set_tenant"))
    }

    func testKeysAreWidenedWithTheDistributionColumn() {
        let catalog = Self.model()
        XCTAssertEqual(catalog.table(named: "sessions")?.primaryKey?.columns, ["id", "tenant_id"])
        XCTAssertEqual(catalog.table(named: "sessions")?.uniques.map(\.columns), [["id", "tenant_id"], ["code", "tenant_id"]])
        XCTAssertEqual(catalog.table(named: "events")?.primaryKey?.columns, ["id", "at", "tenant_id"], "the partition key stays in")
        XCTAssertEqual(catalog.table(named: "tenants")?.primaryKey?.columns, ["id"], "a reference table is left alone")
    }

    func testForeignKeysLoseOnUpdateCascadeOnly() {
        let fk = Self.model().table(named: "events")?.foreignKeys.first
        XCTAssertEqual(fk?.onUpdate, .noAction)
        XCTAssertEqual(fk?.onDelete, .cascade)
        XCTAssertEqual(Self.model().table(named: "sessions")?.foreignKeys.first?.onDelete, .restrict)
    }

    func testPoliciesCallTheTenantFunctionWithoutASubquery() {
        let policy = Self.model().table(named: "sessions")?.policies.first
        XCTAssertEqual(policy?.using?.sql, "tenant_id = public.current_tenant()")
        XCTAssertEqual(policy?.withCheck?.sql, "tenant_id = public.current_tenant()")
    }

    func testRenderingPlacesTablesAfterCreatingThemAndBeforeTheirForeignKeysAndComments() {
        let sql = PostgresRenderer().statements(for: Self.model()).map(\.sql)
        func position(_ prefix: String) -> Int { sql.firstIndex { $0.hasPrefix(prefix) } ?? -1 }
        let reference = position("SELECT pg_catalog.create_reference_table('public.tenants')")
        let anchor = position("SELECT pg_catalog.create_distributed_table('public.sessions', 'tenant_id')")
        let events = position("SELECT pg_catalog.create_distributed_table('public.events', 'tenant_id', colocate_with => 'public.sessions')")
        XCTAssertTrue(position("CREATE TABLE public.events") < reference, "\(sql)")
        XCTAssertTrue(reference < anchor && anchor < events, "reference tables, then the anchor, then the others")
        XCTAssertTrue(events < position("ALTER TABLE public.events ADD CONSTRAINT events_session_fkey"))
        XCTAssertTrue(events < position("COMMENT ON TABLE public.events"))
        XCTAssertFalse(sql.contains { $0.hasPrefix("CREATE TABLE public.events") && $0.contains("REFERENCES") },
                       "no foreign key inside CREATE TABLE on Citus")
        XCTAssertTrue(sql.contains { $0.hasPrefix("CREATE TABLE public.events") && $0.hasSuffix("PARTITION BY RANGE (at)") })
        XCTAssertTrue(sql.contains("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"))
        XCTAssertTrue(sql.contains { $0.contains("CREATE OR REPLACE FUNCTION public.set_tenant(tenant uuid)") })
    }

    func testWithoutPlacementTheRendererIsTheSingleServerOne() {
        let sql = PostgresRenderer().statements(for: Self.model().withoutCitusPlacement).map(\.sql)
        XCTAssertFalse(sql.contains { $0.contains("create_distributed_table") || $0.contains("create_reference_table") || $0.hasPrefix("SET LOCAL citus") }, "\(sql)")
        XCTAssertTrue(sql.contains { $0.hasPrefix("CREATE TABLE public.events") && $0.contains("REFERENCES public.sessions") })
    }

    func testValidationRefusesATenantTableWithoutTheColumnOrAForeignKeyWithoutIt() {
        var catalog = Self.model()
        catalog.tables.append(Table(QualifiedName("public", "notes"), columns: [Column("id", .uuid)]))
        catalog.tables[1].foreignKeys.append(ForeignKey(
            name: "sessions_self_fkey", columns: ["id"], references: QualifiedName("public", "sessions"), ["id"], onDelete: .noAction))
        let messages = catalog.validationErrors().filter { $0.kind == .citusPlacement }.map(\.message)
        XCTAssertTrue(messages.contains { $0.contains("public.notes has no tenant_id column") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("sessions_self_fkey") }, "\(messages)")
        XCTAssertEqual(Self.model().validationErrors().filter { $0.kind == .citusPlacement }, [])
    }

    func testTheCallFeedbackModelOnCitus() {
        let citus = CallFeedbackSchema.catalog(target: .citus)
        XCTAssertEqual(citus.citus?.referenceTables.map(\.name), ["businesses", "customer_verifications", "phone_encryption_key_check"])
        XCTAssertEqual(citus.citus?.coordinatorTables.map(\.name), ["gdpr_erasure_log"])
        XCTAssertEqual(citus.validationErrors(), [])
        let events = citus.functions.first { $0.name.name == "call_events_rules" }?.body ?? ""
        XCTAssertTrue(events.contains("s.business_id = NEW.business_id"), "the session lookup stays on the shard")
        XCTAssertTrue(events.contains("e.business_id = NEW.business_id"), "and so does the latest-event lookup")
        XCTAssertNil(CallFeedbackSchema.catalog().citus)
        XCTAssertFalse(CallFeedbackSchema.catalog().functions.contains { $0.name.name == "set_current_business" })
    }
}
