import Foundation

/// An error from libpq or from the server, with every diagnostic field the
/// server sent.
///
/// `description` is one line (what a CLI prints); `debugDescription` has
/// every field.
public struct PQError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The connection could not be opened, or was lost.
        case connection
        /// The server reported an error while executing a statement.
        case server
        /// A value in a result could not be converted to the requested type.
        case decoding
        /// The caller used the API wrongly (e.g. a NUL byte in a parameter).
        case usage
    }

    /// A diagnostic field, as `PQresultErrorField` names them.
    public enum Field: Character, Sendable, Hashable, CaseIterable {
        case severity = "V"  // PG_DIAG_SEVERITY_NONLOCALIZED
        case localizedSeverity = "S"
        case sqlState = "C"
        case messagePrimary = "M"
        case messageDetail = "D"
        case messageHint = "H"
        case statementPosition = "P"
        case internalPosition = "p"
        case internalQuery = "q"
        case context = "W"
        case schemaName = "s"
        case tableName = "t"
        case columnName = "c"
        case dataTypeName = "d"
        case constraintName = "n"
        case sourceFile = "F"
        case sourceLine = "L"
        case sourceFunction = "R"

        var code: Int32 { Int32(asciiValue ?? 0) }
        private var asciiValue: UInt8? { rawValue.asciiValue }
    }

    public let kind: Kind
    /// The primary message: the server's `M` field, or libpq's own message.
    public let message: String
    public let fields: [Field: String]

    public init(kind: Kind, message: String, fields: [Field: String] = [:]) {
        self.kind = kind
        self.message = message
        self.fields = fields
    }

    public subscript(field: Field) -> String? { fields[field] }

    public var sqlState: SQLState? { fields[.sqlState].map(SQLState.init(rawValue:)) }
    public var severity: String? { fields[.severity] ?? fields[.localizedSeverity] }
    public var detail: String? { fields[.messageDetail] }
    public var hint: String? { fields[.messageHint] }
    /// 1-based character (not byte) offset into the statement text.
    public var position: Int? { fields[.statementPosition].flatMap { Int($0) } }
    public var context: String? { fields[.context] }
    public var schema: String? { fields[.schemaName] }
    public var table: String? { fields[.tableName] }
    public var column: String? { fields[.columnName] }
    public var constraint: String? { fields[.constraintName] }

    /// One line: SQLSTATE, message, and hint when there is one.
    public var description: String {
        var line = ""
        if let state = sqlState { line += "\(state): " }
        line += Self.oneLine(message)
        if let hint { line += " (hint: \(Self.oneLine(hint)))" }
        return line
    }

    public var debugDescription: String {
        var lines = ["PQError.\(kind): \(message)"]
        for field in Field.allCases {
            if let value = fields[field] { lines.append("  \(field): \(value)") }
        }
        return lines.joined(separator: "\n")
    }

    /// Collapses libpq's multi-line messages ("…failed: Connection refused\n\tIs the
    /// server running…") into one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isNewline || $0 == "\t" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}
