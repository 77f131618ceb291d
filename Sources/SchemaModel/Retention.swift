/// A retention rule: rows of `table` whose `ageColumn` is older than
/// `olderThanDays` (and that match `condition`) are archived, deleted,
/// cleared or anonymised, a batch at a time.
///
/// Each rule renders into a SQL function `retention_<name>(batch_size)` that
/// processes one batch in one statement and returns the affected ids (and,
/// for cleared columns, the old value), so pgmigrate, pg_cron or any client
/// can run it:
///
///     SELECT count(*) FROM public.retention_orders_archive(5000);
public struct RetentionRule: Hashable, Sendable {
    public enum Action: Hashable, Sendable {
        /// Move rows into an archive table with the same columns plus `archivedAtColumn`.
        case archive(into: QualifiedName, archivedAtColumn: String)
        /// Delete rows (foreign keys cascade to dependents).
        case delete
        /// Set the columns to NULL; the old value of `reportColumn` is returned.
        case clear(columns: [String], reportColumn: String?)
        /// Rewrite `column` through `function` and stamp `markColumn` with now().
        case anonymize(column: String, markColumn: String, function: QualifiedName)

        public var verb: String {
            switch self {
            case .archive: return "archived"
            case .delete: return "deleted"
            case .clear: return "cleared"
            case .anonymize: return "anonymised"
            }
        }
    }

    public var name: String
    public var table: QualifiedName
    public var ageColumn: String
    public var olderThanDays: Int
    /// Extra condition on candidate rows, already satisfied by rows the rule
    /// has processed (so a rule converges: a second run finds nothing).
    public var condition: SQLExpression?
    public var action: Action
    public var comment: String
    /// The key column returned for each affected row (`uuid`).
    public var keyColumn: String

    public init(
        name: String, table: QualifiedName, ageColumn: String, olderThanDays: Int,
        condition: SQLExpression? = nil, action: Action, comment: String, keyColumn: String = "id"
    ) {
        self.name = name
        self.table = table
        self.ageColumn = ageColumn
        self.olderThanDays = olderThanDays
        self.condition = condition
        self.action = action
        self.comment = comment
        self.keyColumn = keyColumn
    }

    public var functionName: QualifiedName { QualifiedName(table.schema, "retention_\(name)") }

    /// The WHERE clause selecting candidate rows.
    public var predicate: String {
        var sql = "\(quoteIdentifierIfNeeded(ageColumn)) < pg_catalog.now() - interval '\(olderThanDays) days'"
        if let condition { sql += " AND \(condition.sql)" }
        return sql
    }

    /// Counts what a run would change (for `purge --dry-run`).
    public var countSQL: String { "SELECT count(*) FROM \(table.sql) WHERE \(predicate)" }

