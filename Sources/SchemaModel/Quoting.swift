/// PostgreSQL's limit on identifier length, in bytes (NAMEDATALEN - 1).
public let maxIdentifierBytes = 63

/// Quotes an identifier for SQL: always double-quoted, embedded double
/// quotes doubled. The one function every rendered name goes through.
///
///     quoteIdentifier("orders")         // "orders"
///     quoteIdentifier(#"we"ird"#)       // "we""ird"
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Quotes an identifier only when it needs it: lower-case letters, digits
/// and underscores, not starting with a digit, and not a reserved word.
/// Keeps generated SQL readable while staying correct for hostile names.
public func quoteIdentifierIfNeeded(_ name: String) -> String {
    guard let first = name.unicodeScalars.first,
        first == "_" || ("a"..."z").contains(first),
        name.unicodeScalars.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }),
        !reservedKeywords.contains(name)
    else { return quoteIdentifier(name) }
    return name
}

/// Quotes a string literal: single quotes doubled; an `E''` literal when it
/// holds a backslash so the meaning does not depend on
/// `standard_conforming_strings`.
public func quoteLiteral(_ value: String) -> String {
    if value.contains("\\") {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
        return "E'" + escaped + "'"
    }
    return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var remaining = Substring(self)
        while let range = remaining.range(of: target) {
            result += remaining[..<range.lowerBound]
            result += replacement
            remaining = remaining[range.upperBound...]
        }
        return result + remaining
    }
}

extension Substring {
    fileprivate func range(of target: String) -> Range<Substring.Index>? {
        let needle = Array(target.unicodeScalars)
        var index = startIndex
        while index < endIndex {
            var matchEnd = index
            var matched = true
            for scalar in needle {
                guard matchEnd < endIndex, unicodeScalars[matchEnd] == scalar else {
                    matched = false
                    break
                }
                matchEnd = unicodeScalars.index(after: matchEnd)
            }
            if matched { return index..<matchEnd }
            index = unicodeScalars.index(after: index)
        }
        return nil
    }
}

/// Keywords PostgreSQL reserves (cannot be a column or table name unquoted),
/// plus the type-function names that are reserved in some contexts.
let reservedKeywords: Set<String> = [
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
    "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
    "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
    "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect",
    "into", "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime",
    "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order",
    "outer", "overlaps", "placing", "primary", "references", "returning", "right", "select",
    "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample", "then", "to",
    "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where",
    "window", "with",
]

extension String {
    /// The string with `prefix` replaced, or unchanged when it does not start with it.
    public func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation in this module).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        replacingOccurrences(of: target, with: replacement)
    }
}
