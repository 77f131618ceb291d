/// Turns typed changes into ordered, online-safe migration steps. All SQL
/// comes from `PostgresRenderer`; the model supplies the values to render
/// (it is richer than what a database reads back) and the declared renames.
///
/// Order, inside one transaction: renames; drops of triggers and policies
/// (before the columns they use), constraints, columns, tables, functions,
/// types; creates of types, tables, columns; column alters; functions;
/// constraints NOT VALID; row security, policies, triggers, grants, comments.
/// Then, in their own files: indexes CONCURRENTLY, VALIDATE in a later
/// transaction, and SET NOT NULL / UNIQUE USING INDEX in one after that.
/// A transaction that would lock a second table that existed before while
/// it holds ACCESS EXCLUSIVE on one is split: one file per such table.
public struct Planner: Sendable {
    public let model: Catalog
    public let allowedHazards: Set<Hazard>
    public let renderer: PostgresRenderer

    public init(model: Catalog, allowedHazards: Set<Hazard> = [], renderer: PostgresRenderer = PostgresRenderer()) {
        self.model = model
        self.allowedHazards = allowedHazards
        self.renderer = renderer
    }

    // MARK: - Renames

    /// The renames the model declares whose old name exists in `actual` and
    /// whose new name does not. A declaration whose old name is gone is
    /// ignored, so it can stay in the model.
    public func renames(actual: Catalog) -> [PlannedStep] {
        var out: [PlannedStep] = []
        func step(_ summary: String, _ statement: Statement, table: QualifiedName?, phase: PlannedStep.Phase = .main) -> PlannedStep {
            PlannedStep(
                phase, order: 5, summary, [statement], hazards: table == nil ? [] : [.accessExclusiveLock],
                note: table.map { "brief ACCESS EXCLUSIVE lock on \($0): blocks its reads and writes while it waits; code using the old name breaks" })
        }
        for type in model.enums {
            guard let existing = actual.enumType(type.name) else { continue }
            for (new, old) in type.labelsRenamedFrom.sorted(by: { $0.key < $1.key })
            where existing.labels.contains(old) && !existing.labels.contains(new) {
                out.append(step("rename enum label \(type.name).\(old) to \(new)", renderer.renameEnumLabel(type.name, from: old, to: new), table: nil, phase: .enumLabels))
            }
        }
        for table in model.managedTables {
            var current = actual.table(table.name)
            if current == nil, let old = table.renamedFrom, let found = actual.table(QualifiedName(table.name.schema, old)) {
                out.append(step("rename table \(found.name) to \(table.name.name)", renderer.renameTable(found.name, to: table.name.name), table: found.name))
                current = found
            }
            guard let existing = current else { continue }
            for column in table.columns {
                guard let old = column.renamedFrom, existing.column(column.name) == nil, existing.column(old) != nil else { continue }
                out.append(step(
                    "rename column \(table.name).\(old) to \(column.name)",
                    renderer.renameColumn(old, on: table.name, to: column.name), table: table.name))
            }
            let constraints = Set(TableConstraint.all(of: existing).map(\.name))
            for constraint in TableConstraint.all(of: table) {
                guard let old = constraint.renamedFrom, !constraints.contains(constraint.name), constraints.contains(old) else { continue }
                out.append(step(
                    "rename constraint \(table.name).\(old) to \(constraint.name)",
                    renderer.renameConstraint(old, on: table.name, to: constraint.name), table: table.name))
            }
            let indexes = Set(existing.indexes.map(\.name))
            for index in table.indexes {
                guard let old = index.renamedFrom, !indexes.contains(index.name), indexes.contains(old) else { continue }
                out.append(step(
                    "rename index \(table.name.schema).\(old) to \(index.name)",
                    renderer.renameIndex(old, schema: table.name.schema, to: index.name), table: table.name))
            }
        }
        return out
    }

    // MARK: - Plan