    /// The batch function. Candidate rows are found through the age index
    /// and locked `FOR UPDATE SKIP LOCKED` (rows another transaction holds
    /// are left for the next run), then changed by `ctid` (a TID scan, never
    /// a join the planner could turn into a table scan) in the same
    /// statement, so an archived row is moved exactly once. The statement is
    /// planned for each call with the batch size as a constant (`EXECUTE`),
    /// so a generic plan with an unknown LIMIT is never used.
    ///
    /// On a partitioned table (`partitioned`), a `ctid` names a row only
    /// within one partition, so rows are matched by (`tableoid`, `ctid`):
    /// the `ctid` list still drives a TID scan in each partition, and the
    /// pair is checked in a hashed subplan.
    ///
    /// With `tenantColumn` (Citus, where it is the distribution column),
    /// `FOR UPDATE SKIP LOCKED` needs an equality filter on it: the function
    /// finds the tenants with candidate rows, then runs the same statement
    /// once per tenant (a router query on that tenant's shards, where a
    /// `ctid` names a row) until `batch_size` rows are done. Same signature,
    /// same result: `purge` calls it unchanged.
    public func function(columns: [String], executeGrantees: [String], partitioned: Bool = false, tenantColumn: String? = nil) -> Function {
        // `%` is format()'s escape; only the batch size (and the tenant) are substituted.
        var where_ = predicate.replacingAll("%", with: "%%")
        let limit = tenantColumn == nil ? "%s" : "%2$s"
        let tenantFilter = tenantColumn.map { "t.\(quoteIdentifierIfNeeded($0)) = %1$L AND " } ?? ""
        if tenantColumn != nil { where_ = tenantFilter + "(" + where_ + ")" }
        let age = quoteIdentifierIfNeeded(ageColumn)
        let key = quoteIdentifierIfNeeded(keyColumn)
        func batch(_ extra: String = "") -> String {
            """
            WITH batch AS (
                SELECT t.ctid AS row_id\(partitioned ? ", t.tableoid AS rel_id" : "")\(extra) FROM \(table.sql) t
                WHERE \(where_)
                ORDER BY t.\(age)
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            """
        }
        var rows = tenantFilter + "t.ctid = ANY (ARRAY(SELECT row_id FROM batch))"
        // `IS TRUE` keeps the IN from being pulled up into a join: it stays a
        // hashed subplan probed once per fetched row (an `= ANY` of row values
        // would compare every fetched row with every batch row, in every partition).
        if partitioned { rows += " AND ((t.tableoid, t.ctid) IN (SELECT rel_id, row_id FROM batch)) IS TRUE" }
        // The rule's predicate again (the batch's rows are locked, so it still
        // holds for them): on a partitioned table it prunes, when the executor
        // starts, every partition too young for the rule, which the ctid
        // list would otherwise probe one by one.
        if partitioned { rows = "(\(where_)) AND " + rows }
        let query: String
        switch action {
        case .archive(let archive, let archivedAt):
            let list = columns.map(quoteIdentifierIfNeeded).joined(separator: ", ")
            let moved = columns.map { "moved." + quoteIdentifierIfNeeded($0) }.joined(separator: ", ")
            query = """
                \(batch()), moved AS (
                    DELETE FROM \(table.sql) t WHERE \(rows)
                    RETURNING t.*
                )
                INSERT INTO \(archive.sql) (\(list), \(quoteIdentifierIfNeeded(archivedAt)))
                SELECT \(moved), pg_catalog.now() FROM moved
                RETURNING \(key), NULL::text
                """
        case .delete:
            query = """
                \(batch())
                DELETE FROM \(table.sql) t WHERE \(rows)
                RETURNING t.\(key), NULL::text
                """
        case .clear(let cleared, let report):
            let sets = cleared.map { "\(quoteIdentifierIfNeeded($0)) = NULL" }.joined(separator: ", ")
            let old = report.map { ", t.\(quoteIdentifierIfNeeded($0))::text AS old_value" } ?? ", NULL::text AS old_value"
            query = """
                \(batch(", t.\(key)" + old)), changed AS (
                    UPDATE \(table.sql) t SET \(sets) WHERE \(rows)
                    RETURNING t.\(key)
                )
                SELECT changed.\(key), batch.old_value FROM changed JOIN batch ON batch.\(key) = changed.\(key)
                """
        case .anonymize(let column, let mark, let function):
            let col = quoteIdentifierIfNeeded(column)
            query = """
                \(batch())
                UPDATE \(table.sql) t
                SET \(col) = \(function.sql)(t.\(col)), \(quoteIdentifierIfNeeded(mark)) = pg_catalog.now()
                WHERE \(rows)
                RETURNING t.\(key), NULL::text
                """
        }
        let tag = query.contains("$batch$") ? "$batch_query$" : "$batch$"
        if let tenantColumn {
            let tenant = quoteIdentifierIfNeeded(tenantColumn)
            return Function(
                functionName, arguments: [.init("batch_size", .integer, default: .integer(500))],
                returns: "TABLE(affected_id uuid, detail text)", language: .plpgsql, volatility: .volatile,
                searchPath: ["pg_catalog", "pg_temp"], executeGrantees: executeGrantees,
                comment: "Retention rule \(name): \(comment) One batch per call, taken tenant by tenant (Citus).",
                body: """
                    DECLARE
                        tenant uuid;
                        done integer := 0;
                        n integer;
                    BEGIN
                        IF batch_size IS NULL OR batch_size < 1 THEN
                            RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
                        END IF;
                        FOR tenant IN SELECT DISTINCT t.\(tenant) FROM \(table.sql) t WHERE \(predicate) LOOP
                            RETURN QUERY EXECUTE pg_catalog.format(\(tag)
                    \(query)
                    \(tag), tenant, batch_size - done);
                            GET DIAGNOSTICS n = ROW_COUNT;
                            done := done + n;
                            EXIT WHEN done >= batch_size;
                        END LOOP;
                    END
                    """)
        }
        let body = """
            BEGIN
                IF batch_size IS NULL OR batch_size < 1 THEN
                    RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
                END IF;
                RETURN QUERY EXECUTE pg_catalog.format(\(tag)
            \(query)
            \(tag), batch_size);
            END
            """
        return Function(
            functionName, arguments: [.init("batch_size", .integer, default: .integer(500))],
            returns: "TABLE(affected_id uuid, detail text)", language: .plpgsql, volatility: .volatile,
            searchPath: ["pg_catalog", "pg_temp"], executeGrantees: executeGrantees,
            comment: "Retention rule \(name): \(comment) One batch per call.", body: body)
    }
}

