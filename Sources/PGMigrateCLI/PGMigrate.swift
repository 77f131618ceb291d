import ArgumentParser
import Foundation
import PGMigrateKit
import SchemaModel

/// The pgmigrate command line over a model: `PGMigrate.main(provider:)`.
public struct PGMigrate: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "pgmigrate",
        abstract: "PostgreSQL-native schema toolkit and migrator.",
        discussion: """
            Connection: --database-url, else DATABASE_URL, else libpq's PG* variables.

            Exit codes:
            \(ExitStatus.allCases.map { "  \($0.rawValue)\t\($0.summary)" }.joined(separator: "\n"))
            """,
        version: PGMigrateVersion.current,
        subcommands: [
            Ping.self, Migrate.self, Status.self, Plan.self, Baseline.self, Rollback.self, Repair.self,
            Drift.self, Schema.self, Generate.self, New.self, Lint.self, Purge.self, Maintain.self, Erase.self, RotatePhoneKey.self, TypeScript.self,
        ]
    )

    /// The commands cron and CI run most, parsed on their own: building the
    /// whole command tree (every subcommand's configuration and options) costs
    /// more CPU than a `migrate` with nothing to do. Anything that does not
    /// parse this way (help, a usage error) is parsed again from the root, so
    /// messages are the same as before.
    static func directParse() -> ParsableCommand? {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let direct: [String: ParsableCommand.Type] = ["migrate": Migrate.self, "up": Migrate.self, "drift": Drift.self, "purge": Purge.self]
        guard let name = arguments.first, let type = direct[name],
            !arguments.contains(where: { $0 == "--help" || $0 == "-h" || $0 == "help" || $0.hasPrefix("--generate-completion") })
        else { return nil }
        return try? type.parse(Array(arguments.dropFirst()))
    }

    /// Runs the command over `provider`'s model; every error becomes one
    /// line on stderr and an exit code.
    public static func main(provider: any SchemaProvider) {
        ModelRegistry.set(provider)
        do {
            var command = try directParse() ?? parseAsRoot()
            try command.run()
        } catch let error as PGMigrateError {
            Terminal.error(error.message)
            Foundation.exit(error.status.rawValue)
        } catch let code as ExitCode {
            // A command that has already said what it found (drift, checks).
            Foundation.exit(code.rawValue)
        } catch {
            // --help and --version print and exit 0 as the parser does.
            guard exitCode(for: error) != .success else { exit(withError: error) }
            // Usage errors: one line, naming what was wrong and where to read more.
            let help = fullMessage(for: error).split(separator: "\n")
                .first { $0.contains("--help' for more information") }
                .flatMap { line in line.range(of: "'").map { line[$0.lowerBound...] } }
                .map { $0.replacingOccurrences(of: " for more information.", with: "") }
            Terminal.error(message(for: error) + (help.map { " (see \($0))" } ?? ""))
            Foundation.exit(exitCode(for: error).rawValue)
        }
    }
}