    /// Plans `changes` (desired: the model, normalised; actual: the database
    /// after `renames`). Throws a refusal for a change that loses data or
    /// cannot be made online unless its hazard is allowed.
    public func plan(_ changes: [CatalogChange], renames: [PlannedStep] = [], actual: Catalog) throws -> SchemaPlan {
        var steps = renames
        // Triggers and policies recreated because a function they use is dropped.
        var recreated = Set<String>()
        let droppedFunctions: [Function] = changes.compactMap { change in
            guard case .function(let old)? = change.old else { return nil }
            if change.action == .drop || (change.action == .alter && change.differs(in: .returns)) { return old }
            return nil
        }
        let touched = Set(changes.filter { $0.action != .add }.map(\.object))
        for function in droppedFunctions {
            for table in actual.managedTables {
                for trigger in table.triggers where trigger.function == function.name {
                    let object = SchemaObject(.trigger, "\(table.name).\(trigger.name)", table: table.name)
                    guard !touched.contains(object), recreated.insert(object.description).inserted else { continue }
                    steps.append(dropTrigger(trigger.name, on: table.name, because: "uses function \(function.name), which is dropped"))
                    if let new = modelTable(table.name)?.triggers.first(where: { $0.name == trigger.name }) {
                        steps.append(createTrigger(new, on: table.name))
                    }
                }
                for policy in table.policies where mentions(policy, function.name) {
                    let object = SchemaObject(.policy, "\(table.name).\(policy.name)", table: table.name)
                    guard !touched.contains(object), recreated.insert(object.description).inserted else { continue }
                    steps.append(PlannedStep(
                        .main, order: 21, "drop policy \(policy.name) on \(table.name) (uses \(function.name), which is dropped)",
                        [renderer.dropPolicy(policy.name, on: table.name)], hazards: [.authzChange]))
                    if let new = modelTable(table.name)?.policies.first(where: { $0.name == policy.name }) {
                        steps.append(createPolicy(new, on: table.name))
                    }
                }
            }
        }
        // Tables the model partitions that are plain in the database: the
        // conversion recreates everything on them, so their other changes
        // (the primary key gaining the partition key, …) are its business.
        var converted = Set<QualifiedName>()
        for change in changes where change.action == .alter && change.differs(in: .partitioning) {
            guard case .table(let found)? = change.old, let table = modelTable(found.name) else { continue }
            let old = actual.table(found.name) ?? found
            guard old.partitioning == nil, table.partitioning != nil else {
                throw PlanRefusal(
                    "changing how \(table.name) is partitioned (\(change.description)) is not planned: only a plain table becomes a time-partitioned one; write that migration by hand (`pgmigrate new`)")
            }
            if let column = changes.first(where: { $0.table == table.name && $0.object.kind == .column }) {
                throw PlanRefusal(
                    "\(table.name) is converted to a partitioned table and its columns change too (\(column.description)): the legacy partition must have the parent's columns; change the columns in a migration of their own first")
            }
            steps += try partitionConversion(from: old, to: table)
            converted.insert(table.name)
        }
        for change in changes {
            if let table = change.table ?? { if case .table(let t)? = change.old { return t.name } else { return nil } }(),
                converted.contains(table)
            {
                continue
            }
            steps += try plan(change, actual: actual)
        }
        return SchemaPlan(steps: steps)
    }

    func plan(_ change: CatalogChange, actual: Catalog) throws -> [PlannedStep] {
        let object = change.object
        switch (change.action, change.old, change.new) {
        case (.add, _, .extension(let ext)?):
            return [PlannedStep(.main, order: 10, "create extension \(ext.name)", [renderer.createExtension(ext)])]
        case (.add, _, .role(let role)?):
            return [PlannedStep(.main, order: 10, "create role \(role.name) if absent", [renderer.createRole(role)], hazards: [.authzChange])]
        case (.add, _, .schema(let schema)?):
            var statements = [renderer.createSchema(schema)]
            statements += model.usageGrantees.map { renderer.schemaUsage(schema, grant: true, role: $0) }
            return [PlannedStep(.main, order: 10, "create schema \(schema)", statements)]
        case (.alter, _, .schema(let schema)?):
            let granted = Set(actual.usageGrantees)
            let wanted = Set(model.usageGrantees)
            let statements = wanted.subtracting(granted).sorted().map { renderer.schemaUsage(schema, grant: true, role: $0) }
                + granted.subtracting(wanted).sorted().map { renderer.schemaUsage(schema, grant: false, role: $0) }
            return [PlannedStep(.main, order: 66, "schema \(schema) usage", statements, hazards: [.authzChange])]
        case (.add, _, .enumType(let type)?):
            let type = model.enumType(type.name) ?? type
            var statements = [renderer.createEnum(type)]
            if let comment = type.comment { statements.append(renderer.comment(on: "TYPE \(type.name.sql)", comment)) }
            return [PlannedStep(.main, order: 15, "create type \(type.name)", statements)]
        case (.drop, .enumType(let type)?, _):
            return [PlannedStep(.main, order: 28, "drop type \(type.name)", [renderer.dropEnum(type.name)])]
        case (.alter, .enumType(let old)?, .enumType(let new)?):
            return try alterEnum(old, model.enumType(new.name) ?? new)
        case (.add, _, .table(let table)?):
            return createTable(modelTable(table.name) ?? table)
        case (.drop, .table(let table)?, _):
            try refuseDataLoss(
                "dropping table \(table.name) deletes its rows: if it was renamed, declare `renamedFrom: \"\(table.name.name)\"` on the new table")
            return [PlannedStep(
                .main, order: 26, "drop table \(table.name)", [renderer.dropTable(table.name)], hazards: [.dataLoss, .accessExclusiveLock],
                note: "ACCESS EXCLUSIVE lock on \(table.name)")]
        case (.alter, .table(let old)?, .table(let new)?):
            return alterTable(old, modelTable(new.name) ?? new, change)
        default:
            break
        }
        switch object.kind {
        case .column: return try planColumn(change)
        case .constraint: return planConstraint(change)
        case .index: return planIndex(change)
        case .trigger: return planTrigger(change)
        case .policy: return planPolicy(change)
        case .grant: return planGrant(change)
        case .function: return planFunction(change)
        default:
            // Extensions and roles are never dropped or altered by a migration
            // (they are cluster-wide or shared); drift keeps reporting them.
            return []
        }
    }

