import SchemaModel
import XCTest

/// Time partitioning in the model: calendar arithmetic, the rendered DDL
/// byte for byte, and the rules validation enforces.
final class PartitioningTests: XCTestCase {
    private let events = QualifiedName("app", "events")

    private func table(_ partitioning: RangePartitioning?, pk: [String] = ["id", "at"], nullableKey: Bool = false) -> Table {
        Table(
            events,
            columns: [Column("id", .uuid), Column("at", .timestamptz, nullable: nullableKey), Column("kind", .text)],
            primaryKey: PrimaryKey(name: "events_pkey", columns: pk),
            grants: [TableGrant("reader", [.select])],
            partitioning: partitioning)
    }

    func testCivilDaysRoundTripThroughDaysSinceEpoch() {
        XCTAssertEqual(CivilDay(daysSinceEpoch: 0), CivilDay(year: 1970, month: 1, day: 1))
        XCTAssertEqual(CivilDay(year: 2024, month: 2, day: 29).adding(days: 1), CivilDay(year: 2024, month: 3, day: 1))
        XCTAssertEqual(CivilDay(year: 2026, month: 12, day: 31).adding(days: 1), CivilDay(year: 2027, month: 1, day: 1))
        for days in stride(from: -800_000, to: 800_000, by: 997) {
            XCTAssertEqual(CivilDay(daysSinceEpoch: days).daysSinceEpoch, days)
        }
        XCTAssertEqual(CivilDay(iso: "2026-12-02"), CivilDay(year: 2026, month: 12, day: 2))
        XCTAssertNil(CivilDay(iso: "2026-13-02"))
        XCTAssertNil(CivilDay(iso: "yesterday"))
        XCTAssertEqual(CivilDay(year: 7, month: 3, day: 9).description, "0007-03-09")
    }

    func testIntervalsStartWhereDateTruncDoes() {
        let wednesday = CivilDay(year: 2026, month: 12, day: 2)
        XCTAssertEqual(PartitionInterval.day.start(containing: wednesday), wednesday)
        XCTAssertEqual(PartitionInterval.week.start(containing: wednesday), CivilDay(year: 2026, month: 11, day: 30))
        XCTAssertEqual(PartitionInterval.week.start(containing: CivilDay(year: 2026, month: 11, day: 30)), CivilDay(year: 2026, month: 11, day: 30))
        XCTAssertEqual(PartitionInterval.week.start(containing: CivilDay(year: 2026, month: 12, day: 6)), CivilDay(year: 2026, month: 11, day: 30))
        XCTAssertEqual(PartitionInterval.month.start(containing: wednesday), CivilDay(year: 2026, month: 12, day: 1))
        XCTAssertEqual(PartitionInterval.month.next(after: CivilDay(year: 2026, month: 12, day: 1)), CivilDay(year: 2027, month: 1, day: 1))
        XCTAssertEqual(PartitionInterval.week.next(after: CivilDay(year: 2026, month: 12, day: 28)), CivilDay(year: 2027, month: 1, day: 4))
        XCTAssertEqual(PartitionInterval.day.next(after: wednesday), CivilDay(year: 2026, month: 12, day: 3))
    }

    func testTheDefaultIntervalIsADayWithAWeekMadeAhead() {
        let partitioning = RangePartitioning(by: "at")
        XCTAssertEqual(partitioning.interval, .day)
        XCTAssertEqual(partitioning.premake, 7)
        XCTAssertTrue(partitioning.hasDefaultPartition)
    }

    func testPartitionedTableRendersPartitionByAndAGrantlessDefaultPartition() {
        let catalog = Catalog(schemas: ["app"], tables: [table(RangePartitioning(by: "at"))])
        XCTAssertEqual(PostgresRenderer().statements(for: catalog).map(\.sql), [
            "CREATE SCHEMA IF NOT EXISTS app",
            """
            CREATE TABLE app.events (
                id uuid NOT NULL,
                at timestamp with time zone NOT NULL,
                kind text NOT NULL,
                CONSTRAINT events_pkey PRIMARY KEY (id, at)
            ) PARTITION BY RANGE (at)
            """,
            "CREATE TABLE app.events_default PARTITION OF app.events DEFAULT",
            "GRANT SELECT ON TABLE app.events TO reader",
        ])
    }

    func testNoDefaultPartitionWhenTheModelSaysNone() {
        let catalog = Catalog(tables: [table(RangePartitioning(by: "at", defaultPartition: false))])
        XCTAssertFalse(PostgresRenderer().statements(for: catalog).map(\.sql).contains { $0.contains("DEFAULT") && $0.contains("PARTITION OF") })
    }

