/// The outcome of one statement, copied out of the `PGresult` (which is
/// cleared before this value is returned), in text format.
public struct QueryResult: Sendable {
    public let columns: [String]
    public let rows: [Row]
    /// The command tag, e.g. `INSERT 0 1` or `SELECT 3`.
    public let commandTag: String
    /// Rows affected by INSERT/UPDATE/DELETE/MERGE/SELECT/MOVE/FETCH/COPY, else 0.
    public let rowsAffected: Int

    public init(columns: [String], rows: [Row], commandTag: String, rowsAffected: Int) {
        self.columns = columns
        self.rows = rows
        self.commandTag = commandTag
        self.rowsAffected = rowsAffected
    }

    /// The first row, if any.
    public var first: Row? { rows.first }

    /// The single value of a one-row, one-column result (e.g. `SELECT count(*)`).
    public func scalar<T: PQDecodable>(_ type: T.Type = T.self) throws -> T {
        guard let row = rows.first, !columns.isEmpty else {
            throw PQError(kind: .decoding, message: "expected one row, the statement returned none")
        }
        return try row.decode(0, as: type)
    }
}

/// One result row. Values are the server's text output; `nil` is SQL NULL.
public struct Row: Sendable {
    public let values: [String?]
    let names: ColumnNames

    public init(values: [String?], columns: ColumnNames) {
        self.values = values
        self.names = columns
    }

    public subscript(index: Int) -> String? { values.indices.contains(index) ? values[index] : nil }
    public subscript(column: String) -> String? { names.index(of: column).flatMap { self[$0] } }

    /// The value of a NOT NULL column; throws when the column is missing or NULL.
    public func decode<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = names.index(of: column) else {
            throw PQError(kind: .decoding, message: "no column \"\(column)\" in result")
        }
        return try decode(index, as: type)
    }

    public func decode<T: PQDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw PQError(kind: .decoding, message: "no column \(index) in result")
        }
        guard let text = values[index] else {
            throw PQError(kind: .decoding, message: "column \(names.name(at: index)) is NULL, expected \(T.self)")
        }
        do {
            return try T(pqText: text)
        } catch let error as PQError {
            throw PQError(kind: .decoding, message: error.message + " (column \(names.name(at: index)))")
        }
    }

    /// The value of a nullable column: `nil` for SQL NULL.
    public func decodeIfPresent<T: PQDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        guard let index = names.index(of: column) else {
            throw PQError(kind: .decoding, message: "no column \"\(column)\" in result")
        }
        guard values[index] != nil else { return nil }
        return try decode(index, as: type)
    }
}

/// Column names shared by all rows of one result.
public final class ColumnNames: Sendable {
    public let names: [String]
    private let lookup: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var lookup = [String: Int]()
        for (i, name) in names.enumerated() where lookup[name] == nil { lookup[name] = i }
        self.lookup = lookup
    }

    func index(of name: String) -> Int? { lookup[name] }
    func name(at index: Int) -> String { names.indices.contains(index) ? names[index] : "#\(index)" }
}