    // MARK: - Tables

    func createTable(_ table: Table) -> [PlannedStep] {
        let name = table.name
        var statements = [renderer.createTable(table)] + renderer.comments(on: table)
        if let partitions = renderer.createPartitionsAhead(table) { statements.append(partitions) }
        if let partition = renderer.createDefaultPartition(table) { statements.append(partition) }
        statements += constraintComments(table)
        for index in table.indexes { statements += renderer.createIndex(index, on: name) }
        var out = [PlannedStep(.main, order: 40, "create table \(name)", statements, rank: tableRank(name))]
        if table.rowSecurity.enabled || table.rowSecurity.forced {
            out.append(PlannedStep(.main, order: 60, "row security on \(name)", renderer.rowSecurity(table), hazards: [.authzChange]))
        }
        for policy in table.policies { out.append(createPolicy(policy, on: name)) }
        for trigger in table.triggers { out.append(createTrigger(trigger, on: name)) }
        for grant in table.grants {
            out.append(PlannedStep(.main, order: 66, "grant on \(name) to \(grant.grantee)", [renderer.grant(grant, on: name)], hazards: [.authzChange]))
        }
        return out
    }

    func constraintComments(_ table: Table) -> [Statement] {
        var out: [Statement] = []
        for constraint in TableConstraint.all(of: table) {
            if case .check = constraint { continue }  // the renderer comments CHECKs
            if let comment = constraint.comment {
                out.append(renderer.comment(on: "CONSTRAINT \(quoteIdentifierIfNeeded(constraint.name)) ON \(table.name.sql)", comment))
            }
        }
        return out
    }

    func alterTable(_ old: Table, _ new: Table, _ change: CatalogChange) -> [PlannedStep] {
        var out: [PlannedStep] = []
        let name = new.name
        if change.differs(in: .comment) {
            out.append(PlannedStep(.main, order: 70, "comment on table \(name)", [renderer.comment(on: "TABLE \(name.sql)", new.comment)]))
        }
        var statements: [Statement] = []
        if old.rowSecurity.enabled != new.rowSecurity.enabled { statements.append(renderer.setRowSecurity(name, enabled: new.rowSecurity.enabled)) }
        if old.rowSecurity.forced != new.rowSecurity.forced { statements.append(renderer.setForcedRowSecurity(name, forced: new.rowSecurity.forced)) }
        if !statements.isEmpty {
            out.append(PlannedStep(.main, order: 60, "row security on \(name)", statements, hazards: [.authzChange]))
        }
        return out
    }

    // MARK: - Columns