    func testATimePartitionIsNamedByItsFirstDayWithBoundsAtMidnightUTC() {
        let renderer = PostgresRenderer()
        let day = CivilDay(year: 2026, month: 12, day: 2)
        XCTAssertEqual(
            renderer.createPartition(of: table(RangePartitioning(by: "at")), from: day, to: day.adding(days: 1))?.sql,
            "CREATE TABLE app.events_p20261202 PARTITION OF app.events FOR VALUES FROM ('2026-12-02 00:00:00+00') TO ('2026-12-03 00:00:00+00')")
        var dated = table(RangePartitioning(by: "at", interval: .month))
        dated.columns[1].type = .date
        XCTAssertEqual(
            renderer.createPartition(of: dated, from: CivilDay(year: 2026, month: 12, day: 1), to: CivilDay(year: 2027, month: 1, day: 1))?.sql,
            "CREATE TABLE app.events_p20261201 PARTITION OF app.events FOR VALUES FROM ('2026-12-01') TO ('2027-01-01')")
        XCTAssertNil(renderer.createPartition(of: table(nil), from: day, to: day.adding(days: 1)))
    }

    func testAPlainTableRendersAsBefore() {
        XCTAssertFalse(PostgresRenderer().createTable(table(nil)).sql.contains("PARTITION"))
    }

    func testValidationRequiresTheKeyInEveryPrimaryKeyAndUniqueAndATimeTypeThatIsNotNull() {
        XCTAssertEqual(Catalog(tables: [table(RangePartitioning(by: "at"))]).validationErrors(), [])

        var bad = table(RangePartitioning(by: "at", premake: 0), pk: ["id"], nullableKey: true)
        bad.uniques = [UniqueConstraint(name: "events_kind_key", columns: ["kind"])]
        bad.indexes = [Index("events_kind_idx", on: ["kind"], unique: true)]
        let messages = Catalog(tables: [bad]).validationErrors().map(\.message)
        XCTAssertEqual(messages, [
            "partition key at must be NOT NULL",
            "unique index events_kind_idx must include partition key at",
            "primary key events_pkey must include partition key at",
            "unique constraint events_kind_key must include partition key at",
            "partitions made ahead must be at least 1, not 0",
        ])
        XCTAssertTrue(Catalog(tables: [bad]).validationErrors().allSatisfy { $0.kind == .partitionKey })

        let byText = table(RangePartitioning(by: "kind"))
        XCTAssertEqual(
            Catalog(tables: [byText]).validationErrors().map(\.message).first,
            "partition key kind is text; a time partition key must be timestamptz, timestamp or date")
        XCTAssertEqual(
            Catalog(tables: [table(RangePartitioning(by: "missing"))]).validationErrors().map(\.kind).first, .unknownColumn)

        let long = Table(
            QualifiedName("app", String(repeating: "e", count: 55)), columns: [Column("at", .timestamptz)],
            partitioning: RangePartitioning(by: "at"))
        XCTAssertEqual(Catalog(tables: [long]).validationErrors().map(\.kind), [.identifierTooLong])
    }

    func testTheRowPathOfAPartitionedTableMatchesRowsByTableoidAndCtid() {
        let rule = RetentionRule(
            name: "events_purge", table: events, ageColumn: "at", olderThanDays: 30, action: .delete, comment: "Old events go.")
        let plain = rule.function(columns: ["id", "at"], executeGrantees: []).body
        let partitioned = rule.function(columns: ["id", "at"], executeGrantees: [], partitioned: true).body
        XCTAssertFalse(plain.contains("tableoid"))
        XCTAssertTrue(partitioned.contains("SELECT t.ctid AS row_id, t.tableoid AS rel_id FROM app.events t"), partitioned)
        XCTAssertTrue(partitioned.contains(
            "t.ctid = ANY (ARRAY(SELECT row_id FROM batch)) AND ((t.tableoid, t.ctid) IN (SELECT rel_id, row_id FROM batch)) IS TRUE"),
            partitioned)
        // The rule's predicate again, so executor-start pruning skips partitions too young for it.
        XCTAssertTrue(partitioned.contains("DELETE FROM app.events t WHERE (at < pg_catalog.now() - interval '30 days') AND t.ctid"), partitioned)
        XCTAssertFalse(plain.contains("DELETE FROM app.events t WHERE (at"), plain)
    }

    func testGenerateCreatesANewPartitionedTableWithItsDefaultPartition() throws {
        let model = Catalog(schemas: ["app"], tables: [table(RangePartitioning(by: "at"))])
        let planner = Planner(model: model, allowedHazards: [])
        let actual = Catalog(schemas: ["app"])
        let changes = SchemaDiffer().changes(desired: model, actual: actual)
        let plan = try planner.plan(changes, renames: planner.renames(actual: actual), actual: actual)
        let text = plan.files(firstVersion: 2, name: "events").map(\.contents).joined(separator: "\n")
        XCTAssertTrue(text.contains(") PARTITION BY RANGE (at);"), text)
        XCTAssertTrue(text.contains("CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;"), text)
        let partition = try XCTUnwrap(text.range(of: "PARTITION OF app.events DEFAULT"))
        let parent = try XCTUnwrap(text.range(of: "PARTITION BY RANGE"))
        XCTAssertLessThan(parent.lowerBound, partition.lowerBound)
    }
}
