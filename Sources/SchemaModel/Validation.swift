/// A mistake in a model, found before any SQL is produced.
public struct ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case identifierTooLong, duplicateName, unknownTable, unknownColumn, unknownType
        case unknownFunction, columnCountMismatch, unindexedForeignKey, emptyDefinition
        case partitionKey, citusPlacement
    }

    public let kind: Kind
    /// The object the error is about, e.g. `table public.orders`.
    public let object: String
    public let message: String

    public init(_ kind: Kind, _ object: String, _ message: String) {
        self.kind = kind
        self.object = object
        self.message = message
    }

    public var description: String { "\(object): \(message)" }
}

/// All the errors of one model, in a stable order.
public struct ModelValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let errors: [ModelError]
    public var description: String {
        errors.count == 1
            ? "invalid model: \(errors[0])"
            : "invalid model (\(errors.count) errors): " + errors.map(\.description).joined(separator: "; ")
    }
}

extension Catalog {
    /// Checks references and names; throws every problem at once.
    public func validate() throws(ModelValidationError) {
        let errors = validationErrors()
        if !errors.isEmpty { throw ModelValidationError(errors: errors) }
    }

    public func validationErrors() -> [ModelError] {
        var errors: [ModelError] = []
        func name(_ identifier: String, _ object: String, _ what: String) {
            if identifier.utf8.count > maxIdentifierBytes {
                errors.append(ModelError(
                    .identifierTooLong, object,
                    "\(what) \"\(identifier)\" is \(identifier.utf8.count) bytes; PostgreSQL truncates names over \(maxIdentifierBytes)"))
            }
            if identifier.isEmpty { errors.append(ModelError(.emptyDefinition, object, "\(what) has an empty name")) }
        }

        var relationNames: [QualifiedName: String] = [:]
        func relation(_ qualified: QualifiedName, _ what: String, _ object: String) {
            if let previous = relationNames[qualified] {
                errors.append(ModelError(.duplicateName, object, "\(what) \(qualified) has the same name as \(previous)"))
            } else {
                relationNames[qualified] = "\(what) \(qualified)"
            }
        }

        var enumNames = Set<QualifiedName>()
        for type in enums {
            let object = "type \(type.name)"
            name(type.name.name, object, "type")
            if !enumNames.insert(type.name).inserted {
                errors.append(ModelError(.duplicateName, object, "type \(type.name) is declared twice"))
            }
            if type.labels.isEmpty { errors.append(ModelError(.emptyDefinition, object, "enum type has no labels")) }
            var seen = Set<String>()
            for label in type.labels where !seen.insert(label).inserted {
                errors.append(ModelError(.duplicateName, object, "label '\(label)' appears twice"))
            }
            for label in type.labels where label.utf8.count > maxIdentifierBytes {
                errors.append(ModelError(.identifierTooLong, object, "label '\(label)' is over \(maxIdentifierBytes) bytes"))
            }
        }
        for role in roles { name(role.name, "role \(role.name)", "role") }
        let functionNames = Set(functions.map(\.name))
        for function in functions { name(function.name.name, "function \(function.name)", "function") }

        for type in enums where tables.contains(where: { $0.name == type.name }) {
            errors.append(ModelError(
                .duplicateName, "type \(type.name)",
                "type \(type.name) has the name of a table (every table also defines a type of its name)"))
        }
        let tablesByName = Dictionary(tables.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for table in tables {
            let object = "table \(table.name)"
            name(table.name.name, object, "table")
            relation(table.name, "table", object)
            if table.columns.isEmpty { errors.append(ModelError(.emptyDefinition, object, "table has no columns")) }

            var columns = Set<String>()
            for column in table.columns {
                name(column.name, object, "column")
                if !columns.insert(column.name).inserted {
                    errors.append(ModelError(.duplicateName, object, "column \(column.name) is declared twice"))
                }
                if let type = column.type.enumName, !enumNames.contains(type) {
                    errors.append(ModelError(.unknownType, object, "column \(column.name) has unknown enum type \(type)"))
                }
            }
            func known(_ list: [String], _ what: String) {
                for column in list where !columns.contains(column) {
                    errors.append(ModelError(.unknownColumn, object, "\(what) refers to unknown column \(column)"))
                }
            }

            var constraintNames = Set<String>()
            func constraint(_ constraintName: String, _ what: String) {
                name(constraintName, object, what)
                if !constraintNames.insert(constraintName).inserted {
                    errors.append(ModelError(.duplicateName, object, "constraint \(constraintName) is declared twice"))
                }
            }
            if let pk = table.primaryKey {
                constraint(pk.name, "primary key")
                relation(QualifiedName(table.name.schema, pk.name), "primary key index", object)
                known(pk.columns, "primary key \(pk.name)")
            }
            for unique in table.uniques {
                constraint(unique.name, "unique constraint")
                relation(QualifiedName(table.name.schema, unique.name), "unique constraint index", object)
                known(unique.columns, "unique constraint \(unique.name)")
            }
            if let partitioning = table.partitioning, !table.isExternal {
                let what = "partition key \(partitioning.column)"
                if let key = table.column(partitioning.column) {
                    switch key.type {
                    case .timestamptz, .timestamp, .date: break
                    default:
                        errors.append(ModelError(.partitionKey, object, "\(what) is \(key.type.sql); a time partition key must be timestamptz, timestamp or date"))
                    }
                    if key.isNullable {
                        errors.append(ModelError(.partitionKey, object, "\(what) must be NOT NULL"))
                    }
                } else {
                    errors.append(ModelError(.unknownColumn, object, "\(what) refers to unknown column \(partitioning.column)"))
                }
                for index in table.indexes where index.isUnique && !index.leadingColumns.contains(partitioning.column)
                    && !index.keys.contains(.column(partitioning.column)) {
                    errors.append(ModelError(.partitionKey, object, "unique index \(index.name) must include \(what)"))
                }
                if let pk = table.primaryKey, !pk.columns.contains(partitioning.column) {
                    errors.append(ModelError(.partitionKey, object, "primary key \(pk.name) must include \(what)"))
                }
                for unique in table.uniques where !unique.columns.contains(partitioning.column) {
                    errors.append(ModelError(.partitionKey, object, "unique constraint \(unique.name) must include \(what)"))
                }
                if partitioning.premake < 1 {
                    errors.append(ModelError(.partitionKey, object, "partitions made ahead must be at least 1, not \(partitioning.premake)"))
                }
                name(table.name.name + "_default", object, "default partition")
                name(table.name.name + "_p00000000", object, "time partition")
            }
            for check in table.checks {
                constraint(check.name, "check constraint")
                known(check.columns, "check \(check.name)")
            }
            for fk in table.foreignKeys {
                constraint(fk.name, "foreign key")
                known(fk.columns, "foreign key \(fk.name)")
                if fk.columns.count != fk.referencedColumns.count {
                    errors.append(ModelError(
                        .columnCountMismatch, object,
                        "foreign key \(fk.name) has \(fk.columns.count) columns but references \(fk.referencedColumns.count)"))
                }
                guard let target = tablesByName[fk.referencedTable] else {
                    errors.append(ModelError(.unknownTable, object, "foreign key \(fk.name) references unknown table \(fk.referencedTable)"))
                    continue
                }
                for column in fk.referencedColumns where target.column(column) == nil {
                    errors.append(ModelError(
                        .unknownColumn, object,
                        "foreign key \(fk.name) references unknown column \(column) of \(fk.referencedTable)"))
                }
                if !table.isExternal && !table.hasIndex(leadingWith: fk.columns) {
                    errors.append(ModelError(
                        .unindexedForeignKey, object,
                        "foreign key \(fk.name) has no index leading with (\(fk.columns.joined(separator: ", "))); deletes on \(fk.referencedTable) would scan \(table.name)"))
                }
            }
            for index in table.indexes {
                name(index.name, object, "index")
                relation(QualifiedName(table.name.schema, index.name), "index", object)
                known(index.keys.flatMap(\.columns) + index.include + index.predicateColumns, "index \(index.name)")
            }
            var triggerNames = Set<String>()
            for trigger in table.triggers {
                name(trigger.name, object, "trigger")
                if !triggerNames.insert(trigger.name).inserted {
                    errors.append(ModelError(.duplicateName, object, "trigger \(trigger.name) is declared twice"))
                }
                if !functionNames.contains(trigger.function) {
                    errors.append(ModelError(.unknownFunction, object, "trigger \(trigger.name) executes unknown function \(trigger.function)"))
                }
                for event in trigger.events {
                    if case .update(let updateColumns) = event { known(updateColumns, "trigger \(trigger.name)") }
                }
            }
            var policyNames = Set<String>()
            for policy in table.policies {
                name(policy.name, object, "policy")
                if !policyNames.insert(policy.name).inserted {
                    errors.append(ModelError(.duplicateName, object, "policy \(policy.name) is declared twice"))
                }
            }
        }
        if let citus {
            for problem in citus.problems(in: self) { errors.append(ModelError(.citusPlacement, "citus", problem)) }
        }
        return errors
    }
}

extension Table {
    /// Whether some index (or the primary key, or a unique constraint) can
    /// find rows by these columns: its leading column is one of them (for a
    /// composite key, `(call_session_id, business_id)`, an index on
    /// `call_session_id` finds the few candidate rows).
    public func hasIndex(leadingWith columns: [String]) -> Bool {
        let wanted = Set(columns)
        func leads(_ list: [String]) -> Bool {
            guard let first = list.first else { return false }
            return wanted.contains(first)
        }
        if let pk = primaryKey, leads(pk.columns) { return true }
        if uniques.contains(where: { leads($0.columns) }) { return true }
        return indexes.contains { $0.predicate == nil && leads($0.leadingColumns) }
    }
}
