import ArgumentParser
import Foundation
import PGMigrateKit

/// Options every database command takes.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "postgres:// URL or libpq conninfo string.",
            discussion: "Defaults to DATABASE_URL, then libpq's PG* variables.",
            valueName: "url"))
    var databaseURL: String?

    var settings: ConnectionSettings {
        ConnectionSettings.resolve(flag: databaseURL, environment: ProcessInfo.processInfo.environment)
    }
}

/// stdout for results, stderr for progress and errors; color only on a TTY.
enum Terminal {
    static let stderrIsTTY = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    static func error(_ message: String) {
        let prefix = stderrIsTTY ? "\u{1B}[31mpgmigrate: error:\u{1B}[0m " : "pgmigrate: error: "
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
    }

    static func progress(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Encodes a value as pretty, key-sorted JSON on stdout.
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        output(String(decoding: data, as: UTF8.self))
    }
}

/// "1 row", "2 rows".
func counted(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
}
