import ArgumentParser
import PGMigrateKit

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the SQL that migrate would run, in order; applies nothing.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migration: MigrationOptions
    @Option(help: ArgumentHelp("Stop after this version.", valueName: "version")) var target: Int64?
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let plan = try migration.migrator(connection).plan(target: target)
        if json {
            try Terminal.json(plan)
        } else if plan.steps.isEmpty {
            Terminal.output("-- nothing to apply")
        } else {
            Terminal.output(plan.sql)
        }
    }
}
