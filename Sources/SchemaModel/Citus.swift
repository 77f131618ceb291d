/// Where a model's schema is deployed: one PostgreSQL server, or a Citus
/// cluster (`--target citus`). The Citus deployment is the same model,
/// transformed by `CitusLayout.apply(to:)` and placed by the renderer.
public enum DeploymentTarget: String, CaseIterable, Hashable, Sendable, Codable {
    case postgres, citus
}

/// How a model's tables are placed on a Citus cluster: every managed table
/// not listed as a reference or coordinator table is distributed by
/// `distributionColumn` and co-located with `colocateWith`.
///
/// `apply(to:)` changes only what Citus refuses (see the README, "Running on
/// Citus"):
/// - a primary key, unique constraint or unique index of a distributed table
///   that lacks the distribution column gets it appended (uniqueness is then
///   per tenant; ids are `gen_random_uuid()`, so nothing real is lost);
/// - a foreign key between distributed tables cannot `ON UPDATE CASCADE`
///   (it already includes the distribution column, which is never updated);
/// - a policy's `(SELECT tenant_function())` becomes `tenant_function()`
///   (Citus refuses subqueries in policies of distributed tables);
/// - the `setTenantFunction` helper is added (`set_current_business` in the
///   call-feedback model): the tenant context that reaches the workers
///   (`SET LOCAL citus.propagate_set_commands = 'local'`, then
///   `SET LOCAL <setting>`), with the `forwardedSettings`.
///
/// The rules that query other rows (the event rules, retention, erasure)
/// take a `shardLocal`/`tenantColumn` option from the model's rule code
/// instead: a function body is not rewritten here.
public struct CitusLayout: Hashable, Sendable, Codable {
    public var distributionColumn: String
    /// The distributed table every other one is co-located with.
    public var colocateWith: QualifiedName
    /// Replicated to every node (small, shared, or read by triggers on the workers).
    public var referenceTables: [QualifiedName]
    /// Kept as plain tables on the coordinator (no tenant column).
    public var coordinatorTables: [QualifiedName]
    /// The tenant setting policies read (`app.current_business_id`) and the
    /// function that reads it; both nil: no tenant helper.
    public var tenantSetting: String?
    public var currentTenantFunction: QualifiedName?
    /// The helper that sets the tenant context for a transaction.
    public var setTenantFunction: QualifiedName?
    /// Roles allowed to call `setTenantFunction`.
    public var setTenantGrantees: [String]
    /// Settings `setTenantFunction` also carries from the coordinator's
    /// session to the workers when set there (the phone key the triggers on
    /// the workers need, sent in the connection's startup options).
    public var forwardedSettings: [String]

    public init(
        distributionColumn: String, colocateWith: QualifiedName, referenceTables: [QualifiedName],
        coordinatorTables: [QualifiedName], tenantSetting: String? = nil, currentTenantFunction: QualifiedName? = nil,
        setTenantFunction: QualifiedName? = nil, setTenantGrantees: [String] = [], forwardedSettings: [String] = []
    ) {
        self.forwardedSettings = forwardedSettings
        self.distributionColumn = distributionColumn
        self.colocateWith = colocateWith
        self.referenceTables = referenceTables
        self.coordinatorTables = coordinatorTables
        self.tenantSetting = tenantSetting
        self.currentTenantFunction = currentTenantFunction
        self.setTenantFunction = setTenantFunction
        self.setTenantGrantees = setTenantGrantees
    }

    /// How one table is placed (`pg_dist_partition.partmethod`: `h` hash, `n` reference; absent: local).
    public enum Placement: Hashable, Sendable, CustomStringConvertible {
        case distributed(column: String, colocatedWith: QualifiedName)
        case reference
        case coordinator

        public var description: String {
            switch self {
            case .distributed(let column, let with): return "distributed by \(column), co-located with \(with)"
            case .reference: return "a reference table"
            case .coordinator: return "a local table on the coordinator"
            }
        }
    }

