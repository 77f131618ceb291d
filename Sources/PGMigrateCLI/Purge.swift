import ArgumentParser
import Foundation
import PGMigrateKit
import SchemaModel

struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the retention rules (archive, delete, clear, anonymise) in short batches.",
        discussion: """
            Rules: \(ModelRegistry.current.retention(schema: ModelRegistry.current.defaultSchema).map { "\($0.name) (\($0.comment))" }.joined(separator: "; "))

            A second purge started while one runs exits 0 at once, saying so (use --wait to wait).
            Each batch is its own transaction and skips rows locked by others.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var model: ModelOptions
    @Option(help: "Rows per batch (each batch is one short transaction).") var batchSize = 500
    @Flag(help: "Count what would change; change nothing.") var dryRun = false
    @Option(help: "Stop cleanly between batches after this many seconds.") var maxRuntime: Double?
    @Option(name: .customLong("rule"), help: "Run only this rule (repeatable).") var rules: [String] = []
    @Flag(help: "Wait for a running purge to finish instead of exiting.") var wait = false
    @Option(help: "Append the URLs of cleared recordings to this file (flushed before each batch commits).")
    var recordingsOut: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if batchSize <= 0 { throw ValidationError("--batch-size must be positive") }
        if let maxRuntime, maxRuntime <= 0 { throw ValidationError("--max-runtime must be positive") }
    }

    func run() throws {
        var options = Purger.Options()
        options.batchSize = batchSize
        options.dryRun = dryRun
        options.maxRuntime = maxRuntime.map { .milliseconds(Int($0 * 1000)) }
        options.rules = rules
        options.waitForLock = wait
        options.recordingsOut = recordingsOut.map { URL(fileURLWithPath: $0) }
        let purger = Purger(
            settings: connection.settings, rules: model.provider.retention(schema: model.schema), options: options,
            catalog: model.provider.catalog(schema: model.schema))
        let meter = PurgeProgressLine(enabled: !json && !dryRun && isatty(STDERR_FILENO) == 1)
        let outcome = try purger.run(progress: { report in
            meter.finish()
            guard !json else { return }
            let verb = dryRun ? "would be \(report.action)" : report.action
            var line = "\(report.rule): \(counted(report.rows, "row")) \(verb)"
            if !dryRun {
                line += " in \(counted(report.batches, "batch", "batches")) (\(report.milliseconds) ms, longest batch \(report.longestBatchMilliseconds) ms)"
            }
            if !report.partitions.isEmpty {
                line += ", \(counted(report.partitionRows, "row")) of them in \(counted(report.partitions.count, "whole partition"))"
            }
            if report.stoppedEarly {
                line = report.batches == 0 && !dryRun
                    ? "\(report.rule): not run, --max-runtime reached"
                    : line + " — stopped at --max-runtime, more may remain"
            }
            Terminal.output(line)
        }, batchDone: meter.update)
        switch outcome {
        case .lockHeldElsewhere:
            // The same shape as a run that found nothing to do: an array of
            // rule reports, here empty, so a cron job parses one format.
            if json { try Terminal.json([Purger.RuleReport]()) }
            Terminal.progress("another purge is running (advisory lock held); nothing to do")
        case .ran(let reports):
            if json { try Terminal.json(reports) }
        }
    }
}

/// On a terminal, a rule that has run for more than a second shows one
/// progress line on stderr (rows done, rate, elapsed), redrawn at most four
/// times a second and erased when the rule ends. Nothing when stderr is not
/// a terminal or with --json. `PGMIGRATE_PROGRESS_AFTER_MS` changes the
/// one-second threshold (the tests use 0).
final class PurgeProgressLine {
    private let enabled: Bool
    private let after: Duration
    private var shown = false
    private var lastDraw: Duration = .zero

    init(enabled: Bool) {
        self.enabled = enabled
        let override = ProcessInfo.processInfo.environment["PGMIGRATE_PROGRESS_AFTER_MS"].flatMap { Int($0) }
        after = .milliseconds(max(0, override ?? 1000))
    }

    func update(_ progress: Purger.BatchProgress) {
        guard enabled, progress.elapsed >= after, !shown || progress.elapsed - lastDraw >= .milliseconds(250) else { return }
        let seconds = Double(progress.elapsed.components.seconds) + Double(progress.elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int(Double(progress.rows) / seconds) : 0
        let text = "\(progress.rule): \(progress.rows) rows, \(rate) rows/s, \(String(format: "%.1f", seconds)) s"
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        shown = true
        lastDraw = progress.elapsed
    }

    func finish() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
        lastDraw = .zero
    }
}