    func planColumn(_ change: CatalogChange) throws -> [PlannedStep] {
        guard let table = change.table else { return [] }
        let lock = "brief ACCESS EXCLUSIVE lock on \(table): blocks its reads and writes while it waits (lock_timeout) and runs"
        switch (change.action, change.old, change.new) {
        case (.add, _, .column(let inspected)?):
            let column = modelColumn(table, inspected.name) ?? inspected
            var hazards: [Hazard] = [.accessExclusiveLock]
            var note = lock
            if !column.isNullable && column.defaultValue == nil && column.identity == nil {
                guard allowedHazards.contains(.mayFailOnExistingData) else {
                    throw PlanRefusal(
                        "adding column \(table).\(column.name) NOT NULL without a default fails on a table with rows: add it with nullable: true, backfill it in a hand-written migration (`pgmigrate new backfill_\(column.name)`), then make it NOT NULL (generate plans CHECK … NOT VALID, VALIDATE, SET NOT NULL); or pass --allow-hazards may-fail-on-existing-data for an empty table",
                        hazard: .mayFailOnExistingData)
                }
                hazards.append(.mayFailOnExistingData)
            }
            if (column.defaultValue.map(Self.isVolatile) ?? false) || column.identity != nil {
                guard allowedHazards.contains(.tableRewrite) else {
                    throw PlanRefusal(
                        "adding column \(table).\(column.name) with a volatile default or identity rewrites \(table) under an ACCESS EXCLUSIVE lock (every read and write waits): expand and contract instead (add it nullable without the default, backfill in batches in a `-- pgmigrate: no-transaction` migration from `pgmigrate new`, then declare the default and NOT NULL); or pass --allow-hazards table-rewrite for a small table",
                        hazard: .tableRewrite)
                }
                hazards.append(.tableRewrite)
                note = "rewrites \(table) under an ACCESS EXCLUSIVE lock: blocks its reads and writes for the whole rewrite"
            }
            var statements = [renderer.addColumn(column, to: table)]
            if let comment = column.comment {
                statements.append(renderer.comment(on: "COLUMN \(table.sql).\(quoteIdentifierIfNeeded(column.name))", comment))
            }
            return [PlannedStep(.main, order: 45, "add column \(table).\(column.name)", statements, hazards: hazards, note: note)]
        case (.drop, .column(let column)?, _):
            try refuseDataLoss(
                "dropping column \(table).\(column.name) deletes its data: if it was renamed, declare `renamedFrom: \"\(column.name)\"` on the new column")
            return [PlannedStep(
                .main, order: 25, "drop column \(table).\(column.name)", [renderer.dropColumn(column.name, from: table)],
                hazards: [.dataLoss, .accessExclusiveLock], note: lock)]
        case (.alter, .column(let old)?, .column(let inspected)?):
            let new = modelColumn(table, inspected.name) ?? inspected
            var out: [PlannedStep] = []
            let columnSQL = "\(table.sql).\(quoteIdentifierIfNeeded(new.name))"
            if change.differs(in: .type) || change.differs(in: .collation) {
                let coercible = Self.isBinaryCoercible(from: old.type, to: new.type) && !change.differs(in: .collation)
                out.append(PlannedStep(
                    .main, order: 46, "change type of \(table).\(new.name) from \(old.type.sql) to \(new.type.sql)",
                    [renderer.alterColumnType(new, on: table)],
                    hazards: coercible ? [.accessExclusiveLock] : [.accessExclusiveLock, .tableRewrite, .mayFailOnExistingData],
                    note: coercible
                        ? "binary-coercible: no rewrite; " + lock
                        : "rewrites \(table) and its indexes under an ACCESS EXCLUSIVE lock: blocks its reads and writes for the whole rewrite"))
            }
            if change.differs(in: .default) {
                out.append(PlannedStep(.main, order: 46, "default of \(table).\(new.name)", [renderer.alterColumnDefault(new, on: table)], hazards: [.accessExclusiveLock], note: lock))
            }
            if change.differs(in: .identity) {
                out.append(PlannedStep(
                    .main, order: 46, "identity of \(table).\(new.name)", [renderer.alterColumnIdentity(new, on: table, old: old.identity)],
                    hazards: [.accessExclusiveLock], note: lock))
            }
            if change.differs(in: .nullability) {
                if new.isNullable {
                    out.append(PlannedStep(
                        .main, order: 46, "drop NOT NULL on \(table).\(new.name)",
                        [renderer.alterColumnNullability(new.name, on: table, nullable: true)], hazards: [.accessExclusiveLock], note: lock))
                } else {
                    out += setNotNull(new.name, on: table)
                }
            }
            if change.differs(in: .comment) {
                out.append(PlannedStep(.main, order: 70, "comment on column \(table).\(new.name)", [renderer.comment(on: "COLUMN \(columnSQL)", new.comment)]))
            }
            return out
        default:
            return []
        }
    }