/// Erasure of one person's data (GDPR Article 17), found through a keyed
/// hash: a function `function(argument)` that locks the root rows whose
/// `hashColumn` equals `lookupHash(argument)`, applies `root`'s assignments
/// to them and each child step's assignments to the children referencing
/// them, records the counts in `log`, and returns them. Idempotent when the
/// assignments are (a second call finds nothing left to change but the
/// same rows).
public struct Erasure: Hashable, Sendable {
    /// One table's part: `UPDATE table SET assignments WHERE matchColumn = ANY (ids)`,
    /// its row count returned as `count`.
    public struct Step: Hashable, Sendable {
        public var table: QualifiedName
        public var count: String
        public var matchColumn: String
        public var assignments: [Assignment]
        /// What one counted row is called in the CLI's summary ("call session").
        public var noun: String
        public init(table: QualifiedName, count: String, matchColumn: String, assignments: [Assignment], noun: String? = nil) {
            self.table = table
            self.count = count
            self.matchColumn = matchColumn
            self.assignments = assignments
            self.noun = noun ?? table.name
        }
    }

    /// `column = value`.
    public struct Assignment: Hashable, Sendable {
        public var column: String
        public var value: SQLExpression
        public init(_ column: String, _ value: SQLExpression) {
            self.column = column
            self.value = value
        }
        var sql: String { "\(quoteIdentifierIfNeeded(column)) = \(value.sql)" }
    }

    public var function: QualifiedName
    /// The function's one text argument (the plain identifying value).
    public var argument: String
    public var lookupHash: QualifiedName
    /// When set, every hash the session's keys give (`bytea[]`; two during
    /// a key rotation) is looked up instead of `lookupHash`'s one.
    public var lookupHashes: QualifiedName?
    public var hashColumn: String
    /// The root table's step; its `matchColumn` is its key column.
    public var root: Step
    public var children: [Step]
    /// The audit table: one row of counts per erasure.
    public var log: QualifiedName
    /// The setting the lookup hash reads its key from.
    public var keySetting: String
    /// During a key rotation, the setting of the new key (sent too when given).
    public var newKeySetting: String?
    public var comment: String
    /// What is erased and what is kept, in words (the CLI prints them).
    public var erased: [String]
    public var kept: [String]
    /// What the argument is, for the CLI ("phone number").
    public var argumentNoun: String

    public init(
        function: QualifiedName, argument: String, lookupHash: QualifiedName, hashColumn: String, root: Step,
        children: [Step], log: QualifiedName, keySetting: String, comment: String, erased: [String], kept: [String],
        argumentNoun: String = "value", lookupHashes: QualifiedName? = nil, newKeySetting: String? = nil
    ) {
        self.function = function
        self.argument = argument
        self.lookupHash = lookupHash
        self.hashColumn = hashColumn
        self.root = root
        self.children = children
        self.log = log
        self.keySetting = keySetting
        self.comment = comment
        self.erased = erased
        self.kept = kept
        self.argumentNoun = argumentNoun
        self.lookupHashes = lookupHashes
        self.newKeySetting = newKeySetting
    }

