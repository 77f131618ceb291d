import Foundation
import PQClient

/// What `pgmigrate lint` was asked to do.
public struct LintRequest: Sendable {
    public var directory: URL
    /// Files named on the command line; empty: the directory's pending files
    /// (or all of them without a reachable database, or with `all`).
    public var files: [String] = []
    public var all = false
    /// `--pg-version`; else the server's when a database is reachable.
    public var serverVersion: Int?
    /// A database to read the ledger (and server version) from; nil: none.
    public var settings: ConnectionSettings?
    public var trace = false
    public var lockTimeout: Double = 5
    public var statementTimeout: Double = 0

    public init(directory: URL) { self.directory = directory }
}

/// What `pgmigrate lint` found, for the three output formats.
public struct LintReport: Codable, Sendable {
    public struct Summary: Codable, Sendable, Hashable {
        public var errors = 0
        public var warnings = 0
        public var notes = 0
    }

    /// `pending`, `all` or `named`.
    public let selection: String
    public let files: [String]
    public let serverVersion: String
    public let traced: Bool
    public let findings: [LintFinding]
    public let summary: Summary

    init(selection: String, files: [String], serverVersion: Int, traced: Bool, findings: [LintFinding]) {
        self.selection = selection
        self.files = files
        self.serverVersion = Linter.versionText(serverVersion)
        self.traced = traced
        self.findings = findings
        var summary = Summary()
        for finding in findings {
            switch finding.level {
            case .error: summary.errors += 1
            case .warning: summary.warnings += 1
            case .note: summary.notes += 1
            }
        }
        self.summary = summary
    }

    /// 1 when there is an error (or, with `strict`, a warning), else 0.
    public func exitStatus(strict: Bool) -> Int32 {
        summary.errors > 0 || (strict && summary.warnings > 0) ? ExitStatus.differences.rawValue : ExitStatus.ok.rawValue
    }

    public var compilerStyle: String {
        findings.map(\.compilerStyle).joined(separator: "\n")
    }

    /// GitHub workflow commands: one annotation per finding.
    public var githubStyle: String {
        func escapeData(_ s: String) -> String {
            s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
                .replacingOccurrences(of: "\n", with: "%0A")
        }
        func escapeProperty(_ s: String) -> String {
            escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
        }
        return findings.map { f in
            "::\(f.level == .note ? "notice" : f.level.rawValue) file=\(escapeProperty(f.file)),line=\(f.line),col=\(f.column),title=\(escapeProperty("pgmigrate lint [\(f.rule)]"))::\(escapeData(f.message))"
        }.joined(separator: "\n")
    }

    public var summaryLine: String {
        "lint: \(files.count) file(s) (\(selection), PostgreSQL \(serverVersion)\(traced ? ", traced" : "")): \(summary.errors) error(s), \(summary.warnings) warning(s)\(summary.notes > 0 ? ", \(summary.notes) note(s)" : "")"
    }
}

public enum LintRun {
    /// Every migration file of a directory, by version (names checked as `migrate` does).
    public static func sources(in directory: URL) throws -> [LintSource] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PGMigrateError(.dataError, "cannot read migration directory \(directory.path): \(error.localizedDescription)")
        }
        var out: [LintSource] = []
        for name in names.sorted() where try MigrationFile.parseFileName(name) != nil {
            let dir = directory.relativePath
            let path = dir == "." ? name : (dir.hasSuffix("/") ? dir : dir + "/") + name
            out.append(try LintSource(path: path))
        }
        return out.sorted { ($0.version, $0.fileName) < ($1.version, $1.fileName) }
    }

    /// Runs the lint; `note` receives one-line remarks for stderr.
    public static func run(_ request: LintRequest, note: (String) -> Void = { _ in }) throws -> LintReport {
        var version = request.serverVersion
        var appliedVersions: Set<Int64>?
        if let settings = request.settings, request.trace || (!request.all && request.files.isEmpty) || version == nil {
            do {
                let connection = try settings.connect(applicationName: "pgmigrate lint")
                if version == nil { version = connection.serverVersionNumber }
                if try Ledger.exists(connection) {
                    appliedVersions = Set(try Ledger.entries(connection).map(\.version))
                } else {
                    appliedVersions = []
                }
            } catch let error as PGMigrateError where error.status == .connection && !request.trace {
                note("lint: no database reachable (\(error.message.split(separator: "\n").first ?? "")); linting every file without it")
            } catch let error as PQError {
                throw PGMigrateError.from(error, while: "reading the migration ledger")
            }
        }
        let serverVersion = version ?? Linter.defaultServerVersion
        let directorySources = try sources(in: request.directory)
        var linted: [LintedFile] = []
        var earlier: [LintSource] = []
        let selection: String
        if !request.files.isEmpty {
            selection = "named"
            let named = try request.files.map { try LintSource(path: $0) }
            let namedPaths = Set(named.map { URL(fileURLWithPath: $0.path).standardizedFileURL.path })
            let context = directorySources.filter { !namedPaths.contains(URL(fileURLWithPath: $0.path).standardizedFileURL.path) }
            if let first = named.map(\.version).min() { earlier = context.filter { $0.version < first } }
            for source in named {
                var linter = Linter(serverVersion: serverVersion)
                for before in context where before.version < source.version { try linter.absorb(before) }
                linted.append(try linter.lint(source))
            }
        } else {
            var linter = Linter(serverVersion: serverVersion)
            let pending: [LintSource]
            if let applied = appliedVersions, !request.all {
                selection = "pending"
                earlier = directorySources.filter { applied.contains($0.version) }
                pending = directorySources.filter { !applied.contains($0.version) }
            } else {
                selection = "all"
                pending = directorySources
            }
            for source in earlier { try linter.absorb(source) }
            for source in pending { linted.append(try linter.lint(source)) }
        }
        if request.trace, let settings = request.settings {
            var tracer = LintTracer(settings: settings)
            tracer.lockTimeout = request.lockTimeout
            tracer.statementTimeout = request.statementTimeout
            try tracer.trace(&linted, earlier: earlier)
        }
        return LintReport(
            selection: selection, files: linted.map(\.source.path), serverVersion: serverVersion,
            traced: request.trace, findings: linted.flatMap { $0.findings() })
    }
}