    public func placement(of table: QualifiedName) -> Placement {
        if referenceTables.contains(table) { return .reference }
        if coordinatorTables.contains(table) { return .coordinator }
        return .distributed(column: distributionColumn, colocatedWith: colocateWith)
    }

    /// The tables distributed by `distributionColumn`, in `catalog`.
    public func distributedTables(in catalog: Catalog) -> [Table] {
        catalog.managedTables.filter { placement(of: $0.name) != .reference && placement(of: $0.name) != .coordinator }
    }

    /// Transforms a single-server catalog into the Citus one (see the type's comment).
    public func apply(to catalog: inout Catalog) {
        let distributed = Set(distributedTables(in: catalog).map(\.name))
        for index in catalog.tables.indices where distributed.contains(catalog.tables[index].name) {
            var table = catalog.tables[index]
            if var pk = table.primaryKey, !pk.columns.contains(distributionColumn) {
                pk.columns.append(distributionColumn)
                table.primaryKey = pk
            }
            for u in table.uniques.indices where !table.uniques[u].columns.contains(distributionColumn) {
                table.uniques[u].columns.append(distributionColumn)
            }
            for i in table.indexes.indices where table.indexes[i].isUnique
                && !table.indexes[i].keys.contains(.column(distributionColumn)) {
                table.indexes[i].keys.append(.column(distributionColumn))
            }
            for f in table.foreignKeys.indices where distributed.contains(table.foreignKeys[f].referencedTable) {
                if table.foreignKeys[f].onUpdate == .cascade { table.foreignKeys[f].onUpdate = .noAction }
            }
            if let function = currentTenantFunction {
                let subquery = "(SELECT \(function.sql)())"
                for p in table.policies.indices {
                    table.policies[p].using = table.policies[p].using.map { SQLExpression($0.sql.replacingAll(subquery, with: "\(function.sql)()")) }
                    table.policies[p].withCheck = table.policies[p].withCheck.map { SQLExpression($0.sql.replacingAll(subquery, with: "\(function.sql)()")) }
                }
            }
            catalog.tables[index] = table
        }
        if let function = setTenantFunction, let setting = tenantSetting {
            catalog.functions.append(setTenant(function, setting: setting))
        }
        catalog.citus = self
    }

    /// `set_current_business(id)`: the tenant context of the current
    /// transaction, on the coordinator and on every worker the transaction
    /// reaches (NULL: no tenant, for the service role). Settings listed in
    /// `forwardedSettings` that are set on the coordinator are forwarded too.
    /// No SET clause (search_path is not pinned): a function with one would
    /// undo the SET LOCAL on return; every name in the body is qualified.
    func setTenant(_ name: QualifiedName, setting: String) -> Function {
        let forwards = forwardedSettings.map { forwarded in
            """

                IF pg_catalog.current_setting(\(quoteLiteral(forwarded)), true) <> '' THEN
                    EXECUTE pg_catalog.format('SET LOCAL %I TO %L', \(quoteLiteral(forwarded)), pg_catalog.current_setting(\(quoteLiteral(forwarded))));
                END IF;
            """
        }.joined()
        return Function(
            name, arguments: [.init("tenant", .uuid)], returns: "void", language: .plpgsql,
            executeGrantees: setTenantGrantees,
            comment: "Sets \(setting) (NULL: none) for the current transaction on the coordinator and every worker (Citus), and forwards \(forwardedSettings.isEmpty ? "nothing else" : forwardedSettings.joined(separator: ", ")) when set: call it inside BEGIN … COMMIT before the first query.",
            body: """
                BEGIN
                    SET LOCAL citus.propagate_set_commands TO 'local';
                    EXECUTE pg_catalog.format('SET LOCAL %I TO %L', \(quoteLiteral(setting)), coalesce(tenant::text, ''));\(forwards)
                END
                """)
    }

