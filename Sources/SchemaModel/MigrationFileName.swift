/// The one naming rule for versioned migration files, `NNNN_name.sql`:
/// a version number (at least four digits when written, zero-padded; read
/// numerically, so `0001` and `1` are the same version), an underscore, then
/// a name of ASCII letters, digits, `_` or `-`. The generator writes names
/// with it, the migrator parses them with it, and the ledger and reports
/// print `0001_name` identifiers with it.
public enum MigrationFileName {
    public static let fileExtension = ".sql"
    /// The rule in words, for error messages.
    public static let expected = "expected NNNN_name.sql (a version number, an underscore, then letters, digits, _ or -)"

    /// `0001_initial_schema`: the version zero-padded to four digits, an underscore, the name.
    public static func identifier(version: Int64, name: String) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name
    }

    /// `0001_initial_schema.sql`
    public static func format(version: Int64, name: String) -> String {
        identifier(version: version, name: name) + fileExtension
    }

    public enum Parsed: Equatable, Sendable {
        /// A migration file: its version and name.
        case migration(version: Int64, name: String)
        /// Not a migration file at all: another extension, or a hidden file.
        case notMigration
        /// A `.sql` file whose name breaks the rule; `problem` says how.
        case malformed(problem: String)
    }

    public static func parse(_ fileName: String) -> Parsed {
        // An ASCII name (every real one) is read byte by byte: the same
        // rule, several times cheaper than the Character-based reading
        // below, which is kept for the rest.
        if let parsed = fileName.utf8.withContiguousStorageIfAvailable(parseASCII), let parsed {
            return parsed
        }
        guard fileName.hasSuffix(fileExtension), !fileName.hasPrefix(".") else { return .notMigration }
        let stem = fileName.dropLast(fileExtension.count)
        let digits = stem.prefix(while: { $0.isASCII && $0.isNumber })
        let rest = stem.dropFirst(digits.count)
        guard !digits.isEmpty, rest.first == "_" else { return .malformed(problem: expected) }
        let name = rest.dropFirst()
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(isNameScalar) else { return .malformed(problem: expected) }
        guard let version = Int64(digits) else { return .malformed(problem: "version \(digits) is too large") }
        return .migration(version: version, name: String(name))
    }

    /// `parse` for an all-ASCII name; nil for any other byte.
    private static func parseASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Parsed? {
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        let suffix = fileExtension.utf8
        guard bytes.count >= suffix.count, bytes.suffix(suffix.count).elementsEqual(suffix), bytes.first != UInt8(ascii: ".") else {
            return .notMigration
        }
        let stem = bytes.prefix(bytes.count - suffix.count)
        let digits = stem.prefix(while: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        let rest = stem.dropFirst(digits.count)
        guard !digits.isEmpty, rest.first == UInt8(ascii: "_") else { return .malformed(problem: expected) }
        let name = rest.dropFirst()
        guard !name.isEmpty, name.allSatisfy({ isNameScalar(Unicode.Scalar($0)) }) else { return .malformed(problem: expected) }
        var version: Int64 = 0
        for digit in digits {
            let (times10, overflow1) = version.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                return .malformed(problem: "version \(String(decoding: UnsafeBufferPointer(rebasing: digits), as: UTF8.self)) is too large")
            }
            version = sum
        }
        return .migration(version: version, name: String(decoding: UnsafeBufferPointer(rebasing: name), as: UTF8.self))
    }

    private static func isNameScalar(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }
}
