import Foundation
import PQClient
import SchemaModel

/// Keeps the time partitions of the model's partitioned tables made ahead,
/// and sorts rows that fell into a default partition into their own.
///
/// - Make-ahead: the current interval and `premake` after it exist, each
///   created in its own short transaction (`CREATE TABLE … PARTITION OF`).
/// - Default rows (cron did not run, or a back-dated row): in one
///   transaction the default partition is detached, each interval its rows
///   fall into is built as a plain table, filled from it, and attached; a
///   fresh default is attached and the old one dropped once every row has
///   been counted into a partition. Row triggers are not fired again (rows
///   move between plain tables), so rules that judge an insert against the
///   rows before it are not re-judged. The parent is locked for the time
///   that move takes, which grows with the rows in the default partition
///   (a week without cron: a week's rows).
///
/// Every transaction runs under `lock_timeout` and is retried when it
/// cannot get its locks, so maintenance never queues writers behind it.
public struct PartitionMaintainer {
    public struct Options: Sendable {
        public var lockTimeoutMilliseconds = 2000
        public var attempts = 5
        public var retryDelayMilliseconds = 250
        /// Per table: rows of the default partition on days already past
        /// this many days stay there (purge sets it from its rules): the
        /// rule's row path takes them next, once, instead of sorting them
        /// into a partition only to move or drop that partition after.
        public var leaveInDefaultOlderThanDays: [QualifiedName: Int] = [:]
        public init() {}
    }

    public struct TableReport: Codable, Sendable, Equatable {
        public let table: String
        /// Partitions created, oldest first.
        public var created: [String]
        /// Rows moved out of the default partition into time partitions.
        public var movedFromDefault: Int

        public init(table: String, created: [String], movedFromDefault: Int) {
            self.table = table
            self.created = created
            self.movedFromDefault = movedFromDefault
        }
    }

    public let tables: [Table]
    public let options: Options

    public init(tables: [Table], options: Options = Options()) {
        self.tables = tables.filter { $0.partitioning != nil && !$0.isExternal }
        self.options = options
    }

    /// Runs on `connection`, which must not be inside a transaction.
    /// `today` (UTC) defaults to the server's date.
    @discardableResult
    public func run(on connection: Connection, today: CivilDay? = nil) throws -> [TableReport] {
        guard !tables.isEmpty else { return [] }
        let day: CivilDay
        if let today {
            day = today
        } else {
            let text = try connection.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')").scalar(String.self)
            guard let parsed = CivilDay(iso: text) else {
                throw PGMigrateError(.internalError, "unexpected server date \(text)")
            }
            day = parsed
        }
        return try tables.map { try maintain($0, on: connection, today: day) }
    }

    /// The names of the partitions of `table` as they are in the database.
    public static func partitionNames(of table: QualifiedName, on connection: Connection) throws -> [String] {
        try connection.execute(
            """
            SELECT c.relname FROM pg_catalog.pg_inherits i
            JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = pg_catalog.to_regclass($1) ORDER BY c.relname
            """, [table.sql]
        ).rows.compactMap { $0[0] }
    }

    /// The upper bound (a UTC day) of the partitions of `table` that are
    /// neither time partitions nor the default: the legacy partition a
    /// converted table keeps, `FOR VALUES FROM (MINVALUE) TO (bound)`.
    static func legacyUpperBound(of table: Table, _ partitioning: RangePartitioning, on connection: Connection) throws -> CivilDay? {
        let bounds = try connection.transaction { c -> [String] in
            // Bounds print in the session's time zone: read them in UTC.
            try c.execute("SET LOCAL TimeZone = 'UTC'")
            return try c.execute(
                """
                SELECT substring(pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([0-9]{4}-[0-9]{2}-[0-9]{2})')
                FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = pg_catalog.to_regclass($1) AND c.relname <> $2 AND c.relname !~ $3
                """, [table.name.sql, partitioning.defaultPartitionName(of: table.name).name, "^" + table.name.name + "_p[0-9]{8}$"]
            ).rows.compactMap { $0[0] }
        }
        return bounds.compactMap { CivilDay(iso: $0) }.max()
    }