    /// The statements that place the tables, in `ordered` (referenced tables
    /// first): reference tables, then the co-location anchor, then the other
    /// distributed tables. Each is skipped when the table is already placed,
    /// so the host application's tables may already be reference tables.
    func placementStatements(_ ordered: [Table]) -> [Statement] {
        var out: [Statement] = []
        // Skipped when already placed so (a Citus local table is in
        // pg_dist_partition too, as method n with replication model s).
        let skipIfPlaced = { (table: QualifiedName, placed: String) in
            "WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = \(quoteLiteral(table.sql))::pg_catalog.regclass AND \(placed))"
        }
        for table in ordered where placement(of: table.name) == .reference {
            out.append(Statement(
                "citus \(table.name)",
                "SELECT pg_catalog.create_reference_table(\(quoteLiteral(table.name.sql))) \(skipIfPlaced(table.name, "repmodel = 't'"))"))
        }
        let distributed = ordered.filter { !$0.isExternal && placement(of: $0.name) != .reference && placement(of: $0.name) != .coordinator }
        let anchorFirst = distributed.filter { $0.name == colocateWith } + distributed.filter { $0.name != colocateWith }
        for table in anchorFirst {
            let colocate = table.name == colocateWith ? "" : ", colocate_with => \(quoteLiteral(colocateWith.sql))"
            out.append(Statement(
                "citus \(table.name)",
                "SELECT pg_catalog.create_distributed_table(\(quoteLiteral(table.name.sql)), \(quoteLiteral(distributionColumn))\(colocate)) \(skipIfPlaced(table.name, "partmethod = 'h'"))"))
        }
        return out
    }

    /// Run before anything else: a one-line error when the database has no
    /// Citus, and one connection per worker for the whole migration (DDL
    /// and distribution in one transaction).
    var preamble: [Statement] {
        [
            Statement("citus preamble", """
                DO $citus$
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
                        RAISE EXCEPTION 'this migration is for a Citus cluster: the citus extension is not installed in this database'
                            USING ERRCODE = 'feature_not_supported', HINT = 'CREATE EXTENSION citus on the coordinator and every worker, or use the single-server migrations (sql/)';
                    END IF;
                END
                $citus$
                """),
            Statement("citus preamble", "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"),
        ]
    }

    /// Triggers on distributed tables are refused unless this is on when they are created.
    var beforeTriggers: Statement {
        Statement("trigger (citus)", "SET LOCAL citus.enable_unsafe_triggers TO on")
    }

    /// The model's validation for Citus: every distributed table has the
    /// distribution column, and every foreign key between distributed
    /// tables includes it on both sides.
    public func problems(in catalog: Catalog) -> [String] {
        var out: [String] = []
        let distributed = distributedTables(in: catalog)
        let names = Set(distributed.map(\.name))
        if !names.contains(colocateWith) { out.append("the co-location table \(colocateWith) is not a distributed table of the model") }
        for table in distributed {
            if table.column(distributionColumn) == nil {
                out.append("\(table.name) has no \(distributionColumn) column; list it as a reference or coordinator table")
            }
            for fk in table.foreignKeys where names.contains(fk.referencedTable) {
                guard let i = fk.columns.firstIndex(of: distributionColumn), fk.referencedColumns.indices.contains(i),
                      fk.referencedColumns[i] == distributionColumn else {
                    out.append("foreign key \(fk.name) on \(table.name) does not include \(distributionColumn) on both sides")
                    continue
                }
            }
            for fk in table.foreignKeys where coordinatorTables.contains(fk.referencedTable) {
                out.append("foreign key \(fk.name) on \(table.name) references the coordinator table \(fk.referencedTable)")
            }
        }
        return out
    }
}

extension Catalog {
    /// The catalog without its Citus placement: the shape drift compares
    /// (a shadow database has no Citus to place tables with).
    public var withoutCitusPlacement: Catalog {
        var copy = self
        copy.citus = nil
        return copy
    }
}
