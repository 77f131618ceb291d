import ArgumentParser
import PGMigrateKit

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Undo the newest applied migration with its `-- pgmigrate: down` part.",
        discussion: "Runs the down part and deletes the ledger row in one transaction. Refuses (exit 5) when the migration has no down part, was baselined or edited, or the ledger is dirty.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migration: MigrationOptions
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let undone = try migration.migrator(connection).rollback(progress: Terminal.event)
        if json {
            try Terminal.json(undone)
        } else {
            Terminal.output("rolled back \(undone.identifier)")
        }
    }
}
