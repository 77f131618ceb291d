import Foundation
import PQClient
import SchemaModel

/// Runs the model's retention rules in batches, each batch its own short
/// transaction, through the generated `retention_<rule>(batch_size)` functions.
///
/// A session-level advisory try-lock keeps two purges from running at once;
/// the lock lives on the purge's own connection, which is never left inside a
/// transaction between batches.
public struct Purger {
    public struct Options: Sendable {
        public var batchSize = 500
        public var dryRun = false
        /// Stop cleanly between batches once this much time has passed.
        public var maxRuntime: Duration?
        /// Run only these rules (by name); empty means all.
        public var rules: [String] = []
        /// Wait for another purge to finish instead of exiting at once.
        public var waitForLock = false
        /// Per-statement lock timeout, so a batch never queues behind a long transaction.
        public var lockTimeoutMilliseconds = 5000
        /// Where to append the URLs of cleared recordings (one per line), written
        /// and flushed before the batch commits.
        public var recordingsOut: URL?
        public init() {}
    }

    public struct RuleReport: Codable, Sendable, Equatable {
        public let rule: String
        public let action: String
        /// Rows changed (or, in a dry run, rows that would change): by the
        /// row path and in whole partitions together.
        public let rows: Int
        public let batches: Int
        public let milliseconds: Int
        /// The longest single batch, in milliseconds (how long it held its locks).
        public let longestBatchMilliseconds: Int
        /// True when --max-runtime stopped the rule before it ran out of rows.
        public let stoppedEarly: Bool
        /// Whole time partitions dropped or moved to the archive (in a dry
        /// run: that would be); `partitionRows` of `rows` went with them.
        public var partitions: [String] = []
        /// The rows those partitions held.
        public var partitionRows: Int = 0
    }

    /// Where a rule is, after each batch (for a progress line on a terminal).
    public struct BatchProgress: Sendable, Equatable {
        public let rule: String
        public let rows: Int
        public let batches: Int
        public let elapsed: Duration
    }

    public enum Outcome: Sendable, Equatable {
        case ran([RuleReport])
        case lockHeldElsewhere
    }

    /// The purge's advisory lock is (`lockNamespace`, `lockKey`): a namespace
    /// of its own ("pgm2"), apart from the per-session locks the triggers take
    /// in `sessionLockNamespace` and from the migrator's bigint key.
    public static let lockNamespace: Int32 = 0x7067_6D32
    public static let lockKey: Int32 = 1

    public let settings: ConnectionSettings
    public let rules: [RetentionRule]
    public let options: Options
    /// The model: when it partitions tables, the purge first makes their
    /// partitions ahead and sorts default-partition rows (`PartitionMaintainer`),
    /// and each rule that can goes by whole partitions (`PartitionRetirer`)
    /// before its row path.
    public let catalog: Catalog?

    public init(settings: ConnectionSettings, rules: [RetentionRule], options: Options, catalog: Catalog? = nil) {
        self.settings = settings
        self.rules = rules
        self.options = options
        self.catalog = catalog
    }

    /// Checks options and rule names before connecting (exit 64 on a mistake).
    public func selectedRules() throws -> [RetentionRule] {
        guard options.batchSize > 0 else { throw PGMigrateError(.usage, "--batch-size must be positive") }
        if options.rules.isEmpty { return rules }
        let known = Set(rules.map(\.name))
        for name in options.rules where !known.contains(name) {
            throw PGMigrateError(
                .usage, "unknown retention rule \(name); rules: \(rules.map(\.name).joined(separator: ", "))")
        }
        return rules.filter { options.rules.contains($0.name) }
    }