    /// SET NOT NULL without a long ACCESS EXCLUSIVE scan: a CHECK (col IS NOT
    /// NULL) added NOT VALID, validated in a later transaction (writers go on),
    /// then SET NOT NULL, which uses the validated check instead of scanning.
    func setNotNull(_ column: String, on table: QualifiedName) -> [PlannedStep] {
        let check = Self.identifier("\(table.name)_\(column)_not_null")
        let expression = "CHECK (\(quoteIdentifierIfNeeded(column)) IS NOT NULL)"
        return [
            PlannedStep(
                .main, order: 56, "NOT NULL on \(table).\(column), part 1: CHECK (\(column) IS NOT NULL) NOT VALID",
                [renderer.addConstraint(.check(CheckConstraint(name: check, columns: [column], SQLExpression(expression))), to: table, notValid: true)],
                hazards: [.accessExclusiveLock], note: "brief lock; new and updated rows are checked from now on"),
            PlannedStep(
                .validate, order: 20, "NOT NULL on \(table).\(column), part 2: validate the check",
                [renderer.validateConstraint(check, on: table)],
                hazards: [.fullScan, .mayFailOnExistingData],
                note: "scans under SHARE UPDATE EXCLUSIVE: reads and writes go on",
                long: true),
            PlannedStep(
                .finish, order: 20, "NOT NULL on \(table).\(column), part 3: SET NOT NULL (no scan), drop the check",
                [
                    renderer.alterColumnNullability(column, on: table, nullable: false),
                    renderer.dropConstraint(check, from: table),
                ],
                hazards: [.accessExclusiveLock],
                note: "brief ACCESS EXCLUSIVE lock on \(table): SET NOT NULL uses the validated check instead of scanning"),
        ]
    }

    // MARK: - Constraints

    func planConstraint(_ change: CatalogChange) -> [PlannedStep] {
        guard let table = change.table else { return [] }
        var out: [PlannedStep] = []
        if let old = change.old, case .constraint(let constraint) = old, change.action == .drop || change.differs(in: .definition) {
            out.append(PlannedStep(
                .main, order: 22, "drop constraint \(table).\(constraint.name)", [renderer.dropConstraint(constraint.name, from: table)],
                hazards: [.accessExclusiveLock], note: "brief ACCESS EXCLUSIVE lock on \(table)"))
        }
        guard let newValue = change.new, case .constraint(let inspected) = newValue else { return out }
        let constraint = modelConstraint(table, inspected.name) ?? inspected
        let commentStatement = renderer.comment(on: "CONSTRAINT \(quoteIdentifierIfNeeded(constraint.name)) ON \(table.sql)", constraint.comment)
        if change.action == .alter && !change.differs(in: .definition) {
            return out + [PlannedStep(.main, order: 70, "comment on constraint \(table).\(constraint.name)", [commentStatement])]
        }
        let comment = constraint.comment == nil ? [] : [commentStatement]
        switch constraint {
        case .check, .foreignKey:
            let kind = { if case .check = constraint { return "CHECK" } else { return "FOREIGN KEY" } }()
            out.append(PlannedStep(
                .main, order: 55, "add \(kind) \(table).\(constraint.name) NOT VALID",
                [renderer.addConstraint(constraint, to: table, notValid: true)] + comment,
                hazards: [.accessExclusiveLock], note: "brief lock; new and updated rows are checked from now on"))
            out.append(PlannedStep(
                .validate, order: 10, "validate \(table).\(constraint.name)", [renderer.validateConstraint(constraint.name, on: table)],
                hazards: [.fullScan, .mayFailOnExistingData], note: "scans under SHARE UPDATE EXCLUSIVE: reads and writes go on", long: true))
        case .unique(let unique):
            out += uniqueUsingIndex(constraint, columns: unique.columns, on: table, comment: comment)
        case .primaryKey(let pk):
            out += uniqueUsingIndex(constraint, columns: pk.columns, on: table, comment: comment)
        }
        return out
    }

    func uniqueUsingIndex(_ constraint: TableConstraint, columns: [String], on table: QualifiedName, comment: [Statement]) -> [PlannedStep] {
        let index = Index(constraint.name, on: columns, unique: true)
        var hazards: [Hazard] = [.accessExclusiveLock, .mayFailOnExistingData]
        if case .primaryKey = constraint { hazards.append(.fullScan) }
        return [
            PlannedStep(
                .concurrent, order: 30, "unique index \(table.schema).\(constraint.name) for constraint \(constraint.name), built concurrently",
                renderer.createIndex(index, on: table, concurrently: true), hazards: [.indexBuild, .mayFailOnExistingData],
                note: "CREATE INDEX CONCURRENTLY: reads and writes go on", long: true),
            PlannedStep(
                .finish, order: 30, "constraint \(table).\(constraint.name) adopts its index",
                [renderer.addConstraintUsingIndex(constraint, to: table)] + comment, hazards: hazards,
                note: "brief ACCESS EXCLUSIVE lock on \(table); no index build"),
        ]
    }

