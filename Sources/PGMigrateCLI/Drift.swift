import ArgumentParser
import Dispatch
import Foundation
import PGMigrateKit
import SchemaModel

struct Drift: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the live schema with the model; exit 1 when they differ.",
        discussion: """
            Builds the model in a shadow database (pgmigrate_shadow_<hex> on the same server, dropped
            afterwards, also on error and Ctrl-C; or --shadow-url), reads both schemas from pg_catalog
            with the same inspector, and reports what is Missing (in the model, not the database),
            Extra (in the database, not the model) and Changed (expected vs actual).

            Exit codes: 0 no drift, 1 drift, 3 cannot connect, 4 a statement failed,
            5 refused (non-empty --shadow-url database), 64 usage.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var deployment: DeploymentOptions
    @Option(
        name: .customLong("shadow-url"),
        help: ArgumentHelp("An existing empty database to build the model in (instead of creating one).", valueName: "url"))
    var shadowURL: String?
    @Option(
        name: .customLong("ignore"),
        help: ArgumentHelp(
            "Drop differences whose object matches this glob (repeatable), e.g. 'table public.tmp_*' or 'index *.idx_scratch*'.",
            valueName: "pattern"))
    var ignore: [String] = []
    @Flag(help: "Print JSON.") var json = false
    @Flag(
        name: .customLong("no-cache"),
        help: "Build the shadow database even when the model's catalog is cached (PGMIGRATE_CACHE_DIR, else ~/.cache/pgmigrate/drift).")
    var noCache = false
    @Flag(help: "Print how long each step took to stderr (also PGMIGRATE_TIMINGS=1).") var timings = false

    func run() throws {
        let check = DriftCheck(
            catalog: try deployment.catalog(model), schema: model.schema, target: connection.settings,
            shadow: shadowURL.map { .existing(ConnectionSettings(conninfo: $0, source: .flag)) } ?? .temporary,
            ignore: ignore.map(GlobPattern.init), secretSettings: ModelRegistry.current.secretSettings(schema: model.schema),
            cache: noCache ? nil : DriftCache(directory: DriftCache.defaultDirectory()))
        let interrupt = ShadowCleanupOnInterrupt()
        let report = try check.run()
        interrupt.cancel()
        if json {
            try Terminal.json(DriftJSON(report))
        } else if report.hasDrift {
            Terminal.output(DriftText.render(
                report.changes, exposures: report.exposures, partitions: report.partitions, citusPlacement: report.citusPlacement))
        }
        if timings || ProcessInfo.processInfo.environment["PGMIGRATE_TIMINGS"] == "1" {
            Terminal.progress(report.timings.summary + "; model catalog cache: \(report.cache.rawValue)")
        }
        let ignored = report.ignored > 0 ? " (\(report.ignored) ignored)" : ""
        if report.hasDrift {
            let counts = DriftJSON.Summary(report.changes)
            var security = report.exposures.isEmpty ? "" : ", \(report.exposures.count) security"
            if !report.partitions.isEmpty { security += ", \(report.partitions.count) partition" }
            if !report.citusPlacement.isEmpty { security += ", \(report.citusPlacement.count) citus placement" }
            Terminal.progress(
                "drift: schema \(report.schema) in database \(report.database) differs from the model: "
                    + "\(counts.missing) missing, \(counts.extra) extra, \(counts.changed) changed\(security)\(ignored)")
            throw ExitCode(ExitStatus.differences.rawValue)
        }
        Terminal.progress("no drift: schema \(report.schema) in database \(report.database) matches the model\(ignored)")
    }
}

/// Drops any shadow database still registered when Ctrl-C (or SIGTERM)
/// arrives, then exits 130 (143).
final class ShadowCleanupOnInterrupt {
    private var sources: [DispatchSourceSignal] = []

    init() {
        for (signalNumber, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let dropped = ActiveShadows.shared.dropAll()
                if !dropped.isEmpty { Terminal.progress("interrupted: dropped \(dropped.joined(separator: ", "))") }
                Foundation.exit(status)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// The human report, pgTAP-style: Missing, Extra, Changed, grouped by object.
enum DriftText {
    static func render(
        _ changes: [SchemaChange], exposures: [SecretExposure] = [], partitions: [PartitionFinding] = [],
        citusPlacement: [PartitionFinding] = []
    ) -> String {
        var missing: [String] = []
        var extra: [String] = []
        var changed: [(SchemaObject, [String])] = []
        for change in changes {
            switch change {
            case .missing(let object, let definition):
                missing.append("  \(object)\n      \(definition)")
            case .extra(let object, let definition):
                extra.append("  \(object)\n      \(definition)")
            case .changed(let object, let attribute, let expected, let actual):
                let lines = ["    \(attribute.rawValue):", "      expected: \(expected)", "      actual:   \(actual)"]
                if let last = changed.last, last.0 == object {
                    changed[changed.count - 1].1 += lines
                } else {
                    changed.append((object, lines))
                }
            }
        }
        var sections: [String] = []
        if !missing.isEmpty { sections.append("Missing (in the model, not in the database):\n" + missing.joined(separator: "\n")) }
        if !extra.isEmpty { sections.append("Extra (in the database, not in the model):\n" + extra.joined(separator: "\n")) }
        if !changed.isEmpty {
            sections.append("Changed:\n" + changed.map { "  \($0.0)\n" + $0.1.joined(separator: "\n") }.joined(separator: "\n"))
        }
        if !exposures.isEmpty {
            sections.append("Security (secrets other roles can read):\n" + exposures.map { "  \($0)" }.joined(separator: "\n"))
        }
        if !partitions.isEmpty {
            sections.append("Partitions:\n" + partitions.map { "  \($0)" }.joined(separator: "\n"))
        }
        if !citusPlacement.isEmpty {
            sections.append("Citus placement:\n" + citusPlacement.map { "  \($0)" }.joined(separator: "\n"))
        }
        return sections.joined(separator: "\n\n")
    }
}

/// `--json`: stable keys, one entry per difference.
struct DriftJSON: Encodable {
    struct Difference: Encodable {
        let change: String
        let kind: String
        let object: String
        let table: String?
        let attribute: String?
        let expected: String?
        let actual: String?
    }
    struct Summary: Encodable {
        var missing = 0, extra = 0, changed = 0
        init(_ changes: [SchemaChange]) {
            for change in changes {
                switch change {
                case .missing: missing += 1
                case .extra: extra += 1
                case .changed: changed += 1
                }
            }
        }
    }

    let drift: Bool
    let schema: String
    let database: String
    let differences: [Difference]
    let summary: Summary
    let ignored: Int
    let timingsMs: DriftTimings
    /// Secret settings stored where other roles can read them.
    let security: [SecretExposure]
    /// "hit", "miss" or "off": whether the model's catalog came from the cache.
    let cache: String
    /// Problems with the partitions of time-partitioned tables.
    let partitions: [PartitionFinding]
    /// Tables placed otherwise than the Citus layout says (`--target citus`).
    let citusPlacement: [PartitionFinding]

    init(_ report: DriftReport) {
        security = report.exposures
        partitions = report.partitions
        citusPlacement = report.citusPlacement
        drift = report.hasDrift
        schema = report.schema
        database = report.database
        ignored = report.ignored
        timingsMs = report.timings
        cache = report.cache.rawValue
        summary = Summary(report.changes)
        differences = report.changes.map { change in
            let object = change.object
            switch change {
            case .missing(_, let definition):
                return Difference(
                    change: "missing", kind: object.kind.rawValue, object: object.name, table: object.table?.description,
                    attribute: nil, expected: definition, actual: nil)
            case .extra(_, let definition):
                return Difference(
                    change: "extra", kind: object.kind.rawValue, object: object.name, table: object.table?.description,
                    attribute: nil, expected: nil, actual: definition)
            case .changed(_, let attribute, let expected, let actual):
                return Difference(
                    change: "changed", kind: object.kind.rawValue, object: object.name, table: object.table?.description,
                    attribute: attribute.rawValue, expected: expected, actual: actual)
            }
        }
    }
}