    public var functionName: QualifiedName { function }
    /// The returned counts, root first.
    public var counts: [String] { ([root] + children).map(\.count) }
    /// Each count's noun, root first.
    public var nouns: [String] { ([root] + children).map(\.noun) }

    /// `UPDATE t SET …` on one line when it fits in 100 characters, else
    /// `SET` on a line of its own with the assignments wrapped at 100.
    static func update(_ step: Step, indent: String) -> String {
        let sets = step.assignments.map(\.sql)
        let where_ = "WHERE \(quoteIdentifierIfNeeded(step.matchColumn)) = ANY (ids);"
        let oneLine = "UPDATE \(step.table.sql) SET \(sets.joined(separator: ", "))"
        if oneLine.count <= 100 { return oneLine + "\n" + indent + where_ }
        var lines = ["SET"]
        for (i, set) in sets.enumerated() {
            let piece = set + (i < sets.count - 1 ? "," : "")
            if let last = lines.last, last.count + 1 + piece.count <= 100 || last == "SET" {
                lines[lines.count - 1] = last + " " + piece
            } else {
                lines.append("    " + piece)
            }
        }
        return (["UPDATE \(step.table.sql)"] + lines + [where_]).joined(separator: "\n" + indent)
    }

    /// With `tenantColumn` (Citus, the distribution column), the root rows
    /// are locked tenant by tenant: `FOR UPDATE` needs an equality filter on
    /// it. The updates and the audit row are the same.
    public func function(executeGrantees: [String], tenantColumn: String? = nil) -> Function {
        let indent = "    "
        let key = quoteIdentifierIfNeeded(root.matchColumn)
        let counts = self.counts.map(quoteIdentifierIfNeeded)
        let rootCount = counts[0]
        var steps = [Self.update(root, indent: indent)]
        for (step, count) in zip(children, counts.dropFirst()) {
            steps.append(Self.update(step, indent: indent) + "\n" + indent + "GET DIAGNOSTICS \(count) = ROW_COUNT;")
        }
        let zeros = counts.dropFirst().map { "\($0) := 0;" }.joined(separator: " ")
        let list = counts.joined(separator: ", ")
        let match = "\(quoteIdentifierIfNeeded(hashColumn)) \(lookupHashes == nil ? "= target" : "= ANY (targets)")"
        var lockRoot = """
            SELECT coalesce(array_agg(s.\(key)), '{}') INTO ids
                FROM (SELECT \(key) FROM \(root.table.sql) WHERE \(match) FOR UPDATE) s;
            """
        var declarations = ""
        if let tenantColumn {
            let tenant = quoteIdentifierIfNeeded(tenantColumn)
            declarations = "\n    tenant uuid;"
            lockRoot = """
                ids := '{}';
                    FOR tenant IN SELECT DISTINCT r.\(tenant) FROM \(root.table.sql) r WHERE r.\(match) LOOP
                        ids := ids || ARRAY(SELECT r.\(key) FROM \(root.table.sql) r WHERE r.\(tenant) = tenant AND r.\(match) FOR UPDATE);
                    END LOOP;
                """
        }
        return Function(
            function, arguments: [.init(argument, .text)],
            returns: "TABLE(\(counts.map { "\($0) integer" }.joined(separator: ", ")))",
            language: .plpgsql, volatility: .volatile, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: executeGrantees, comment: comment,
            body: """
                DECLARE
                    \(lookupHashes.map { "targets bytea[] := \($0.sql)(\(quoteIdentifierIfNeeded(argument)));" } ?? "target bytea := \(lookupHash.sql)(\(quoteIdentifierIfNeeded(argument)));")
                    ids uuid[];\(declarations)
                BEGIN
                    \(lockRoot)
                    \(rootCount) := pg_catalog.cardinality(ids);
                    IF \(rootCount) = 0 THEN
                        -- (A wrong key never gets here: the lookup hash refuses it, 22023.)
                        \(zeros)
                        RETURN NEXT;
                        RETURN;
                    END IF;
                    \(steps.joined(separator: "\n" + indent))
                    INSERT INTO \(log.sql) (\(list))
                    VALUES (\(list));
                    RETURN NEXT;
                END
                """)
    }
}
