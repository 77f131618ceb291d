/// Converting a plain table with rows into the time-partitioned table the
/// model declares, without a scan or a rewrite under its ACCESS EXCLUSIVE
/// lock: the table becomes the legacy partition `[MINVALUE, bound)` of a
/// new partitioned parent, which carries everything the model declares.
///
/// 1. (main) a bounds CHECK `key < bound` NOT VALID on the table, `bound`
///    being midnight UTC two days after the file runs (computed when it
///    runs, so the file holds no date);
/// 2. (concurrent) the legacy partition's primary key index, the model's
///    key columns, built CONCURRENTLY;
/// 3. (validate) VALIDATE the CHECK (SHARE UPDATE EXCLUSIVE: writers go on);
/// 4. (partition swap, one file per table) one transaction: the primary key
///    moves onto the new index, the table's own triggers, policies, row
///    security and grants go (the parent carries them; a partition keeping
///    a row trigger would fire it twice), the table and the indexes whose
///    names the parent takes are renamed `*_legacy`, the parent is created
///    with its comments, indexes, row security, policies, triggers and
///    grants, the table is attached `FOR VALUES FROM (MINVALUE) TO (bound)`
///    (the validated CHECK proves the bounds, so no scan; its indexes are
///    adopted by the parent's, so no build), the CHECK is dropped and the
///    default partition created. `pgmigrate maintain` then makes the time
///    partitions from `bound` on.
///
/// Between steps 1 and 4 an insert whose key is at or past `bound` fails
/// (23514): the files are meant to run in one `migrate`, within a day.
extension Planner {
    /// Suffix of the legacy partition and of the names it gives up.
    public static let legacySuffix = "_legacy"

    static func legacyName(_ name: String) -> String {
        let suffix = legacySuffix
        let room = 63 - suffix.utf8.count
        var base = name
        while base.utf8.count > room { base.removeLast() }
        return base + suffix
    }

