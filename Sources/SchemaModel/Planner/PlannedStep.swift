/// One step of a schema change: the statements that make one change, what
/// can go wrong when they run on a table with rows and writers, and when they
/// run relative to the others.
public struct PlannedStep: Hashable, Sendable {
    /// Steps run in phases; each phase present becomes one migration file.
    public enum Phase: Int, Hashable, Sendable, Comparable, CaseIterable {
        /// `ALTER TYPE … ADD VALUE` (and label renames), committed before any
        /// statement uses the label (PostgreSQL refuses an uncommitted label: 55P04).
        case enumLabels
        /// One transaction: renames, drops, creates, alters, constraints added NOT VALID.
        case main
        /// A `-- pgmigrate: no-transaction` file: indexes built and dropped CONCURRENTLY.
        case concurrent
        /// A later transaction: VALIDATE CONSTRAINT only (SHARE UPDATE EXCLUSIVE: writers go on).
        case validate
        /// Brief ACCESS EXCLUSIVE steps that use what the files before prepared:
        /// SET NOT NULL over a validated check, ADD CONSTRAINT … USING INDEX.
        case finish
        /// After validation, one transaction per table converted to a
        /// time-partitioned one (`PartitionConversion`): the table becomes
        /// the legacy partition of a new partitioned parent.
        case partitionSwap

        public static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rawValue < rhs.rawValue }

        /// Appended to the migration's name (`0003_add_x_indexes.sql`).
        public var suffix: String {
            switch self {
            case .enumLabels: return "_enum_labels"
            case .main: return ""
            case .concurrent: return "_indexes"
            case .validate: return "_validate"
            case .finish: return "_finish"
            case .partitionSwap: return "_partition"
            }
        }

        public var isTransactional: Bool { self != .concurrent }
    }

    public var phase: Phase
    /// Position inside the phase (drops before creates, …); ties keep plan order.
    public var order: Int
    /// Position among steps of the same order (tables created after the tables they reference).
    public var rank: Int
    /// What the step does, e.g. `add column public.calls.note`.
    public var summary: String
    public var statements: [Statement]
    public var hazards: [Hazard]
    /// What an ACCESS EXCLUSIVE lock blocks, or the recipe's reason.
    public var note: String?
    /// Index builds and VALIDATE: may run long without blocking writers, so
    /// they run without `statement_timeout` (lock_timeout still applies).
    public var isLong: Bool
    /// For a partition swap: the table's name, which names its file.
    public var convertedTable: String?

    public init(
        _ phase: Phase, order: Int, _ summary: String, _ statements: [Statement], hazards: [Hazard] = [],
        note: String? = nil, long: Bool = false, rank: Int = 0
    ) {
        self.phase = phase
        self.order = order
        self.rank = rank
        self.summary = summary
        self.statements = statements
        self.hazards = Array(Set(hazards)).sorted()
        self.note = note
        self.isLong = long
    }
}

/// A refusal to plan a change that cannot be made safely as declared: the
/// message names the change and the recipe (CLI exit 65).
public struct PlanRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    /// The hazard that, when allowed, would let the plan go ahead (nil: never).
    public var hazard: Hazard?
    public init(_ message: String, hazard: Hazard? = nil) {
        self.message = message
        self.hazard = hazard
    }
    public var description: String { message }
}

/// The ordered steps that turn one schema into another, and the files they become.
public struct SchemaPlan: Hashable, Sendable {
    public var steps: [PlannedStep]

    public init(steps: [PlannedStep]) {
        self.steps = steps.enumerated().sorted { a, b in
            (a.element.phase, a.element.order, a.element.rank, a.offset) < (b.element.phase, b.element.order, b.element.rank, b.offset)
        }.map(\.element)
    }

    public var isEmpty: Bool { steps.isEmpty }
    public var hazards: Set<Hazard> { Set(steps.flatMap(\.hazards)) }

    /// The steps of each file, in file order: one group per phase present; a
    /// transactional phase that locks more than one table that existed before
    /// becomes one group per such table (see `transactions`), with its name;
    /// the partition swap is always one group per converted table.
    public func fileGroups() -> [(phase: PlannedStep.Phase, steps: [PlannedStep], table: String?)] {
        var out: [(phase: PlannedStep.Phase, steps: [PlannedStep], table: String?)] = []
        let created = createdTables
        for phase in PlannedStep.Phase.allCases {
            let steps = self.steps.filter { $0.phase == phase }
            guard !steps.isEmpty else { continue }
            if phase == .partitionSwap {
                // One file per converted table: each holds its table's ACCESS EXCLUSIVE lock alone, for milliseconds.
                for step in steps { out.append((phase, [step], step.convertedTable)) }
                continue
            }
            let groups = phase.isTransactional ? Self.transactions(steps, created: created) : [(steps, nil)]
            for (steps, table) in groups { out.append((phase, steps, groups.count > 1 ? table : nil)) }
        }
        return out
    }

