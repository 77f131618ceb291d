import ArgumentParser
import PGMigrateKit

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations.",
        discussion: """
            Takes the migration lock, refuses if an applied file was edited, is missing or \
            the ledger is dirty (exit 5), then applies each pending file in its own \
            transaction with its ledger row. A failure rolls back and names file:line, \
            SQLSTATE, message and hint (exit 4). Files with `-- pgmigrate: no-transaction` \
            run statement by statement and are recorded dirty if they fail.
            """,
        aliases: ["up"])

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migration: MigrationOptions
    @Option(help: ArgumentHelp("Stop after this version.", valueName: "version")) var target: Int64?
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        try Self.run(migration.migrator(connection), target: target, json: json)
    }

    /// Applies and prints: the parsed command and `PGMigrate.quickMigrate` alike.
    static func run(_ migrator: Migrator, target: Int64?, json: Bool) throws {
        let report = try migrator.migrate(target: target, progress: Terminal.event)
        if json {
            try Terminal.json(report)
        } else if report.applied.isEmpty {
            Terminal.output("nothing to apply; database at version \(report.currentVersion.map(String.init) ?? "none")")
        } else {
            Terminal.output("applied \(report.applied.count) migration(s); database at version \(report.currentVersion.map(String.init) ?? "none")")
        }
    }
}
