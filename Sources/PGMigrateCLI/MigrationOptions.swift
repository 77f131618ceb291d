import ArgumentParser
import Foundation
import PGMigrateKit

/// Options every migration command takes: where the files are and how long
/// to wait for locks. The defaults are `MigratorOptions`' own, so a command
/// given none of these options (`PGMigrate.quickMigrate`) runs the same.
struct MigrationOptions: ParsableArguments {
    /// Where migration files are when `--dir` is not given.
    static let defaultDirectory = "sql"

    @Option(name: .customLong("dir"), help: ArgumentHelp("Directory of NNNN_name.sql migration files.", valueName: "path"))
    var directory = MigrationOptions.defaultDirectory

    @Option(help: ArgumentHelp("Seconds to wait for another migrator's lock before giving up (exit 5).", valueName: "seconds"))
    var lockWait: Double = MigratorOptions().lockWait

    @Option(help: ArgumentHelp("lock_timeout for each migration statement, in seconds.", valueName: "seconds"))
    var lockTimeout: Double = MigratorOptions().lockTimeout

    @Option(help: ArgumentHelp("Retries (with doubling backoff from 1s) of a migration that hit lock_timeout.", valueName: "n"))
    var lockRetries: Int = MigratorOptions().lockRetries

    @Option(help: ArgumentHelp("statement_timeout for migration statements in seconds; 0 means none.", valueName: "seconds"))
    var statementTimeout: Double = MigratorOptions().statementTimeout

    @Flag(help: "Warn instead of refusing when an applied migration's file is missing.")
    var allowMissing = false

    @Flag(help: "Apply pending files older than the newest applied one instead of refusing.")
    var allowOutOfOrder = false

    func validate() throws {
        guard lockWait >= 0, lockTimeout >= 0, statementTimeout >= 0 else {
            throw ValidationError("--lock-wait, --lock-timeout and --statement-timeout must not be negative")
        }
        guard lockRetries >= 0 else { throw ValidationError("--lock-retries must not be negative") }
    }

    var options: MigratorOptions {
        var options = MigratorOptions()
        options.lockWait = lockWait
        options.lockTimeout = lockTimeout
        options.lockRetries = lockRetries
        options.statementTimeout = statementTimeout
        options.allowMissingFiles = allowMissing
        options.allowOutOfOrder = allowOutOfOrder
        return options
    }

    func migrator(_ connection: ConnectionOptions) -> Migrator {
        Migrator(settings: connection.settings, directory: URL(fileURLWithPath: directory), options: options)
    }
}

extension Terminal {
    /// Prints a migrator event on stderr; warnings in yellow, success in green on a TTY.
    static func event(_ event: MigrationEvent) {
        var line = event.message
        if stderrIsTTY {
            switch event {
            case .applied, .rolledBack: line = "\u{1B}[32m" + line + "\u{1B}[0m"
            case .invalidIndexFound, .missingFile, .lockTimeoutRetry, .waitingForLock, .droppingInvalidIndex:
                line = "\u{1B}[33m" + line + "\u{1B}[0m"
            case .notice: break
            }
        }
        progress(line)
    }
}