    /// One file per group of `fileGroups()`, numbered from `firstVersion`:
    /// `name` plus the phase's suffix, plus the table when a phase is split;
    /// a partition swap is named after its table.
    public func files(firstVersion: Int, name: String) -> [GeneratedMigration] {
        var out: [GeneratedMigration] = []
        var used = Set<String>()
        for (offset, group) in fileGroups().enumerated() {
            var fileName = name + group.phase.suffix
            if group.phase == .partitionSwap, let table = group.table {
                fileName = Self.fileNamePart(table) + group.phase.suffix  // `0009_call_events_partition.sql`
            } else if let table = group.table {
                fileName += "_" + Self.fileNamePart(table)
            }
            var unique = fileName
            var n = 2
            while !used.insert(unique).inserted {
                unique = "\(fileName)_\(n)"
                n += 1
            }
            out.append(GeneratedMigration(version: firstVersion + offset, name: unique, contents: render(group.steps, phase: group.phase)))
        }
        return out
    }

    /// Tables this plan creates (`CREATE TABLE`), by the statement's object.
    var createdTables: Set<String> {
        Set(steps.flatMap(\.statements).filter { $0.sql.hasPrefix("CREATE TABLE") }.compactMap { Self.lockedTable($0) })
    }

    /// The table a statement locks, from its object (`table x`, `rowsecurity
    /// x`, `trigger t on x`, `policy p on x`); nil for other objects.
    static func lockedTable(_ statement: Statement) -> String? {
        let object = statement.object
        for prefix in ["table ", "rowsecurity "] where object.hasPrefix(prefix) { return String(object.dropFirst(prefix.count)) }
        for prefix in ["trigger ", "policy "] where object.hasPrefix(prefix) {
            // `trigger t on x`: the table follows the last ` on ` (names are quoted when they hold a space).
            let parts = object.split(separator: " ", omittingEmptySubsequences: false)
            if let on = parts.lastIndex(of: "on"), on > parts.startIndex { return parts[(on + 1)...].joined(separator: " ") }
        }
        return nil
    }

    /// Splits one transactional phase so that no transaction locks a table
    /// that existed before while it holds ACCESS EXCLUSIVE on another (every
    /// query on the first would queue behind the wait), nor does long work
    /// (VALIDATE) while it holds one. Plan order is kept, so dependencies
    /// still hold; steps on objects this plan creates stay where they are.
    /// The one exception, to avoid a file per step: a step on one existing
    /// table joins that table's earlier group when everything between is on
    /// single other existing tables, none names the other's table, and the
    /// step drops nothing (a drop may be what an in-between step must
    /// precede). Each group comes with the first existing table it locks.
    static func transactions(_ steps: [PlannedStep], created: Set<String>) -> [([PlannedStep], String?)] {
        struct Group {
            var steps: [PlannedStep] = []
            var name: String?
            var held = Set<String>()
            /// Per step: the existing tables it locks.
            var touched: [[String]] = []
        }
        func bare(_ table: String) -> String { String(table.split(separator: ".").last ?? Substring(table)) }
        func mentions(_ step: PlannedStep, _ table: String) -> Bool {
            step.statements.contains { $0.sql.contains(bare(table)) }
        }
        var groups: [Group] = [Group()]
        for step in steps {
            var touched: [String] = []
            var exclusive: [String] = []
            for statement in step.statements {
                for table in [lockedTable(statement)].compactMap({ $0 }) + statement.references where !created.contains(table) {
                    if !touched.contains(table) { touched.append(table) }
                    // Held until commit: ACCESS EXCLUSIVE, or a foreign key's SHARE ROW EXCLUSIVE (it
                    // blocks writes too); not VALIDATE's SHARE UPDATE EXCLUSIVE.
                    if !statement.sql.contains(" VALIDATE CONSTRAINT ") { exclusive.append(table) }
                }
            }
            let last = groups.count - 1
            let conflicts = !groups[last].held.isEmpty && (touched.contains { !groups[last].held.contains($0) } || step.isLong)
            guard conflicts else {
                groups[last].steps.append(step)
                groups[last].touched.append(touched)
                if groups[last].name == nil { groups[last].name = exclusive.first { $0 == step.statements.first.flatMap(lockedTable) } ?? exclusive.first }
                groups[last].held.formUnion(exclusive)
                continue
            }
            // Back into the earlier group of the same table, when nothing in between can depend on the order.
            if touched.count == 1, let table = touched.first, !step.isLong, !step.summary.hasPrefix("drop "),
               let target = groups.lastIndex(where: { $0.held == [table] }) {
                let between = groups[(target + 1)...].flatMap { group in zip(group.steps, group.touched).map { ($0, $1) } }
                let independent = between.allSatisfy { other, tables in
                    tables.count == 1 && tables[0] != table && !mentions(other, table) && !mentions(step, tables[0])
                }
                if independent {
                    groups[target].steps.append(step)
                    groups[target].touched.append(touched)
                    continue
                }
            }
            groups.append(Group(steps: [step], name: exclusive.first { $0 == step.statements.first.flatMap(lockedTable) } ?? exclusive.first, held: Set(exclusive), touched: [touched]))
        }
        return groups.filter { !$0.steps.isEmpty }.map { ($0.steps, $0.name) }
    }

