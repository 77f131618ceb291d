import SchemaModel

/// How bad a finding is. `error`: the migration will fail when it runs;
/// `warning`: it will run, and hurt (locks, rewrites, lost data) on a busy
/// database; `note`: information (`--trace`'s weak locks), never fails a run.
public enum LintLevel: String, Codable, Sendable, Hashable, Comparable {
    case note, warning, error

    public static func < (lhs: LintLevel, rhs: LintLevel) -> Bool {
        let order: [LintLevel] = [.note, .warning, .error]
        return (order.firstIndex(of: lhs) ?? 0) < (order.firstIndex(of: rhs) ?? 0)
    }
}

/// One rule of `pgmigrate lint`: a stable id (used in output, `--json` and
/// `-- pgmigrate: lint-ignore`), a level, the hazards it guards against (the
/// generator's vocabulary, `SchemaModel.Hazard`) and why it matters.
public struct LintRule: Sendable, Hashable, Codable {
    public let id: String
    public let level: LintLevel
    public let hazards: [Hazard]
    /// One line: what goes wrong.
    public let why: String
    /// Whether `--trace` (rather than the static reading) reports it.
    public let traced: Bool

    init(_ id: String, _ level: LintLevel, _ hazards: [Hazard], _ why: String, traced: Bool = false) {
        self.id = id
        self.level = level
        self.hazards = hazards
        self.why = why
        self.traced = traced
    }

    /// Where the README explains the rules.
    public var link: String { "README.md#lint" }
}

/// The catalogue: every rule `pgmigrate lint` knows, in the order the README lists them.
public enum LintRules {
    // Errors: the migration fails when it runs.
    public static let concurrentlyInTransaction = LintRule(
        "concurrently-in-transaction", .error, [],
        "CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run inside a transaction block (25001); put the statement alone in a `-- pgmigrate: no-transaction` file")
    public static let vacuumInTransaction = LintRule(
        "vacuum-in-transaction", .error, [],
        "VACUUM cannot run inside a transaction block (25001); use a `-- pgmigrate: no-transaction` file, or leave VACUUM to autovacuum")
    public static let alterSystemInTransaction = LintRule(
        "alter-system-in-transaction", .error, [],
        "ALTER SYSTEM cannot run inside a transaction block (25001), and server configuration does not belong in a schema migration")
    public static let databaseInTransaction = LintRule(
        "database-in-transaction", .error, [],
        "CREATE/DROP DATABASE and CREATE/DROP TABLESPACE cannot run inside a transaction block (25001)")
    public static let transactionControl = LintRule(
        "transaction-control", .error, [],
        "pgmigrate runs the file in its own transaction with its ledger row; BEGIN/COMMIT/ROLLBACK would break that (pgmigrate refuses the file, exit 65)")
    public static let enumValueUsedInSameTransaction = LintRule(
        "enum-value-used-in-same-transaction", .error, [],
        "an enum label added by ALTER TYPE … ADD VALUE cannot be used before the transaction commits (55P04); add it in a file of its own")
    public static let enumAddValueInTransaction = LintRule(
        "enum-add-value-in-transaction", .error, [],
        "before PostgreSQL 12, ALTER TYPE … ADD VALUE cannot run inside a transaction block (25001)")
    public static let notValidOnUnique = LintRule(
        "not-valid-on-unique", .error, [],
        "UNIQUE, PRIMARY KEY and EXCLUDE constraints cannot be marked NOT VALID (0A000); build a unique index CONCURRENTLY and add the constraint USING INDEX")

