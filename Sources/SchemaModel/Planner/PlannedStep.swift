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
        /// A later transaction: VALIDATE CONSTRAINT, SET NOT NULL, UNIQUE USING INDEX.
        case validate
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

    /// One file per phase present, numbered from `firstVersion`; the
    /// partition swap is one file per table (each holds that table's
    /// ACCESS EXCLUSIVE lock alone, for milliseconds).
    public func files(firstVersion: Int, name: String) -> [GeneratedMigration] {
        var out: [GeneratedMigration] = []
        var version = firstVersion
        for phase in PlannedStep.Phase.allCases {
            let steps = self.steps.filter { $0.phase == phase }
            guard !steps.isEmpty else { continue }
            if phase == .partitionSwap {
                for step in steps {
                    out.append(GeneratedMigration(
                        version: version, name: (step.convertedTable ?? name) + phase.suffix, contents: render([step], phase: phase)))
                    version += 1
                }
                continue
            }
            out.append(GeneratedMigration(version: version, name: name + phase.suffix, contents: render(steps, phase: phase)))
            version += 1
        }
        return out
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