    func partitionConversion(from old: Table, to new: Table) throws -> [PlannedStep] {
        guard let partitioning = new.partitioning, let key = new.column(partitioning.column) else { return [] }
        let name = new.name
        let legacy = QualifiedName(name.schema, Self.legacyName(name.name))
        let legacyKey = Self.legacyName(name.name + "_pkey")
        let bounds = Self.legacyName(name.name + "_bounds")
        let keyColumns = new.primaryKey?.columns ?? [partitioning.column]
        let tableNote = "the conversion of \(name) to a table partitioned by \(partitioning.column)"

        // 1. The bounds, NOT VALID: a brief lock, new rows are checked from now on.
        let suffix: String
        switch key.type {
        case .date: suffix = ""
        case .timestamp: suffix = " 00:00:00"
        default: suffix = " 00:00:00+00"
        }
        let addBody = """
            BEGIN
                -- Two UTC days ahead, computed when the file runs: the swap may run up to a day later.
                EXECUTE pg_catalog.format(
                    'ALTER TABLE \(name.sql) ADD CONSTRAINT \(quoteIdentifierIfNeeded(bounds)) CHECK (%I < %L) NOT VALID',
                    \(quoteLiteral(partitioning.column)),
                    pg_catalog.to_char((pg_catalog.now() AT TIME ZONE 'UTC')::date + 2, 'YYYY-MM-DD') || \(quoteLiteral(suffix)));
            END
            """
        let addTag = renderer.dollarTag(for: addBody, preferred: "bounds")
        var steps = [PlannedStep(
            .main, order: 55, "add CHECK \(name).\(bounds) NOT VALID (\(tableNote), part 1)",
            [Statement("constraint \(name).\(bounds)", "DO \(addTag)\n\(addBody)\n\(addTag)")],
            hazards: [.accessExclusiveLock],
            note: "brief lock; until the swap, an insert with \(partitioning.column) two days ahead or later fails (23514)")]

        // 2. The legacy partition's primary key index.
        steps.append(PlannedStep(
            .concurrent, order: 10, "create unique index \(legacyKey) on \(name) (\(tableNote), part 2)",
            [Statement(
                "index \(name.schema).\(legacyKey)",
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS \(quoteIdentifierIfNeeded(legacyKey)) ON \(name.sql) (\(renderer.columnList(keyColumns)))",
                transactional: false)],
            hazards: [.indexBuild], note: "built without blocking writers", long: true))

        // 3. Validation, writers going on.
        steps.append(PlannedStep(
            .validate, order: 10, "validate \(name).\(bounds) (\(tableNote), part 3)",
            [renderer.validateConstraint(bounds, on: name)],
            hazards: [.fullScan], note: "scans under SHARE UPDATE EXCLUSIVE: reads and writes go on", long: true))

        // 4. The swap.
        var swap: [Statement] = []
        var pkAction = ""
        if let oldKey = old.primaryKey { pkAction = "DROP CONSTRAINT \(quoteIdentifierIfNeeded(oldKey.name)), " }
        swap.append(Statement(
            "constraint \(name).\(legacyKey)",
            "ALTER TABLE \(name.sql) \(pkAction)ADD CONSTRAINT \(quoteIdentifierIfNeeded(legacyKey)) PRIMARY KEY USING INDEX \(quoteIdentifierIfNeeded(legacyKey))"))
        for trigger in old.triggers { swap.append(renderer.dropTrigger(trigger.name, on: name)) }
        for policy in old.policies { swap.append(renderer.dropPolicy(policy.name, on: name)) }
        if old.rowSecurity.forced { swap.append(renderer.setForcedRowSecurity(name, forced: false)) }
        if old.rowSecurity.enabled { swap.append(renderer.setRowSecurity(name, enabled: false)) }
        for grant in old.grants { swap.append(renderer.revokeAll(on: name, from: grant.grantee)) }
        let taken = Set(new.indexes.map(\.name))
        for index in old.indexes where taken.contains(index.name) {
            swap.append(renderer.renameIndex(index.name, schema: name.schema, to: Self.legacyName(index.name)))
        }
        swap.append(renderer.renameTable(name, to: legacy.name))
        swap.append(renderer.createTable(new))
        swap += renderer.comments(on: new) + constraintComments(new)
        for index in new.indexes { swap += renderer.createIndex(index, on: name) }
        swap += renderer.rowSecurity(new)
        for policy in new.policies { swap += renderer.createPolicy(policy, on: name) }
        for trigger in new.triggers { swap += renderer.createTrigger(trigger, on: name) }
        for grant in new.grants { swap.append(renderer.grant(grant, on: name)) }
        let attachBody = """
            DECLARE
                bound text;
            BEGIN
                -- The CHECK's constant, printed in UTC, is the partition's upper bound.
                PERFORM pg_catalog.set_config('TimeZone', 'UTC', true);
                SELECT substring(pg_catalog.pg_get_constraintdef(oid) FROM '''([^'']*)''') INTO STRICT bound
                FROM pg_catalog.pg_constraint
                WHERE conrelid = \(quoteLiteral(legacy.sql))::pg_catalog.regclass AND conname = \(quoteLiteral(bounds));
                EXECUTE pg_catalog.format(
                    'ALTER TABLE \(name.sql) ATTACH PARTITION \(legacy.sql) FOR VALUES FROM (MINVALUE) TO (%L)', bound);
            END
            """
        let attachTag = renderer.dollarTag(for: attachBody, preferred: "attach")
        swap.append(Statement("table \(legacy)", "DO \(attachTag)\n\(attachBody)\n\(attachTag)"))
        swap.append(renderer.dropConstraint(bounds, from: legacy))
        let legacyBound = """
            (SELECT substring(pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([0-9]{4}-[0-9]{2}-[0-9]{2})')::date
                     FROM pg_catalog.pg_class c WHERE c.oid = \(quoteLiteral(legacy.sql))::pg_catalog.regclass)
            """
        if let partitions = renderer.createPartitionsAhead(new, notBefore: legacyBound) { swap.append(partitions) }
        if let partition = renderer.createDefaultPartition(new) { swap.append(partition) }
        var swapStep = PlannedStep(
            .partitionSwap, order: 10, "convert \(name) into a table partitioned by \(partitioning.column) (part 4)", swap,
            hazards: [.accessExclusiveLock, .authzChange],
            note: "ACCESS EXCLUSIVE lock on \(name) for catalogue work only (no scan, no index build); the parent's foreign keys take a brief SHARE ROW EXCLUSIVE lock on the tables they reference")
        swapStep.convertedTable = name.name
        steps.append(swapStep)
        return steps
    }
}
