import Foundation
import PQClient

/// Where to connect, resolved the way libpq users expect: `--database-url`,
/// then `DATABASE_URL`, then libpq's own `PG*` variables.
public struct ConnectionSettings: Sendable, Hashable {
    public enum Source: String, Sendable { case flag = "--database-url", environment = "DATABASE_URL", libpq = "PG* environment" }

    /// A URL or conninfo string; `nil` leaves everything to libpq's `PG*` variables.
    public let conninfo: String?
    public let source: Source
    /// Settings sent in the startup packet of every connection made from
    /// these settings (see `StartupSetting`): how secrets reach the server
    /// without being statement text.
    public private(set) var startupSettings: [StartupSetting] = []

    public init(conninfo: String?, source: Source) {
        self.conninfo = conninfo
        self.source = source
    }

    /// The same settings, with `setting` sent at connection start
    /// (replacing an earlier value of the same name).
    public func adding(_ setting: StartupSetting) -> ConnectionSettings {
        var copy = self
        copy.startupSettings.removeAll { $0.name == setting.name }
        copy.startupSettings.append(setting)
        return copy
    }

    public static func resolve(flag: String?, environment: [String: String]) -> ConnectionSettings {
        resolve(flag: flag, databaseURL: environment["DATABASE_URL"])
    }

    /// `resolve(flag:environment:)` given the one variable it reads,
    /// `DATABASE_URL` (nil when unset).
    public static func resolve(flag: String?, databaseURL: String?) -> ConnectionSettings {
        if let flag, !flag.isEmpty { return ConnectionSettings(conninfo: flag, source: .flag) }
        if let url = databaseURL, !url.isEmpty {
            return ConnectionSettings(conninfo: url, source: .environment)
        }
        return ConnectionSettings(conninfo: nil, source: .libpq)
    }

    /// Opens a connection; failures become a one-line `PGMigrateError` (exit 3).
    public func connect(applicationName: String = "pgmigrate") throws -> Connection {
        do {
            return try Connection(conninfo, applicationName: applicationName, startupSettings: startupSettings)
        } catch let error as PQError where error.kind == .usage {
            // A malformed URL or key=value string: the user's input, not the server.
            throw PGMigrateError(.badConnectionString, "\(source.rawValue): \(error.message)", underlying: error)
        } catch let error as PQError {
            throw PGMigrateError(.connectionFailed, "cannot connect (\(source.rawValue)): \(error.message)", underlying: error)
        }
    }

    /// The same server with another database: for test and shadow databases.
    /// URLs get a new path; conninfo strings a trailing `dbname=` (the last
    /// value of a keyword wins).
    public func withDatabase(_ name: String) -> ConnectionSettings {
        var copy = withDatabaseName(name)
        copy.startupSettings = startupSettings
        return copy
    }

    private func withDatabaseName(_ name: String) -> ConnectionSettings {
        guard let conninfo, !conninfo.isEmpty else {
            return ConnectionSettings(conninfo: "dbname=\(Self.conninfoQuote(name))", source: source)
        }
        if conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://"),
            let schemeEnd = conninfo.range(of: "://")?.upperBound
        {
            let rest = conninfo[schemeEnd...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let query = rest[authorityEnd...].firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
            let encoded = name.addingPercentEncoding(withAllowedCharacters: Self.pathSafe) ?? name
            return ConnectionSettings(
                conninfo: String(conninfo[..<authorityEnd]) + "/" + encoded + query, source: source)
        }
        return ConnectionSettings(conninfo: conninfo + " dbname=" + Self.conninfoQuote(name), source: source)
    }

    private static let pathSafe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")

    static func conninfoQuote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// The connection string with any password replaced by `***`, for logs.
    public var redacted: String {
        guard let conninfo else { return "(PG* environment)" }
        return Self.redact(conninfo)
    }

    static func redact(_ conninfo: String) -> String {
        if let scheme = conninfo.range(of: "://") {
            let rest = conninfo[scheme.upperBound...]
            guard let at = rest.firstIndex(of: "@") else { return conninfo }
            let userinfo = rest[..<at]
            guard let colon = userinfo.firstIndex(of: ":") else { return conninfo }
            return String(conninfo[..<scheme.upperBound]) + userinfo[..<colon] + ":***" + rest[at...]
        }
        // key=value form: hide password=… (quoted or not).
        var out = ""
        var remaining = Substring(conninfo)
        while let range = remaining.range(of: "password") {
            out += remaining[..<range.upperBound]
            remaining = remaining[range.upperBound...]
            let trimmed = remaining.drop(while: { $0 == " " })
            guard trimmed.first == "=" else { continue }
            var value = trimmed.dropFirst().drop(while: { $0 == " " })
            if value.first == "'" {
                value = value.dropFirst()
                var escaped = false
                while let c = value.first {
                    value = value.dropFirst()
                    if escaped { escaped = false; continue }
                    if c == "\\" { escaped = true; continue }
                    if c == "'" { break }
                }
            } else {
                value = value.drop(while: { $0 != " " })
            }
            out += "=***"
            remaining = value
        }
        return out + remaining
    }
}
