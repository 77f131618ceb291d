import ArgumentParser
import PGMigrateKit

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show applied, pending and dirty migrations and whether applied files changed.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migration: MigrationOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let report = try migration.migrator(connection).status()
        if json {
            try Terminal.json(report)
            return
        }
        var lines = ["database \(report.database): version \(report.currentVersion.map(String.init) ?? "none"), \(report.pendingCount) pending, \(report.dirtyCount) dirty, \(report.changedCount) changed or missing"]
        for row in report.migrations {
            let identifier = row.file ?? "\(row.version)_\(row.name) (file missing)"
            var line = "  \(row.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(identifier)"
            switch row.checksum {
            case .changed: line += "  [EDITED after it was applied]"
            case .missingFile: line += "  [FILE MISSING]"
            case .ok, .none: break
            }
            if let failure = row.failure { line += "  (\(failure))" }
            lines.append(line)
        }
        for index in report.invalidIndexes {
            lines.append("  invalid index \(index.qualifiedName) on \(index.table)")
        }
        Terminal.output(lines.joined(separator: "\n"))
    }
}
