import Foundation
import SchemaModel

/// One versioned migration file, `NNNN_name.sql`, parsed and checksummed.
///
/// Format:
/// - the version is the leading integer (ordered numerically; `0001` and `1`
///   are the same version, so both in one directory is an error);
/// - header directives are `-- pgmigrate: <directive>` comment lines before
///   the first statement: `no-transaction`; `lint-ignore RULE[, RULE]` and
///   `lint-ignore-file RULE` are read by `pgmigrate lint` (accepted here,
///   checked there);
/// - a line `-- pgmigrate: down` splits the file: statements above it are
///   the up part, statements below it the down part (used by `rollback`).
public struct MigrationFile: Sendable, Hashable {
    public let version: Int64
    /// The part after the version and underscore, without `.sql`.
    public let name: String
    /// The file name, e.g. `0001_initial_schema.sql`.
    public let fileName: String
    /// The path as given (directory + file name), for messages.
    public let path: String
    /// Lowercase hex SHA-256 of the file with CRLF and CR normalised to LF.
    public let checksum: String
    /// False when the file has `-- pgmigrate: no-transaction`: statements then
    /// run one by one outside a transaction (both parts).
    public let transactional: Bool
    public let upStatements: [SQLStatement]
    /// `nil` when the file has no `-- pgmigrate: down` part.
    public let downStatements: [SQLStatement]?

    /// `0001_initial_schema`: the file name without `.sql`.
    public var identifier: String {
        fileName.hasSuffix(MigrationFileName.fileExtension) ? String(fileName.dropLast(MigrationFileName.fileExtension.count)) : fileName
    }

    public static let noTransactionDirective = "no-transaction"
    public static let downDirective = "down"

    /// Parses `NNNN_name.sql`; returns `nil` for files that are not `.sql` files
    /// (or hidden ones), throws for `.sql` files with a malformed name.
    public static func parseFileName(_ fileName: String) throws -> (version: Int64, name: String)? {
        switch MigrationFileName.parse(fileName) {
        case .notMigration: return nil
        case .migration(let version, let name): return (version, name)
        case .malformed(let problem):
            throw PGMigrateError(.malformedMigration, "malformed migration file name \(fileName): \(problem)")
        }
    }