    // MARK: - Indexes

    func planIndex(_ change: CatalogChange) -> [PlannedStep] {
        guard let table = change.table else { return [] }
        let schema = table.schema
        switch (change.action, change.old, change.new) {
        case (.add, _, .index(let inspected)?):
            return [buildIndex(inspected, as: inspected.name, on: table)]
        case (.drop, .index(let index)?, _) where modelTable(table)?.isPartitioned ?? false:
            return [PlannedStep(
                .main, order: 24, "drop index \(schema).\(index.name) on the partitioned table",
                [renderer.dropIndex(index.name, schema: schema, concurrently: false)], hazards: [.accessExclusiveLock],
                note: "PostgreSQL cannot drop a partitioned index CONCURRENTLY: brief ACCESS EXCLUSIVE lock on \(table) and its partitions")]
        case (.drop, .index(let index)?, _):
            return [PlannedStep(
                .concurrent, order: 10, "drop index \(schema).\(index.name) concurrently",
                [renderer.dropIndex(index.name, schema: schema, concurrently: true)],
                note: "DROP INDEX CONCURRENTLY: reads and writes go on")]
        case (.alter, .index(let old)?, .index(let inspected)?):
            let new = modelIndex(table, inspected.name) ?? inspected
            if !change.differs(in: .definition) {
                return [PlannedStep(
                    .main, order: 70, "comment on index \(schema).\(new.name)",
                    [renderer.comment(on: "INDEX \(QualifiedName(schema, new.name).sql)", new.comment)])]
            }
            let temporary = Self.identifier(new.name + "_pgm_new")
            var build = buildIndex(inspected, as: temporary, on: table, comment: false)
            build.summary = "changed index \(schema).\(new.name): build it as \(temporary) concurrently"
            var statements = [
                renderer.dropIndex(old.name, schema: schema, concurrently: true),
                renderer.renameIndex(temporary, schema: schema, to: new.name),
            ]
            if let comment = new.comment {
                statements.append(renderer.comment(on: "INDEX \(QualifiedName(schema, new.name).sql)", comment))
            }
            return [
                build,
                PlannedStep(
                    .concurrent, order: 21, "changed index \(schema).\(new.name): drop the old one concurrently, rename the new one",
                    statements, hazards: [.accessExclusiveLock], note: "the rename takes a brief ACCESS EXCLUSIVE lock on the index"),
            ]
        default:
            return []
        }
    }

    func buildIndex(_ inspected: Index, as name: String, on table: QualifiedName, comment: Bool = true) -> PlannedStep {
        // PostgreSQL builds no index CONCURRENTLY on a partitioned table (0A000).
        let partitioned = modelTable(table)?.isPartitioned ?? false
        var statements: [Statement]
        if var index = modelIndex(table, inspected.name) {
            index.name = name
            if !comment { index.comment = nil }
            statements = renderer.createIndex(index, on: table, concurrently: !partitioned)
        } else if let definition = inspected.definition,
                  let statement = renderer.createIndex(definition: definition, name: inspected.name, as: name, concurrently: !partitioned) {
            statements = [statement]
        } else {
            statements = renderer.createIndex(inspected, on: table, concurrently: !partitioned)
        }
        var hazards: [Hazard] = [.indexBuild]
        if inspected.isUnique { hazards.append(.mayFailOnExistingData) }
        if partitioned {
            return PlannedStep(
                .main, order: 50, "create index \(table.schema).\(name) on the partitioned table", statements, hazards: hazards,
                note: "PostgreSQL cannot build an index CONCURRENTLY on a partitioned table: writes to every partition wait while it builds (so the migrator's statement_timeout, when set, stays on to bound that wait); on a large table build it on each partition CONCURRENTLY by hand, then CREATE INDEX … ON ONLY and ALTER INDEX … ATTACH PARTITION")
        }
        return PlannedStep(
            .concurrent, order: 20, "create index \(table.schema).\(name) concurrently", statements, hazards: hazards,
            note: "CREATE INDEX CONCURRENTLY: reads and writes go on", long: true)
    }

    // MARK: - Triggers, policies, grants

    func dropTrigger(_ name: String, on table: QualifiedName, because reason: String? = nil) -> PlannedStep {
        PlannedStep(
            .main, order: 20, "drop trigger \(name) on \(table)" + (reason.map { " (\($0))" } ?? ""),
            [renderer.dropTrigger(name, on: table)], hazards: [.accessExclusiveLock],
            note: "brief ACCESS EXCLUSIVE lock on \(table); recreated in the same transaction if the model keeps it")
    }

