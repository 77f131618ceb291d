import ArgumentParser
import PGMigrateKit

struct Baseline: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mark an existing database as at VERSION without running anything.",
        discussion: "Records every file with a version up to VERSION as baselined. Refuses (exit 5) when the ledger is not empty.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migration: MigrationOptions
    @Argument(help: "The version the database already has.") var version: Int64
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let entries = try migration.migrator(connection).baseline(version)
        if json {
            try Terminal.json(entries)
        } else {
            Terminal.output("baselined \(entries.count) migration(s) up to version \(version)")
        }
    }
}
