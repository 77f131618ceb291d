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

    /// `migrate` (or `up`) as cron, CI and deploy scripts call it: with at
    /// most `--dir`, `--database-url` and `--json`, each at most once, with
    /// values that are not empty and do not start with `-`. Read without
    /// ArgumentParser, whose reflection over the command's options costs
    /// about as much CPU as the rest of a `migrate` with nothing to do; the
    /// values are the ones the parsed command would get, and everything else
    /// (other options, `--help`, usage errors) is nil and parsed as before.
    static func quickMigrate(_ arguments: [String]) -> (directory: String, databaseURL: String?, json: Bool)? {
        guard let name = arguments.first, name == "migrate" || name == "up" else { return nil }
        var directory: String?
        var databaseURL: String?
        var json = false
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            if argument == "--json" {
                guard !json else { return nil }
                json = true
                continue
            }
            let option: Substring
            let value: String
            if let equals = argument.firstIndex(of: "=") {
                option = argument[..<equals]
                value = String(argument[argument.index(after: equals)...])
            } else {
                guard let next = rest.popFirst() else { return nil }
                option = argument[...]
                value = next
            }
            guard !value.isEmpty, !value.hasPrefix("-") else { return nil }
            if option == "--dir", directory == nil {
                directory = value
            } else if option == "--database-url", databaseURL == nil {
                databaseURL = value
            } else {
                return nil
            }
        }
        return (directory ?? MigrationOptions.defaultDirectory, databaseURL, json)
    }

    /// Runs the command over `provider`'s model; every error becomes one
    /// line on stderr and an exit code.
    public static func main(provider: any SchemaProvider) {
        ModelRegistry.set(provider)
        do {
            if let quick = quickMigrate(Array(CommandLine.arguments.dropFirst())) {
                let settings = ConnectionSettings.resolve(
                    flag: quick.databaseURL, databaseURL: getenv("DATABASE_URL").map { String(cString: $0) })
                let migrator = Migrator(settings: settings, directory: URL(fileURLWithPath: quick.directory), options: MigratorOptions())
                return try Migrate.run(migrator, target: nil, json: quick.json)
            }
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