    func createTrigger(_ trigger: Trigger, on table: QualifiedName) -> PlannedStep {
        PlannedStep(
            .main, order: 64, "create trigger \(trigger.name) on \(table)", renderer.createTrigger(trigger, on: table),
            note: "SHARE ROW EXCLUSIVE lock on \(table): blocks writes briefly")
    }

    func planTrigger(_ change: CatalogChange) -> [PlannedStep] {
        guard let table = change.table else { return [] }
        var out: [PlannedStep] = []
        if case .trigger(let old)? = change.old, change.action == .drop || change.differs(in: .definition) || change.differs(in: .firing) {
            out.append(dropTrigger(old.name, on: table))
        }
        if case .trigger(let inspected)? = change.new {
            let trigger = modelTable(table)?.triggers.first { $0.name == inspected.name } ?? inspected
            if change.action == .add || change.differs(in: .definition) || change.differs(in: .firing) {
                out.append(createTrigger(trigger, on: table))
            } else if change.differs(in: .comment) {
                out.append(PlannedStep(
                    .main, order: 70, "comment on trigger \(trigger.name) on \(table)",
                    [renderer.comment(on: "TRIGGER \(quoteIdentifierIfNeeded(trigger.name)) ON \(table.sql)", trigger.comment)]))
            }
        }
        return out
    }

    func createPolicy(_ policy: Policy, on table: QualifiedName) -> PlannedStep {
        PlannedStep(.main, order: 62, "create policy \(policy.name) on \(table)", renderer.createPolicy(policy, on: table), hazards: [.authzChange])
    }

    func planPolicy(_ change: CatalogChange) -> [PlannedStep] {
        guard let table = change.table else { return [] }
        var out: [PlannedStep] = []
        let onlyComment = change.action == .alter && change.differences.allSatisfy {
            if case .changed(_, .comment, _, _) = $0 { return true }
            return false
        }
        if case .policy(let old)? = change.old, !onlyComment {
            out.append(PlannedStep(
                .main, order: 21, "drop policy \(old.name) on \(table)", [renderer.dropPolicy(old.name, on: table)], hazards: [.authzChange],
                note: change.action == .alter ? "recreated in the same transaction" : nil))
        }
        if case .policy(let inspected)? = change.new {
            let policy = modelTable(table)?.policies.first { $0.name == inspected.name } ?? inspected
            if onlyComment {
                out.append(PlannedStep(
                    .main, order: 70, "comment on policy \(policy.name) on \(table)",
                    [renderer.comment(on: "POLICY \(quoteIdentifierIfNeeded(policy.name)) ON \(table.sql)", policy.comment)]))
            } else {
                out.append(createPolicy(policy, on: table))
            }
        }
        return out
    }

    func planGrant(_ change: CatalogChange) -> [PlannedStep] {
        guard let table = change.table else { return [] }
        var statements: [Statement] = []
        var grantee = ""
        if case .grant(let old)? = change.old {
            statements.append(renderer.revokeAll(on: table, from: old.grantee))
            grantee = old.grantee
        }
        if case .grant(let new)? = change.new {
            statements.append(renderer.grant(new, on: table))
            grantee = new.grantee
        }
        return [PlannedStep(.main, order: 66, "privileges on \(table) for \(grantee)", statements, hazards: [.authzChange])]
    }

    // MARK: - Functions and types

    func planFunction(_ change: CatalogChange) -> [PlannedStep] {
        var out: [PlannedStep] = []
        let replaced = change.action == .alter && change.differs(in: .returns)
        if case .function(let old)? = change.old, change.action == .drop || replaced {
            out.append(PlannedStep(.main, order: 27, "drop function \(old.signature)", [renderer.dropFunction(old)]))
        }
        guard case .function(let inspected)? = change.new else { return out }
        let function = model.functions.first { $0.signature == inspected.signature } ?? inspected
        var statements: [Statement] = []
        if case .function(let old)? = change.old, !replaced, let grantees = old.executeGrantees {
            // CREATE OR REPLACE keeps the old grants: revoke the ones the model no longer lists.
            for role in grantees where !(function.executeGrantees ?? []).contains(role) {
                statements.append(Statement("function \(function.name)", "REVOKE EXECUTE ON FUNCTION \(function.signature) FROM \(quoteIdentifierIfNeeded(role))"))
            }
        }
        statements += renderer.createFunction(function)
        if change.action == .alter, function.comment == nil, change.differs(in: .comment) {
            statements.append(renderer.comment(on: "FUNCTION \(function.signature)", nil))
        }
        let verb = change.action == .add || replaced ? "create" : "replace"
        let authz = change.differs(in: .execute) || change.differs(in: .securityDefiner)
        out.append(PlannedStep(
            .main, order: 50, "\(verb) function \(function.signature)", statements, hazards: authz ? [.authzChange] : [],
            note: verb == "replace" ? "CREATE OR REPLACE: the signature is unchanged, dependent triggers and policies stay" : nil))
        return out
    }

