import Foundation
import PQClient
import SchemaModel

/// A cache of the catalog the model normalises to on a given server: what
/// the shadow database reads back after the model's SQL is applied to it.
///
/// That catalog depends only on what goes into the shadow and on the server
/// that builds it, so it is keyed by all of it (SHA-256 of the text below),
/// and a copy made under any other condition is never found:
/// - the builder's SQL (the rendered model) and the inspection scope (schema,
///   external tables, roles);
/// - the server: `version()`, `server_version_num`, every available
///   extension with its default version (what `CREATE EXTENSION` installs),
///   template0's encoding and locale (the shadow is created from it), and
///   the role that builds it (it owns what it creates);
/// - pgmigrate itself: its version, the cache format, and the path, size and
///   modification time of the running executable (a rebuilt inspector never
///   reads an older build's copy).
///
/// Files live in `PGMIGRATE_CACHE_DIR`, else `$XDG_CACHE_HOME/pgmigrate/drift`,
/// else `~/.cache/pgmigrate/drift`, one JSON file per key, written atomically.
/// Anything unreadable is a miss; a failed write is ignored (drift then just
/// builds the shadow next time too).
public struct DriftCache: Sendable {
    public var directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// Bumped whenever the file format or the key's ingredients change.
    static let format = 1

    /// The default location (see the type's documentation).
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["PGMIGRATE_CACHE_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir, isDirectory: true)
        }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("pgmigrate/drift", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/pgmigrate/drift", isDirectory: true)
    }

    /// What the server contributes to the key, read in one query.
    static let serverFactsQuery = """
        SELECT concat_ws(E'\\n',
            'version=' || pg_catalog.version(),
            'server_version_num=' || pg_catalog.current_setting('server_version_num'),
            'user=' || current_user,
            'template0=' || (SELECT pg_catalog.pg_encoding_to_char(encoding) || '/' || datcollate || '/' || datctype
                             FROM pg_catalog.pg_database WHERE datname = 'template0'),
            'extensions=' || (SELECT pg_catalog.string_agg(name || ' ' || coalesce(default_version, '-'), ',' ORDER BY name)
                              FROM pg_catalog.pg_available_extensions))
        """

    /// The key's full text (hashed for the file name).
    static func keyText(serverFacts: String, builderKey: String, scope: InspectionScope) -> String {
        var parts: [String] = [
            "format=\(format)",
            "pgmigrate=\(PGMigrateVersion.current)",
            "executable=\(executableIdentity())",
            "schema=\(scope.schema)",
            "external=\(scope.externalTables.sorted().joined(separator: ","))",
            "roles=\(scope.roles.joined(separator: ","))",
            serverFacts,
        ]
        parts.append("sql=\n" + builderKey)
        return parts.joined(separator: "\n")
    }

    static func key(_ text: String) -> String {
        SHA256.hex(Array(text.utf8))
    }

    private static func executableIdentity() -> String {
        guard let url = Bundle.main.executableURL?.resolvingSymlinksInPath(),
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        else { return "unknown" }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
        return "\(url.path) \(size) \(modified)"
    }

    private struct Entry: Codable {
        var format: Int
        var key: String
        var catalog: Catalog
    }

    func file(for key: String) -> URL {
        directory.appendingPathComponent("catalog-\(key).json")
    }

    /// The cached catalog for `key`, or nil (absent, unreadable, other format or key).
    func load(key: String) -> Catalog? {
        guard let data = FileManager.default.contents(atPath: file(for: key).path),
            let entry = try? JSONDecoder().decode(Entry.self, from: data),
            entry.format == Self.format, entry.key == key
        else { return nil }
        return entry.catalog
    }

    /// Stores `catalog` under `key`; errors are ignored.
    func store(_ catalog: Catalog, key: String) {
        guard let data = try? JSONEncoder().encode(Entry(format: Self.format, key: key, catalog: catalog)) else { return }
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? data.write(to: file(for: key), options: .atomic)
    }
}

/// Whether a drift run used the cache.
public enum DriftCacheUse: String, Sendable, Hashable, Codable {
    /// No cache (`--no-cache`, `--shadow-url`, or a builder that cannot be keyed).
    case off
    /// The catalog came from the cache; no shadow database was built.
    case hit
    /// Not cached yet: the shadow was built and its catalog stored.
    case miss
}
