import ArgumentParser
import PGMigrateKit

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve a dirty or edited migration in the ledger.",
        discussion: """
            --mark-applied: a dirty migration was finished by hand; record it as applied.
            --forget: delete a dirty migration's row; the next migrate runs the whole file again.
            --accept-checksum: an applied file was edited on purpose; store its new checksum.
            """)

    enum Action: String, EnumerableFlag {
        case markApplied, forget, acceptChecksum
    }

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migration: MigrationOptions
    @Argument(help: "The migration version to repair.") var version: Int64
    @Flag(exclusivity: .exclusive) var action: Action

    func run() throws {
        let kitAction: RepairAction
        switch action {
        case .markApplied: kitAction = .markApplied
        case .forget: kitAction = .forget
        case .acceptChecksum: kitAction = .acceptChecksum
        }
        Terminal.output(try migration.migrator(connection).repair(version, action: kitAction))
    }
}