    func alterEnum(_ old: EnumType, _ new: EnumType) throws -> [PlannedStep] {
        let removed = old.labels.filter { !new.labels.contains($0) }
        if !removed.isEmpty {
            throw PlanRefusal(
                "enum \(new.name) loses label(s) \(removed.map(quoteLiteral).joined(separator: ", ")): PostgreSQL cannot drop an enum label; if it was renamed declare labelsRenamedFrom: [new: old], otherwise write the migration by hand (`pgmigrate new`): create a new type, ALTER COLUMN … TYPE new USING col::text::new for each column, drop the old type, rename the new one")
        }
        let kept = new.labels.filter(old.labels.contains)
        if kept != old.labels {
            throw PlanRefusal(
                "enum \(new.name) reorders its labels (\(old.labels.map(quoteLiteral).joined(separator: ", ")) → \(kept.map(quoteLiteral).joined(separator: ", "))): PostgreSQL cannot reorder enum labels; write the migration by hand (`pgmigrate new`): create a new type, convert each column USING col::text::new, drop the old type, rename the new one")
        }
        var out: [PlannedStep] = []
        for (position, label) in new.labels.enumerated() where !old.labels.contains(label) {
            let previous = position > 0 ? new.labels[position - 1] : nil
            let next = position + 1 < new.labels.count ? new.labels[position + 1] : nil
            out.append(PlannedStep(
                .enumLabels, order: 10, "add label \(quoteLiteral(label)) to \(new.name)",
                [renderer.addEnumLabel(new.name, label, after: previous, before: next)],
                note: "committed in its own migration before any statement uses it"))
        }
        if old.comment != new.comment {
            out.append(PlannedStep(.main, order: 70, "comment on type \(new.name)", [renderer.comment(on: "TYPE \(new.name.sql)", new.comment)]))
        }
        return out
    }

    // MARK: - Helpers

    func refuseDataLoss(_ message: String) throws {
        guard allowedHazards.contains(.dataLoss) else {
            throw PlanRefusal(message + "; to delete it, pass --allow-hazards data-loss", hazard: .dataLoss)
        }
    }

    func modelTable(_ name: QualifiedName) -> Table? { model.table(name) }
    func modelColumn(_ table: QualifiedName, _ name: String) -> Column? { modelTable(table)?.column(name) }
    func modelIndex(_ table: QualifiedName, _ name: String) -> Index? { modelTable(table)?.indexes.first { $0.name == name } }
    func modelConstraint(_ table: QualifiedName, _ name: String) -> TableConstraint? {
        modelTable(table).flatMap { TableConstraint.all(of: $0).first { $0.name == name } }
    }

    /// The table's position in FK order, so referenced tables are created first.
    func tableRank(_ name: QualifiedName) -> Int {
        renderer.ordered(model.tables).map(\.name).firstIndex(of: name) ?? 0
    }

    func mentions(_ policy: Policy, _ function: QualifiedName) -> Bool {
        let text = (policy.using?.sql ?? "") + " " + (policy.withCheck?.sql ?? "")
        return text.contains(function.name + "(")
    }

    /// An identifier of at most 63 bytes.
    static func identifier(_ text: String) -> String {
        var result = text
        while result.utf8.count > 63 { result.removeLast() }
        return result
    }

    /// Defaults PostgreSQL must evaluate per row when the column is added (a rewrite).
    static func isVolatile(_ value: SQLExpression) -> Bool {
        let sql = value.sql.lowercased()
        return ["random(", "gen_random_uuid(", "uuid_generate", "clock_timestamp(", "nextval(", "timeofday("].contains { sql.contains($0) }
    }

    /// Type changes PostgreSQL makes without rewriting the table.
    static func isBinaryCoercible(from old: ColumnType, to new: ColumnType) -> Bool {
        switch (old, new) {
        case (.varchar(let a?), .varchar(let b?)): return b >= a
        case (.varchar, .varchar(nil)), (.varchar, .text), (.text, .varchar(nil)): return true
        case (.numeric(let p1, let s1), .numeric(let p2, let s2)): return s1 == s2 && p2 >= p1
        default: return false
        }
    }
}