    /// Replaces CRLF and lone CR with LF, so a Windows checkout has the same checksum.
    public static func normaliseLineEndings(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 {
                out.append(10)
                if index + 1 < bytes.count, bytes[index + 1] == 10 { index += 1 }
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }

    /// Lowercase hex SHA-256 of the contents after line-ending normalisation.
    public static func checksum(of bytes: [UInt8]) -> String {
        // Most files have no CR: hash them without copying.
        SHA256.hex(bytes.contains(13) ? normaliseLineEndings(bytes) : bytes)
    }

    /// Parses a migration from its name and raw contents.
    public init(fileName: String, path: String? = nil, contents: [UInt8]) throws {
        let shownPath = path ?? fileName
        guard let (version, name) = try Self.parseFileName(fileName) else {
            throw PGMigrateError(.malformedMigration, "\(shownPath): not a migration file name (NNNN_name.sql)")
        }
        let normalised = Self.normaliseLineEndings(contents)
        guard let text = String(bytes: normalised, encoding: .utf8) else {
            throw PGMigrateError(.malformedMigration, "\(shownPath): not valid UTF-8")
        }
        let scanned: SQLSplitter.Result
        do {
            scanned = try SQLSplitter.scan(text)
        } catch let failure as SQLSplitter.Failure {
            throw PGMigrateError(.malformedMigration, "\(shownPath):\(failure.line): \(failure.message)")
        }
        let firstStatementLine = scanned.statements.first?.line ?? Int.max
        var transactional = true
        var down: SQLDirective?
        for directive in scanned.directives {
            switch directive.name {
            case Self.noTransactionDirective:
                guard directive.line < firstStatementLine, down == nil else {
                    throw PGMigrateError(.malformedMigration, "\(shownPath):\(directive.line): `-- pgmigrate: no-transaction` must be in the header, before the first statement")
                }
                transactional = false
            case Self.downDirective:
                guard down == nil else {
                    throw PGMigrateError(.malformedMigration, "\(shownPath):\(directive.line): a second `-- pgmigrate: down` marker")
                }
                guard directive.startsLine else {
                    throw PGMigrateError(.malformedMigration, "\(shownPath):\(directive.line): `-- pgmigrate: down` must be on a line of its own")
                }
                down = directive
            case _ where Self.isLintDirective(directive.name):
                continue
            default:
                throw PGMigrateError(.malformedMigration, "\(shownPath):\(directive.line): unknown directive `-- pgmigrate: \(directive.name)` (known: no-transaction, down, lint-ignore, lint-ignore-file)")
            }
        }
        var up = scanned.statements
        var downStatements: [SQLStatement]?
        if let down {
            up = scanned.statements.filter { $0.line < down.line }
            downStatements = scanned.statements.filter { $0.line > down.line }
            // A statement cannot straddle the marker: the marker is a top-level
            // comment, so a statement spanning it would start above and end below.
            let upBytes = Array(normalised[0..<down.lineStart])
            let reSplit = try? SQLSplitter.split(String(decoding: upBytes, as: UTF8.self))
            if reSplit != up {
                throw PGMigrateError(.malformedMigration, "\(shownPath):\(down.line): the statement above `-- pgmigrate: down` is not terminated with ;")
            }
        }
        if transactional {
            for statement in up + (downStatements ?? []) where Self.controlsTransaction(statement.text) {
                throw PGMigrateError(.malformedMigration, "\(shownPath):\(statement.line): transaction control (BEGIN/COMMIT/ROLLBACK) in a migration that pgmigrate runs in a transaction; remove it, or add `-- pgmigrate: no-transaction`")
            }
        }
        self.version = version
        self.name = name
        self.fileName = fileName
        self.path = shownPath
        self.checksum = Self.checksum(of: contents)
        self.transactional = transactional
        self.upStatements = up
        self.downStatements = downStatements
    }

    /// `lint-ignore RULE…` or `lint-ignore-file RULE…`: suppressions for
    /// `pgmigrate lint`, which checks their rule names and placement.
    public static func isLintDirective(_ name: String) -> Bool {
        for prefix in ["lint-ignore-file", "lint-ignore"] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            if rest.isEmpty || rest.first == " " || rest.first == "\t" { return true }
        }
        return false
    }

    /// Whether a statement begins, ends or aborts a transaction (which would
    /// break the one-transaction-per-migration guarantee).
    static func controlsTransaction(_ sql: String) -> Bool {
        var tokens = SQLTokens(sql)
        if tokens.keyword("begin") || tokens.keyword("start") || tokens.keyword("commit") || tokens.keyword("end")
            || tokens.keyword("abort")
        {
            return true
        }
        if tokens.keyword("rollback") { return !tokens.keyword("to") }
        return false
    }

    /// Reads every migration of a directory, ordered by version. Non-`.sql`
    /// and hidden files are ignored; a malformed name, a duplicate version, an
    /// unreadable or unsplittable file is an error (exit 65) naming the file.
    public static func load(directory: URL) throws -> [MigrationFile] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PGMigrateError(.malformedMigration, "cannot read migration directory \(directory.path): \(error.localizedDescription)")
        }
        var files: [MigrationFile] = []
        var byVersion: [Int64: String] = [:]
        for fileName in names.sorted() {
            guard try parseFileName(fileName) != nil else { continue }
            let url = directory.appendingPathComponent(fileName)
            let path = display(url, in: directory)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw PGMigrateError(.malformedMigration, "\(path): a directory, expected a migration file")
            }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw PGMigrateError(.malformedMigration, "\(path): cannot read the file")
            }
            let file = try MigrationFile(fileName: fileName, path: path, contents: [UInt8](data))
            if let other = byVersion[file.version] {
                throw PGMigrateError(.malformedMigration, "duplicate migration version \(file.version): \(other) and \(fileName)")
            }
            byVersion[file.version] = fileName
            files.append(file)
        }
        return files.sorted { $0.version < $1.version }
    }

    private static func display(_ url: URL, in directory: URL) -> String {
        let dir = directory.relativePath
        return dir == "." ? url.lastPathComponent : (dir.hasSuffix("/") ? dir : dir + "/") + url.lastPathComponent
    }
}
