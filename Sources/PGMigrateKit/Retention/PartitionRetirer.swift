import Foundation
import PQClient
import SchemaModel

/// Retention by partition: the time partitions of a rule's table that lie
/// wholly past the rule's age are dropped (`delete`) or moved into the
/// archive (`archive`), a catalogue operation whose cost does not grow with
/// their rows. The partition that straddles the cut-off and any rows in the
/// default partition are left to the rule's batched row path, which runs
/// after this, so the rule stays exact.
///
/// A move to the archive is one transaction, so a crash anywhere in it
/// leaves the partition where it was and the next run starts again:
/// 1. (before, on the partition alone) a validated bounds CHECK, so the
///    ATTACH below does not scan the partition while the parent is locked;
/// 2. DETACH from the table, drop the foreign keys it carried from the table
///    (archived rows must not block or follow deletes of what they referred
///    to), add the archive's time column (a constant default: catalogue only),
///    rename it to the archive's partition name;
/// 3. take back into it the archive's default-partition rows of the same
///    interval (the rows the row path archived while the partition straddled
///    the cut-off: at most a cron period's worth), and ATTACH it to the archive.
///
/// Each transaction runs under `lock_timeout` and is retried.
public struct PartitionRetirer {
    public struct Report: Codable, Sendable, Equatable {
        public let rule: String
        public let action: String
        /// Partitions dropped or moved, oldest first (in a dry run: that would be).
        public var partitions: [String]
        /// The rows those partitions held.
        public var partitionRows: Int
        /// The longest transaction that held the table's lock, in milliseconds.
        public var longestLockMilliseconds: Int
    }

    public let rule: RetentionRule
    public let table: Table
    public let archive: Table?
    public let options: PartitionMaintainer.Options

    /// Nil when the rule cannot go by partition: its table is not
    /// partitioned, it has a condition, it clears or anonymises columns, or
    /// its archive is not partitioned by the same key and interval.
    public init?(rule: RetentionRule, catalog: Catalog, options: PartitionMaintainer.Options = .init()) {
        guard rule.condition == nil, let table = catalog.table(rule.table), let partitioning = table.partitioning,
            partitioning.column == rule.ageColumn
        else { return nil }
        switch rule.action {
        case .delete:
            archive = nil
        case .archive(let into, _):
            guard let archive = catalog.table(into), archive.partitioning?.column == partitioning.column,
                archive.partitioning?.interval == partitioning.interval
            else { return nil }
            self.archive = archive
        case .clear, .anonymize:
            return nil
        }
        self.rule = rule
        self.table = table
        self.options = options
    }

    private var partitioning: RangePartitioning {
        table.partitioning ?? RangePartitioning(by: rule.ageColumn)
    }

    /// The time partitions wholly older than the rule's age, oldest first.
    public func partitionsPastAge(on connection: Connection) throws -> [(name: String, start: CivilDay)] {
        guard let key = table.column(partitioning.column) else { return [] }
        let prefix = table.name.name + "_p"
        let starts = try PartitionMaintainer.partitionNames(of: table.name, on: connection).compactMap { name -> (String, CivilDay)? in
            guard name.hasPrefix(prefix), name.count == prefix.count + 8 else { return nil }
            let digits = name.dropFirst(prefix.count)
            guard let day = CivilDay(iso: "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))") else { return nil }
            return (name, day)
        }.sorted { $0.1 < $1.1 }
        var result: [(name: String, start: CivilDay)] = []
        for (name, start) in starts {
            let end = partitioning.boundLiteral(partitioning.interval.next(after: start), for: key.type)
            let past = try connection.execute(
                "SELECT \(end)::\(key.type.sql) <= pg_catalog.now() - interval '\(rule.olderThanDays) days'").scalar(Bool.self)
            guard past else { break }
            result.append((name, start))
        }
        return result
    }

    public func run(on connection: Connection, dryRun: Bool = false) throws -> Report {
        var report = Report(rule: rule.name, action: rule.action.verb, partitions: [], partitionRows: 0, longestLockMilliseconds: 0)
        for (name, start) in try partitionsPastAge(on: connection) {
            let partition = QualifiedName(table.name.schema, name)
            let rows = try connection.execute("SELECT count(*) FROM \(partition.sql)").scalar(Int.self)
            if !dryRun {
                let clock = ContinuousClock()
                let began = clock.now
                if let archive {
                    try move(partition, start: start, into: archive, on: connection)
                } else {
                    try PartitionMaintainer(tables: [], options: options).withRetries(on: connection) {
                        try connection.transaction { c in
                            try c.execute("SET LOCAL lock_timeout = '\(options.lockTimeoutMilliseconds)ms'")
                            try c.execute("ALTER TABLE \(table.name.sql) DETACH PARTITION \(partition.sql)")
                            try c.execute("DROP TABLE \(partition.sql)")
                        }
                    }
                }
                let elapsed = (clock.now - began).components
                report.longestLockMilliseconds = max(
                    report.longestLockMilliseconds, Int(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000))
            }
            report.partitions.append(name)
            report.partitionRows += rows
        }
        return report
    }