    public func run(progress: (RuleReport) -> Void = { _ in }, batchDone: (BatchProgress) -> Void = { _ in }) throws -> Outcome {
        let selected = try selectedRules()
        let connection = try settings.connect(applicationName: "pgmigrate purge")
        do {
            // The advisory lock first: --wait must wait as long as the other purge
            // runs, not only as long as lock_timeout allows.
            if options.waitForLock {
                try connection.execute("SELECT pg_catalog.pg_advisory_lock($1, $2)", [Self.lockNamespace, Self.lockKey])
            } else {
                let got = try connection.execute(
                    "SELECT pg_catalog.pg_try_advisory_lock($1, $2)", [Self.lockNamespace, Self.lockKey]
                ).scalar(Bool.self)
                if !got { return .lockHeldElsewhere }
            }
            defer { _ = try? connection.execute("SELECT pg_catalog.pg_advisory_unlock($1, $2)", [Self.lockNamespace, Self.lockKey]) }
            try connection.execute("SELECT pg_catalog.set_config('lock_timeout', $1, false)", ["\(options.lockTimeoutMilliseconds)ms"])

            if let catalog, !options.dryRun {
                var maintenance = PartitionMaintainer.Options()
                maintenance.lockTimeoutMilliseconds = options.lockTimeoutMilliseconds
                for rule in rules where PartitionRetirer(rule: rule, catalog: catalog) != nil {
                    maintenance.leaveInDefaultOlderThanDays[rule.table] = min(
                        maintenance.leaveInDefaultOlderThanDays[rule.table] ?? rule.olderThanDays, rule.olderThanDays)
                }
                // Only tables already partitioned: on a database not migrated
                // (or not yet converted) the rules' own checks say what to do.
                let partitioned = try catalog.tables.filter { table in
                    guard table.partitioning != nil, !table.isExternal else { return false }
                    return try connection.execute(
                        "SELECT EXISTS (SELECT FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass($1) AND relkind = 'p')",
                        [table.name.sql]).scalar(Bool.self)
                }
                try PartitionMaintainer(tables: partitioned, options: maintenance).run(on: connection)
            }
            let clock = ContinuousClock()
            let start = clock.now
            var reports: [RuleReport] = []
            for rule in selected {
                do {
                    let report = try runRule(
                        rule, on: connection, deadline: options.maxRuntime.map { start + $0 }, batchDone: batchDone)
                    reports.append(report)
                    progress(report)
                } catch let error as PQError {
                    throw PGMigrateError.from(
                        error, while: "purge (\(rule.name))",
                        using: options.dryRun ? rule.table.description : rule.functionName.description)
                }
            }
            return .ran(reports)
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "purge")
        }
    }

    private func runRule(
        _ rule: RetentionRule, on connection: Connection, deadline: ContinuousClock.Instant?,
        batchDone: (BatchProgress) -> Void
    ) throws -> RuleReport {
        let clock = ContinuousClock()
        let started = clock.now
        func ms(_ d: Duration) -> Int { Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }

        var byPartition: PartitionRetirer.Report?
        if let catalog {
            var retirement = PartitionMaintainer.Options()
            retirement.lockTimeoutMilliseconds = options.lockTimeoutMilliseconds
            byPartition = try PartitionRetirer(rule: rule, catalog: catalog, options: retirement)?
                .run(on: connection, dryRun: options.dryRun)
        }
        if options.dryRun {
            let count = try connection.execute(rule.countSQL).scalar(Int.self)
            var report = RuleReport(
                rule: rule.name, action: rule.action.verb, rows: count, batches: 0,
                milliseconds: ms(clock.now - started), longestBatchMilliseconds: 0, stoppedEarly: false)
            report.partitions = byPartition?.partitions ?? []
            report.partitionRows = byPartition?.partitionRows ?? 0
            return report
        }

        var rows = 0
        var batches = 0
        var longest = Duration.zero
        var stoppedEarly = false
        let sql = "SELECT affected_id, detail FROM \(rule.functionName.sql)($1)"
        // Without recordings to write out, a batch is one statement in
        // autocommit (its own transaction): one round trip, one row back.
        let writesRecordings: Bool
        if options.recordingsOut != nil, case .clear = rule.action { writesRecordings = true } else { writesRecordings = false }
        let countSQL = "SELECT count(*)::int FROM \(rule.functionName.sql)($1)"
        while true {
            if let deadline, clock.now >= deadline {
                stoppedEarly = true
                break
            }
            let batchStart = clock.now
            let affected: Int
            if writesRecordings, let out = options.recordingsOut {
                affected = try connection.transaction { conn -> Int in
                    let result = try conn.execute(sql, [options.batchSize])
                    let urls = result.rows.compactMap { $0[1] }
                    if !urls.isEmpty { try append(urls, to: out) }
                    return result.rows.count
                }
            } else {
                affected = try connection.execute(countSQL, [options.batchSize]).scalar(Int.self)
            }
            longest = max(longest, clock.now - batchStart)
            batches += 1
            rows += affected
            batchDone(BatchProgress(rule: rule.name, rows: rows, batches: batches, elapsed: clock.now - started))
            if affected < options.batchSize { break }
        }
        var report = RuleReport(
            rule: rule.name, action: rule.action.verb, rows: rows + (byPartition?.partitionRows ?? 0), batches: batches,
            milliseconds: ms(clock.now - started),
            longestBatchMilliseconds: max(ms(longest), byPartition?.longestLockMilliseconds ?? 0), stoppedEarly: stoppedEarly)
        report.partitions = byPartition?.partitions ?? []
        report.partitionRows = byPartition?.partitionRows ?? 0
        return report
    }

    /// Appends lines and flushes them to disk before the batch commits, so a
    /// cleared URL is never lost (at worst it is listed twice).
    private func append(_ lines: [String], to url: URL) throws {
        let data = Data((lines.joined(separator: "\n") + "\n").utf8)
        do {
            if !FileManager.default.fileExists(atPath: url.path) {
                guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                    throw PGMigrateError(.dataError, "cannot create \(url.path)")
                }
            }
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch let error as PGMigrateError {
            throw error
        } catch {
            throw PGMigrateError(.dataError, "cannot write recordings to \(url.path): \(error.localizedDescription)")
        }
    }
}