    // Warnings: the migration runs, and hurts on a busy table. Only for
    // objects that existed before the file.
    public static let indexWithoutConcurrently = LintRule(
        "index-without-concurrently", .warning, [.indexBuild],
        "CREATE INDEX without CONCURRENTLY blocks every write to the table (SHARE lock) until the index is built")
    public static let dropIndexWithoutConcurrently = LintRule(
        "drop-index-without-concurrently", .warning, [.accessExclusiveLock],
        "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the index's table")
    public static let reindexWithoutConcurrently = LintRule(
        "reindex-without-concurrently", .warning, [.indexBuild, .accessExclusiveLock],
        "REINDEX without CONCURRENTLY blocks writes to the table and reads through the index until it is rebuilt")
    public static let checkWithoutNotValid = LintRule(
        "check-without-not-valid", .warning, [.fullScan, .mayFailOnExistingData, .accessExclusiveLock],
        "ADD CONSTRAINT … CHECK without NOT VALID scans the whole table under an ACCESS EXCLUSIVE lock; add it NOT VALID, then VALIDATE CONSTRAINT in a later file")
    public static let foreignKeyWithoutNotValid = LintRule(
        "foreign-key-without-not-valid", .warning, [.fullScan, .mayFailOnExistingData],
        "ADD CONSTRAINT … FOREIGN KEY without NOT VALID scans the table while blocking writes to both tables; add it NOT VALID, then VALIDATE CONSTRAINT in a later file")
    public static let setNotNull = LintRule(
        "set-not-null", .warning, [.fullScan, .mayFailOnExistingData, .accessExclusiveLock],
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a validated CHECK (col IS NOT NULL) already proves it")
    public static let uniqueWithoutUsingIndex = LintRule(
        "unique-without-using-index", .warning, [.indexBuild, .accessExclusiveLock, .mayFailOnExistingData],
        "ADD UNIQUE/PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock; build the index CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX")
    public static let rewritingTypeChange = LintRule(
        "rewriting-type-change", .warning, [.tableRewrite, .accessExclusiveLock, .mayFailOnExistingData],
        "this column type change rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (binary-coercible changes such as varchar widening or varchar → text do not)")
    public static let volatileDefault = LintRule(
        "volatile-default", .warning, [.tableRewrite, .accessExclusiveLock],
        "a new column whose default is volatile (or identity, serial, a stored generated column) rewrites the table under an ACCESS EXCLUSIVE lock")
    public static let notNullColumnWithoutDefault = LintRule(
        "not-null-column-without-default", .warning, [.mayFailOnExistingData],
        "adding a NOT NULL column without a default fails (23502) as soon as the table has a row")
    public static let dropTable = LintRule(
        "drop-table", .warning, [.dataLoss, .accessExclusiveLock],
        "DROP TABLE deletes the table's rows; running clients that still use it fail")
    public static let dropColumn = LintRule(
        "drop-column", .warning, [.dataLoss, .accessExclusiveLock],
        "DROP COLUMN deletes the column's data; running clients that still select it fail")
    public static let truncate = LintRule(
        "truncate", .warning, [.dataLoss, .accessExclusiveLock],
        "TRUNCATE deletes every row under an ACCESS EXCLUSIVE lock")
    public static let rename = LintRule(
        "rename", .warning, [.accessExclusiveLock],
        "renaming a table, column, type or other object breaks running clients that use the old name; add the new one, move clients, then drop the old")
    public static let statementAfterAccessExclusive = LintRule(
        "statement-after-access-exclusive", .warning, [.accessExclusiveLock],
        "an earlier statement of this transaction took an ACCESS EXCLUSIVE lock, held until commit: every read and write of that table waits while this one waits for its own locks or does long work")
    public static let timeoutOverride = LintRule(
        "timeout-override", .warning, [],
        "this setting undoes the lock_timeout/statement_timeout pgmigrate sets, so a blocked statement can queue every client of the table behind it; allowed: `SET statement_timeout = 0` when every later statement of the file is a long online step (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VALIDATE CONSTRAINT), which lock_timeout still guards and a statement_timeout would only kill half way")
    public static let unboundedDMLWithDDL = LintRule(
        "unbounded-dml-with-ddl", .warning, [.fullScan],
        "an UPDATE or DELETE without WHERE in a transaction that also changes the schema touches every row while the DDL's locks are held; backfill in batches, in a file of its own")
    public static let concurrentIndexPG14Bug = LintRule(
        "concurrent-index-pg14-bug", .warning, [.indexBuild],
        "on PostgreSQL 14.0–14.3, CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY can silently miss rows (fixed in 14.4); upgrade first, or amcheck the index after")

    // Suppression directives.
    public static let unknownRuleInIgnore = LintRule(
        "lint-ignore-unknown-rule", .error, [],
        "a `-- pgmigrate: lint-ignore` names a rule that does not exist")
    public static let misplacedIgnore = LintRule(
        "lint-ignore-misplaced", .error, [],
        "`-- pgmigrate: lint-ignore-file` must be in the header, before the first statement, and both directives must name a rule")
    public static let unusedIgnore = LintRule(
        "lint-ignore-unused", .warning, [],
        "a `-- pgmigrate: lint-ignore` matched no finding; remove it so it cannot hide a later one")

    // --trace: what the statements did on a scratch copy of the schema.
    public static let traceLock = LintRule(
        "trace-lock", .note, [],
        "the statement took a lock on a table or index that existed before the file that blocks writes (or reads) of it until the transaction ends",
        traced: true)
    public static let traceWeakLock = LintRule(
        "trace-lock-weak", .note, [],
        "the statement took a lock on an object that existed before the file that blocks only schema changes and maintenance",
        traced: true)
    public static let traceRewrite = LintRule(
        "trace-rewrite", .warning, [.tableRewrite],
        "the statement rewrote a table or index that existed before the file (its relfilenode changed)",
        traced: true)
    public static let traceError = LintRule(
        "trace-error", .error, [],
        "the statement failed when run exactly as `migrate` runs it",
        traced: true)

    public static let all: [LintRule] = [
        concurrentlyInTransaction, vacuumInTransaction, alterSystemInTransaction, databaseInTransaction,
        transactionControl, enumValueUsedInSameTransaction, enumAddValueInTransaction, notValidOnUnique,
        indexWithoutConcurrently, dropIndexWithoutConcurrently, reindexWithoutConcurrently, checkWithoutNotValid,
        foreignKeyWithoutNotValid, setNotNull, uniqueWithoutUsingIndex, rewritingTypeChange, volatileDefault,
        notNullColumnWithoutDefault, dropTable, dropColumn, truncate, rename, statementAfterAccessExclusive,
        timeoutOverride, unboundedDMLWithDDL, concurrentIndexPG14Bug,
        unknownRuleInIgnore, misplacedIgnore, unusedIgnore,
        traceLock, traceWeakLock, traceRewrite, traceError,
    ]

    public static func named(_ id: String) -> LintRule? { all.first { $0.id == id } }

    /// The rules a `lint-ignore` may name (not the directives' own).
    static var suppressible: Set<String> {
        Set(all.map(\.id)).subtracting([unknownRuleInIgnore.id, misplacedIgnore.id, unusedIgnore.id])
    }
}