    private func move(_ partition: QualifiedName, start: CivilDay, into archive: Table, on connection: Connection) throws {
        guard case .archive(_, let archivedAt) = rule.action, let key = table.column(partitioning.column),
            let archivePartitioning = archive.partitioning
        else { return }
        let retry = PartitionMaintainer(tables: [], options: options)
        let keySQL = quoteIdentifierIfNeeded(partitioning.column)
        let from = partitioning.boundLiteral(start, for: key.type)
        let to = partitioning.boundLiteral(partitioning.interval.next(after: start), for: key.type)
        let check = "pgmigrate_partition_bounds"
        let target = archivePartitioning.partitionName(of: archive.name, startingOn: start)
        let archivedType = archive.column(archivedAt)?.type ?? .timestamptz

        // 1. The bounds CHECK, validated on the partition alone (it is past the
        //    rule's age, so only a back-dated insert could wait on this).
        let hasCheck = try connection.execute(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2)",
            [partition.sql, check]).scalar(Bool.self)
        if !hasCheck {
            try retry.withRetries(on: connection) {
                try connection.transaction { c in
                    try c.execute("SET LOCAL lock_timeout = '\(options.lockTimeoutMilliseconds)ms'")
                    try c.execute(
                        "ALTER TABLE \(partition.sql) ADD CONSTRAINT \(check) CHECK (\(keySQL) >= \(from) AND \(keySQL) < \(to))")
                }
            }
        }
        // 2 and 3, in one transaction.
        let columns = table.columns.map { quoteIdentifierIfNeeded($0.name) } + [quoteIdentifierIfNeeded(archivedAt)]
        let list = columns.joined(separator: ", ")
        try retry.withRetries(on: connection) {
            try connection.transaction { c in
                try c.execute("SET LOCAL lock_timeout = '\(options.lockTimeoutMilliseconds)ms'")
                try c.execute("ALTER TABLE \(table.name.sql) DETACH PARTITION \(partition.sql)")
                // A foreign key the archive declares the same way stays: ATTACH
                // adopts it without checking the rows again.
                let foreignKeys = try c.execute(
                    """
                    SELECT p.conname FROM pg_catalog.pg_constraint p
                    WHERE p.conrelid = pg_catalog.to_regclass($1) AND p.contype = 'f'
                      AND pg_catalog.pg_get_constraintdef(p.oid) NOT IN (
                        SELECT pg_catalog.pg_get_constraintdef(a.oid) FROM pg_catalog.pg_constraint a
                        WHERE a.conrelid = pg_catalog.to_regclass($2) AND a.contype = 'f')
                    ORDER BY p.conname
                    """,
                    [partition.sql, archive.name.sql]
                ).rows.compactMap { $0[0] }
                for name in foreignKeys {
                    try c.execute("ALTER TABLE \(partition.sql) DROP CONSTRAINT \(quoteIdentifierIfNeeded(name))")
                }
                // ATTACH wants the archive's CHECK constraints by name: the
                // partition's equivalent ones (detached, now its own) are renamed.
                let renames = try c.execute(
                    """
                    SELECT DISTINCT ON (a.conname) p.conname, a.conname FROM pg_catalog.pg_constraint p
                    JOIN pg_catalog.pg_constraint a ON a.conrelid = pg_catalog.to_regclass($2) AND a.contype = 'c'
                        AND pg_catalog.pg_get_constraintdef(a.oid) = pg_catalog.pg_get_constraintdef(p.oid)
                    WHERE p.conrelid = pg_catalog.to_regclass($1) AND p.contype = 'c' AND p.conname <> a.conname
                      AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint x WHERE x.conrelid = p.conrelid AND x.conname = a.conname)
                    ORDER BY a.conname, p.conname
                    """, [partition.sql, archive.name.sql]
                ).rows
                for row in renames {
                    guard let from = row[0], let to = row[1] else { continue }
                    try c.execute("ALTER TABLE \(partition.sql) RENAME CONSTRAINT \(quoteIdentifierIfNeeded(from)) TO \(quoteIdentifierIfNeeded(to))")
                }
                let archived = quoteIdentifierIfNeeded(archivedAt)
                try c.execute("ALTER TABLE \(partition.sql) ADD COLUMN \(archived) \(archivedType.sql) NOT NULL DEFAULT pg_catalog.now()")
                try c.execute("ALTER TABLE \(partition.sql) ALTER COLUMN \(archived) DROP DEFAULT")
                // The archive may already have this interval's partition: made
                // ahead by maintenance (empty), or holding rows the row path
                // archived while the day straddled the cut-off, sorted out of
                // the archive's default partition. Its rows join the moving
                // partition (at most a cron period's worth) and it is dropped.
                let existing = try c.execute("SELECT pg_catalog.to_regclass($1) IS NOT NULL", [target.sql]).scalar(Bool.self)
                if existing {
                    try c.execute("ALTER TABLE \(archive.name.sql) DETACH PARTITION \(target.sql)")
                    try c.execute("INSERT INTO \(partition.sql) (\(list)) SELECT \(list) FROM \(target.sql)")
                    try c.execute("DROP TABLE \(target.sql)")
                }
                try c.execute("ALTER TABLE \(partition.sql) RENAME TO \(quoteIdentifierIfNeeded(target.name))")
                if archivePartitioning.hasDefaultPartition {
                    let archiveDefault = archivePartitioning.defaultPartitionName(of: archive.name)
                    let exists = try c.execute("SELECT pg_catalog.to_regclass($1) IS NOT NULL", [archiveDefault.sql]).scalar(Bool.self)
                    if exists {
                        try c.execute("""
                            WITH taken AS (
                                DELETE FROM ONLY \(archiveDefault.sql) WHERE \(keySQL) >= \(from) AND \(keySQL) < \(to)
                                RETURNING \(list)
                            )
                            INSERT INTO \(target.sql) (\(list)) SELECT \(list) FROM taken
                            """)
                    }
                }
                try c.execute("ALTER TABLE \(archive.name.sql) ATTACH PARTITION \(target.sql) FOR VALUES FROM (\(from)) TO (\(to))")
                try c.execute("ALTER TABLE \(target.sql) DROP CONSTRAINT \(check)")
            }
        }
    }
}