    /// The UTC day of the partition key, as `YYYY-MM-DD`.
    static func dayExpression(_ table: Table, _ partitioning: RangePartitioning) -> String {
        let key = quoteIdentifierIfNeeded(partitioning.column)
        if table.column(partitioning.column)?.type == .timestamptz {
            return "to_char(\(key) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        }
        return "to_char(\(key), 'YYYY-MM-DD')"
    }

    private func maintain(_ table: Table, on connection: Connection, today: CivilDay) throws -> TableReport {
        guard let partitioning = table.partitioning, let key = table.column(partitioning.column) else {
            return TableReport(table: table.name.description, created: [], movedFromDefault: 0)
        }
        var report = TableReport(table: table.name.description, created: [], movedFromDefault: 0)
        let existing = Set(try Self.partitionNames(of: table.name, on: connection))
        let exists = try connection.execute(
            "SELECT pg_catalog.to_regclass($1) IS NOT NULL", [table.name.sql]).scalar(Bool.self)
        guard exists else { throw PGMigrateError(.notMigrated, "partitioned table \(table.name) does not exist: run migrate first") }
        let interval = partitioning.interval

        // Contiguous from the newest partition before today (the days cron
        // missed), through today's and `premake` after it.
        let todayStart = interval.start(containing: today)
        let prefix = table.name.name + "_p"
        let made = existing.compactMap { name -> CivilDay? in
            guard name.hasPrefix(prefix), name.count == prefix.count + 8 else { return nil }
            let digits = name.dropFirst(prefix.count)
            return CivilDay(iso: "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))")
        }
        // A legacy partition (a converted table, `[MINVALUE, bound)`) already
        // takes every row before its upper bound: time partitions start there.
        let covered = try Self.legacyUpperBound(of: table, partitioning, on: connection)
        var wanted: [CivilDay] = []
        var start = made.filter { $0 < todayStart }.max().map { interval.next(after: $0) } ?? todayStart
        if let covered, start < covered { start = covered }
        var last = todayStart
        for _ in 0..<partitioning.premake { last = interval.next(after: last) }
        while start <= last {
            wanted.append(start)
            start = interval.next(after: start)
        }

        let defaultName = partitioning.defaultPartitionName(of: table.name)
        var withRows: [CivilDay] = []
        if partitioning.hasDefaultPartition, existing.contains(defaultName.name) {
            let days = try connection.execute(
                "SELECT DISTINCT \(Self.dayExpression(table, partitioning)) FROM ONLY \(defaultName.sql)"
            ).rows.compactMap { $0[0].flatMap { CivilDay(iso: $0) } }
            withRows = Array(Set(days.map { interval.start(containing: $0) })).sorted()
        }
        let keepBefore = options.leaveInDefaultOlderThanDays[table.name].map { interval.start(containing: today.adding(days: -$0)) }
        if let keepBefore { withRows = withRows.filter { $0 >= keepBefore } }
        func name(_ day: CivilDay) -> QualifiedName { partitioning.partitionName(of: table.name, startingOn: day) }

        if !withRows.isEmpty {
            let toCreate = Array(Set(withRows + wanted.filter { !existing.contains(name($0).name) })).sorted()
            report.movedFromDefault = try withRetries(on: connection) {
                try moveDefaultRows(
                    table, partitioning, key: key, intervals: toCreate, withRows: Set(withRows), keepBefore: keepBefore, on: connection)
            }
            report.created = toCreate.map { name($0).name }
            return report
        }
        for day in wanted where !existing.contains(name(day).name) {
            guard let statement = PostgresRenderer().createPartition(of: table, from: day, to: interval.next(after: day)) else { continue }
            try withRetries(on: connection) {
                try connection.transaction { c in
                    try c.execute("SET LOCAL lock_timeout = '\(options.lockTimeoutMilliseconds)ms'")
                    try c.execute(statement.sql)
                }
            }
            report.created.append(name(day).name)
        }
        return report
    }

    private func moveDefaultRows(
        _ table: Table, _ partitioning: RangePartitioning, key: Column, intervals: [CivilDay], withRows: Set<CivilDay>,
        keepBefore: CivilDay?, on connection: Connection
    ) throws -> Int {
        let renderer = PostgresRenderer()
        let parent = table.name.sql
        let defaultName = partitioning.defaultPartitionName(of: table.name)
        let moving = QualifiedName(table.name.schema, table.name.name + "_moving")
        let columns = table.columns.map { quoteIdentifierIfNeeded($0.name) }.joined(separator: ", ")
        let keySQL = quoteIdentifierIfNeeded(partitioning.column)
        return try connection.transaction { c in
            try c.execute("SET LOCAL lock_timeout = '\(options.lockTimeoutMilliseconds)ms'")
            try c.execute("LOCK TABLE \(parent) IN ACCESS EXCLUSIVE MODE")
            try c.execute("ALTER TABLE \(parent) DETACH PARTITION \(defaultName.sql)")
            try c.execute("ALTER TABLE \(defaultName.sql) RENAME TO \(quoteIdentifierIfNeeded(moving.name))")
            let total = try c.execute("SELECT count(*) FROM \(moving.sql)").scalar(Int.self)
            var moved = 0
            for day in intervals {
                let next = partitioning.interval.next(after: day)
                if withRows.contains(day) {
                    let child = partitioning.partitionName(of: table.name, startingOn: day)
                    let from = partitioning.boundLiteral(day, for: key.type)
                    let to = partitioning.boundLiteral(next, for: key.type)
                    try c.execute("CREATE TABLE \(child.sql) (LIKE \(parent) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
                    moved += try c.execute(
                        "INSERT INTO \(child.sql) (\(columns)) SELECT \(columns) FROM \(moving.sql) WHERE \(keySQL) >= \(from) AND \(keySQL) < \(to)"
                    ).rowsAffected
                    try c.execute("ALTER TABLE \(parent) ATTACH PARTITION \(child.sql) FOR VALUES FROM (\(from)) TO (\(to))")
                } else if let statement = renderer.createPartition(of: table, from: day, to: next) {
                    try c.execute(statement.sql)
                }
            }
            var kept = 0
            if let keepBefore, partitioning.hasDefaultPartition {
                // Rows past the rule's age go back to a fresh default, for the
                // row path: filled as a plain table (no row trigger fires
                // again), then attached.
                try c.execute("CREATE TABLE \(defaultName.sql) (LIKE \(parent) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
                kept = try c.execute(
                    "INSERT INTO \(defaultName.sql) (\(columns)) SELECT \(columns) FROM \(moving.sql) WHERE \(keySQL) < \(partitioning.boundLiteral(keepBefore, for: key.type))"
                ).rowsAffected
                try c.execute("ALTER TABLE \(parent) ATTACH PARTITION \(defaultName.sql) DEFAULT")
            }
            guard moved + kept == total else {
                // Raised in the transaction, so it rolls back and nothing moves.
                throw PGMigrateError(
                    .internalError,
                    "partition maintenance of \(table.name): \(total) rows in the default partition but \(moved) sorted; nothing moved")
            }
            if keepBefore == nil, let statement = renderer.createDefaultPartition(table) { try c.execute(statement.sql) }
            try c.execute("DROP TABLE \(moving.sql)")
            return moved
        }
    }

    /// Runs `body` (one transaction) again when it could not get its locks.
    @discardableResult
    func withRetries<T>(on connection: Connection, _ body: () throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try body()
            } catch let error as PQError where error.sqlState == .lockNotAvailable && attempt < options.attempts {
                attempt += 1
                Thread.sleep(forTimeInterval: Double(options.retryDelayMilliseconds * attempt) / 1000)
            }
        }
    }
}
