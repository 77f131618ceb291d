import ArgumentParser
import Foundation
import PGMigrateKit

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the migration that locks production or fails half-way, before it runs.",
        discussion: """
            Lints the pending files of --dir (those the database has not applied, when DATABASE_URL or
            --database-url reaches one), else every file, or the FILEs named (each read after the
            files of --dir with a lower version). Output: file:line:col: level: [rule] message.
            --trace runs the files as migrate would on a scratch database holding the replay of the
            earlier files and reports the locks, rewrites and errors each statement caused.
            Exit: 0 clean (warnings allowed), 1 an error (or a warning with --strict),
            3 cannot connect (--trace), 4 the trace's setup failed, 64 usage, 65 unreadable file.
            Suppress with `-- pgmigrate: lint-ignore RULE[, RULE] -- reason` above a statement or
            `-- pgmigrate: lint-ignore-file RULE` in the header. Rules: --list-rules.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, github }

    @Option(name: .customLong("dir"), help: ArgumentHelp("Directory of NNNN_name.sql migration files.", valueName: "path"))
    var directory = MigrationOptions.defaultDirectory
    @Argument(help: "Files to lint (default: the pending files of --dir).") var files: [String] = []
    @Flag(help: "Lint every file of --dir, without asking a database which are pending.") var all = false
    @Flag(help: "Shortcut for --format json.") var json = false
    @Option(help: "Output: text (file:line:col), json or github (workflow annotations).") var format: Format = .text
    @Flag(help: "Exit 1 on warnings too.") var strict = false
    @Option(name: .customLong("pg-version"), help: ArgumentHelp("PostgreSQL version the files will run on (e.g. 14.2); default: the server's, else 17.", valueName: "version"))
    var pgVersion: String?
    @Flag(help: "Run the files on a scratch database and report real locks, rewrites and errors (needs a server).")
    var trace = false
    @Option(help: ArgumentHelp("lock_timeout for --trace, in seconds (as migrate).", valueName: "seconds")) var lockTimeout: Double = 5
    @Option(help: ArgumentHelp("statement_timeout for --trace in seconds; 0 means none.", valueName: "seconds")) var statementTimeout: Double = 0
    @Flag(help: "Print the rules (id, level, hazards, why) and exit.") var listRules = false
    @Flag(help: "Print the time spent reading and linting (also PGMIGRATE_TIMINGS=1).") var timings = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let pgVersion, Linter.parseVersion(pgVersion) == nil {
            throw ValidationError("--pg-version \(pgVersion): expected a PostgreSQL version such as 14.2 or 16")
        }
        if trace && all { throw ValidationError("--trace lints the pending files of a database; drop --all") }
        guard lockTimeout >= 0, statementTimeout >= 0 else { throw ValidationError("timeouts must not be negative") }
    }

    func run() throws {
        if listRules {
            if json || format == .json {
                try Terminal.json(LintRules.all)
            } else {
                Terminal.output(LintRules.all.map { rule in
                    "\(rule.id.padding(toLength: 36, withPad: " ", startingAt: 0)) \(rule.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(rule.hazards.map(\.rawValue).joined(separator: ",").padding(toLength: 60, withPad: " ", startingAt: 0)) \(rule.why)"
                }.joined(separator: "\n"))
            }
            return
        }
        var request = LintRequest(directory: URL(fileURLWithPath: directory))
        request.files = files
        request.all = all
        request.serverVersion = pgVersion.flatMap(Linter.parseVersion)
        request.trace = trace
        request.lockTimeout = lockTimeout
        request.statementTimeout = statementTimeout
        // Without --trace, a database is asked only when one is named.
        let environment = ProcessInfo.processInfo.environment
        if trace || connection.databaseURL != nil || !(environment["DATABASE_URL"] ?? "").isEmpty {
            request.settings = connection.settings
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let report = try LintRun.run(request, note: Terminal.progress)
        if timings || environment["PGMIGRATE_TIMINGS"] == "1" {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
            Terminal.progress(String(format: "timings: lint %.1f ms (reading, splitting, linting%@)", elapsed, trace ? ", tracing" : ""))
        }
        switch json ? .json : format {
        case .json: try Terminal.json(report)
        case .github: if !report.findings.isEmpty { Terminal.output(report.githubStyle) }
        case .text: if !report.findings.isEmpty { Terminal.output(report.compilerStyle) }
        }
        Terminal.progress(report.summaryLine)
        let status = report.exitStatus(strict: strict)
        if status != 0 { throw ExitCode(status) }
    }
}
