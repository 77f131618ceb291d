/// What can go wrong when a migration step runs against a live database with
/// rows and concurrent writers. One vocabulary for the generator (which
/// writes each step's hazards above it and into `--json`) and the linter
/// (whose rules name the hazard they guard against), so a reviewer reads the
/// same words in both. The raw values are stable: they appear in files,
/// `--allow-hazards` and JSON.
public enum Hazard: String, Hashable, Sendable, CaseIterable, Codable, Comparable, CustomStringConvertible {
    /// Rows or columns are deleted (DROP TABLE, DROP COLUMN, TRUNCATE, …).
    case dataLoss = "data-loss"
    /// The table (and its indexes) is rewritten: time and disk grow with its size.
    case tableRewrite = "table-rewrite"
    /// The statement takes an ACCESS EXCLUSIVE lock: it blocks every read and
    /// write of the table while it waits for the lock and while it runs.
    case accessExclusiveLock = "access-exclusive-lock"
    /// The statement reads the whole table (validating a constraint, a scan
    /// for SET NOT NULL), its time grows with the table's size.
    case fullScan = "full-scan"
    /// An index is built: CPU, I/O and time grow with the table's size.
    case indexBuild = "index-build"
    /// Who may read or write what changes (grants, policies, row security, roles).
    case authzChange = "authz-change"
    /// Valid on an empty table, but may fail on rows already there
    /// (a new constraint, NOT NULL, a type change).
    case mayFailOnExistingData = "may-fail-on-existing-data"

    public var description: String { rawValue }

    /// One line: why a reviewer should look twice.
    public var why: String {
        switch self {
        case .dataLoss: return "deletes data that cannot be recovered without a backup"
        case .tableRewrite: return "rewrites the whole table under an ACCESS EXCLUSIVE lock"
        case .accessExclusiveLock: return "blocks every read and write of the table while it waits and runs"
        case .fullScan: return "reads every row of the table; time grows with its size"
        case .indexBuild: return "builds an index; time, CPU and I/O grow with the table's size"
        case .authzChange: return "changes who may read or write data"
        case .mayFailOnExistingData: return "may fail on rows already in the table"
        }
    }

    public static func < (lhs: Hazard, rhs: Hazard) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }
}