    /// A table name as part of a file name: lower-case letters, digits and `_`.
    static func fileNamePart(_ table: String) -> String {
        let bare = table.hasPrefix("public.") ? String(table.dropFirst("public.".count)) : table
        var out = ""
        for character in bare.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber { out.append(character) } else if !out.hasSuffix("_") { out.append("_") }
        }
        while out.hasSuffix("_") { out.removeLast() }
        while out.hasPrefix("_") { out.removeFirst() }
        out = String(out.prefix(40))
        return out.isEmpty ? "table" : out
    }

    func render(_ steps: [PlannedStep], phase: PlannedStep.Phase) -> String {
        var text = ""
        if !phase.isTransactional { text += "-- pgmigrate: \("no-transaction")\n" }
        text += "-- Generated by `pgmigrate generate` from the Swift model: review it, commit it, then `pgmigrate migrate`.\n"
        switch phase {
        case .enumLabels:
            text += "-- New enum labels, committed before any later migration uses them (PostgreSQL error 55P04 otherwise).\n"
        case .main:
            text += "-- One transaction: if a statement fails, nothing of this file stays applied.\n"
        case .concurrent:
            text += "-- No transaction: indexes are built and dropped CONCURRENTLY, so writers are not blocked.\n"
            text += "-- A build that fails leaves an INVALID index; `pgmigrate migrate` rebuilds it when re-run.\n"
        case .validate:
            text += "-- A later transaction: validation scans without blocking writers (SHARE UPDATE EXCLUSIVE).\n"
        case .finish:
            text += "-- A later transaction: brief ACCESS EXCLUSIVE steps that use what the files before prepared, no scans.\n"
        case .partitionSwap:
            text += "-- One transaction: the table becomes the legacy partition of a new time-partitioned parent.\n"
            text += "-- Its ACCESS EXCLUSIVE lock is held for catalogue work only (milliseconds, whatever its rows):\n"
            text += "-- the validated bounds CHECK of an earlier file spares ATTACH the scan. Run `pgmigrate maintain` after.\n"
        }
        text += "-- Every statement runs under the migrator's lock_timeout (`pgmigrate migrate --lock-timeout`),\n"
        text += "-- retried when it expires; long steps (index builds, VALIDATE) run without statement_timeout.\n"
        if steps.contains(where: \.isLong) {
            text += "\nSET statement_timeout = 0;\n"
        }
        for (number, step) in steps.enumerated() {
            text += "\n-- step \(number + 1): \(step.summary)\n"
            text += "-- hazards: \(step.hazards.isEmpty ? "none" : step.hazards.map(\.rawValue).joined(separator: ", "))\n"
            if let note = step.note { text += "-- note: \(note)\n" }
            for statement in step.statements { text += statement.sql + ";\n" }
        }
        return text
    }
}

extension GeneratedMigration {
    /// A migration file with the given version, name and contents (`pgmigrate new`, plans).
    public static func file(version: Int, name: String, contents: String) -> GeneratedMigration {
        GeneratedMigration(version: version, name: name, contents: contents)
    }
}
