import PQClient
import SchemaModel

/// A problem with the partitions of a time-partitioned table. Drift checks
/// the partition set instead of listing each partition as an extra table.
public struct PartitionFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    public var table: String
    public var problem: String
    public var description: String { "\(table): \(problem)" }
}

/// Checks, for each table the model partitions: the table is partitioned,
/// its time partitions' bounds are contiguous, they are made ahead far
/// enough (`premake` intervals, less the one a daily cron may not have
/// reached yet), the default partition exists and holds no rows (rows there
/// mean maintenance has not run since they came), and no partition carries
/// grants or policies of its own.
public enum PartitionSetCheck {
    public static func findings(for catalog: Catalog, on connection: Connection) throws -> [PartitionFinding] {
        var findings: [PartitionFinding] = []
        for table in catalog.managedTables {
            guard let partitioning = table.partitioning else { continue }
            func finding(_ problem: String) { findings.append(PartitionFinding(table: table.name.description, problem: problem)) }
            let kind = try connection.execute(
                "SELECT c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)", [table.name.sql]
            ).first?[0]
            guard let kind else { continue }  // a missing table is the differ's to report
            guard kind == "p" else {
                finding("is not partitioned; the model partitions it by range of \(partitioning.column)")
                continue
            }
            let rows = try connection.execute(
                """
                WITH p AS (
                    SELECT c.oid, c.relname, c.relacl, c.relowner, pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
                    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
                    WHERE i.inhparent = pg_catalog.to_regclass($1)
                ), r AS (
                    SELECT relname, bound = 'DEFAULT' AS is_default,
                        substring(bound from $re$FROM \\('([^']*)'\\)$re$)::timestamptz AS lo,
                        substring(bound from $re$TO \\('([^']*)'\\)$re$)::timestamptz AS hi,
                        EXISTS (SELECT FROM pg_catalog.aclexplode(relacl) a WHERE a.grantee <> relowner) AS has_grants,
                        EXISTS (SELECT FROM pg_catalog.pg_policy pol WHERE pol.polrelid = p.oid) AS has_policies
                    FROM p
                )
                SELECT relname, is_default, has_grants, has_policies, lo::text, hi::text,
                    (lag(hi) OVER w)::text AS previous_hi, lo <> lag(hi) OVER w AS gap
                FROM r WINDOW w AS (PARTITION BY is_default ORDER BY lo NULLS FIRST)
                ORDER BY is_default, lo NULLS FIRST
                """, [table.name.sql]
            ).rows
            var hasDefault = false
            for row in rows {
                let name = row["relname"] ?? "?"
                if row["is_default"] == "t" { hasDefault = true }
                if row["has_grants"] == "t" { finding("partition \(name) carries grants of its own; grant on the parent only") }
                if row["has_policies"] == "t" { finding("partition \(name) carries policies of its own; policies belong on the parent") }
                if row["gap"] == "t" {
                    finding("no partition from \(row["previous_hi"] ?? "?") to \(row["lo"] ?? "?") (before \(name)): those rows go to the default partition")
                }
            }
            if partitioning.hasDefaultPartition {
                let defaultName = partitioning.defaultPartitionName(of: table.name)
                if !hasDefault {
                    finding("has no default partition \(defaultName.name): an insert with no time partition would fail")
                } else if try connection.execute("SELECT EXISTS (SELECT 1 FROM ONLY \(defaultName.sql))").scalar(Bool.self) {
                    // (`SELECT 1`: Citus refuses an empty select list on a distributed table.)
                    finding("the default partition \(defaultName.name) holds rows: partition maintenance has not run since they came")
                }
            }
            let ahead = max(partitioning.premake - 1, 0)
            let madeAhead = try connection.execute(
                """
                SELECT COALESCE(max(substring(pg_catalog.pg_get_expr(c.relpartbound, c.oid) from $re$TO \\('([^']*)'\\)$re$)::timestamptz)
                    >= pg_catalog.now() + interval '\(ahead) \(partitioning.interval.rawValue)s', false)
                FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = pg_catalog.to_regclass($1)
                """, [table.name.sql]
            ).scalar(Bool.self)
            if !madeAhead {
                finding("partitions are not made \(ahead) \(partitioning.interval.rawValue)s ahead: partition maintenance has not run")
            }
        }
        return findings
    }
}
