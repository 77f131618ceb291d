/// What the model's CHECK constraints guarantee about the JSON in a `json` /
/// `jsonb` column: read from the constraints themselves, so a type generated
/// from it can never promise more than the database enforces.
///
/// Only facts from a CHECK whose expression is a conjunction (`a AND b AND …`
/// at the top level) are taken, and only these conjuncts are understood
/// (`c` being the column, spelled as the model quotes it):
///
/// - `jsonb_typeof(c) = 'object' | 'array' | 'string' | 'number' | 'boolean'`
/// - `jsonb_array_length(c) > 0` (with an array: not empty)
/// - `NOT jsonb_path_exists(c, 'strict $[*] ? (@.type() != "T")')` (with an
///   array: every element has JSON type T)
///
/// Any other conjunct only narrows the values further, so leaving it out
/// keeps the shape true (a superset of what the database accepts). A CHECK
/// with a top-level `OR` says nothing here.
public indirect enum JSONShape: Hashable, Sendable {
    /// Nothing is known.
    case unknown
    case object
    case string
    case number
    case boolean
    case array(element: JSONShape, nonEmpty: Bool)

    /// The shape the given CHECK constraints enforce on `column` (SQL NULL
    /// aside: a CHECK passes on NULL, nullability is the column's business).
    public static func enforced(on column: String, by checks: [CheckConstraint]) -> JSONShape {
        var kind: String?
        var nonEmpty = false
        var elementKind: String?
        let name = quoteIdentifierIfNeeded(column)
        for check in checks where check.columns == [column] {
            guard let conjuncts = topLevelConjuncts(check.expression.sql) else { continue }
            for conjunct in conjuncts {
                if let value = match(conjunct, prefix: "jsonb_typeof(\(name)) = '", suffix: "'") {
                    kind = value
                } else if conjunct == "jsonb_array_length(\(name)) > 0" {
                    nonEmpty = true
                } else if let value = match(
                    conjunct, prefix: "NOT jsonb_path_exists(\(name), 'strict $[*] ? (@.type() != \"", suffix: "\")')")
                {
                    elementKind = value
                }
            }
        }
        switch kind {
        case "object": return .object
        case "string": return .string
        case "number": return .number
        case "boolean": return .boolean
        case "array":
            return .array(element: elementKind.map(scalar) ?? .unknown, nonEmpty: nonEmpty)
        default: return .unknown
        }
    }

    private static func scalar(_ jsonType: String) -> JSONShape {
        switch jsonType {
        case "object": return .object
        case "string": return .string
        case "number": return .number
        case "boolean": return .boolean
        case "array": return .array(element: .unknown, nonEmpty: false)
        default: return .unknown
        }
    }

    private static func match(_ text: String, prefix: String, suffix: String) -> String? {
        guard text.hasPrefix(prefix), text.hasSuffix(suffix), text.count > prefix.count + suffix.count else { return nil }
        let value = text.dropFirst(prefix.count).dropLast(suffix.count)
        // A plain JSON type name, nothing that could hide another condition.
        guard value.allSatisfy({ $0.isLetter }) else { return nil }
        return String(value)
    }

    /// Splits `a AND b AND c` at the top level (outside parentheses, string
    /// literals and quoted identifiers); nil when the expression has a
    /// top-level OR (then no conjunct alone is guaranteed) or is unbalanced.
    static func topLevelConjuncts(_ sql: String) -> [String]? {
        var text = Substring(sql.trimmedSpaces)
        while text.hasPrefix("("), text.hasSuffix(")"), enclosesAll(text) {
            text = Substring(text.dropFirst().dropLast().trimmedSpaces)
        }
        var parts: [String] = []
        var depth = 0
        var quote: Character?
        var current = ""
        var word = ""
        func flushWord() -> Bool? {
            // True for a top-level AND, false for other words, nil for OR or BETWEEN.
            defer { word = "" }
            guard depth == 0 else { return false }
            switch word.uppercased() {
            case "AND": return true
            case "OR", "BETWEEN": return nil  // BETWEEN's AND is no conjunction
            default: return false
            }
        }
        for character in text {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
                continue
            }
            if character.isLetter || character.isNumber || character == "_" || character == "$" {
                word.append(character)
                current.append(character)
                continue
            }
            guard let isAnd = flushWord() else { return nil }
            if isAnd {
                current.removeLast(3)
                parts.append(current.trimmedSpaces)
                current = ""
            }
            switch character {
            case "'", "\"": quote = character
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth < 0 { return nil }
            default: break
            }
            current.append(character)
        }
        guard quote == nil, depth == 0, let isAnd = flushWord(), !isAnd else { return nil }
        parts.append(current.trimmedSpaces)
        return parts.contains(where: \.isEmpty) ? nil : parts
    }

    /// Whether the opening parenthesis at the start closes at the very end.
    private static func enclosesAll(_ text: Substring) -> Bool {
        var depth = 0
        var quote: Character?
        for (offset, character) in text.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"": quote = character
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return offset == text.count - 1 }
            default: break
            }
        }
        return false
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmedSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
