import Foundation
import PQClient
import SchemaModel

/// How a shadow database gets the desired schema: the seam between drift and
/// whatever produces "the schema as it should be". The default applies the
/// model's rendered SQL; `generate --check` can plug in "replay every file in
/// sql/ through the migrator" here.
public struct ShadowBuilder: Sendable {
    /// Said in errors: "building the shadow database (<description>)".
    public var description: String
    /// Whether `populate` may run inside a transaction that drift rolls back
    /// after inspecting (nothing it did, roles included, outlives the check).
    /// A builder that manages its own transactions (a migrator running
    /// `CREATE INDEX CONCURRENTLY`) sets this to false; the temporary shadow
    /// database is still dropped, but cluster-wide objects it creates (roles)
    /// stay.
    public var transactional: Bool
    public var populate: @Sendable (Connection) throws -> Void
    /// Everything `populate` puts into the shadow, as text (the SQL it runs),
    /// when that text alone determines it: then the inspected result can be
    /// cached (`DriftCache`). Nil means never cached.
    public var cacheKey: String?

    public init(
        _ description: String, transactional: Bool = true, cacheKey: String? = nil,
        populate: @escaping @Sendable (Connection) throws -> Void
    ) {
        self.description = description
        self.transactional = transactional
        self.cacheKey = cacheKey
        self.populate = populate
    }

    /// Applies `GeneratedMigration.initial(catalog)` as one script.
    public static func renderedModel(_ catalog: Catalog) -> ShadowBuilder {
        let script = GeneratedMigration.initial(catalog).contents
        return ShadowBuilder("the model's rendered SQL", cacheKey: script) { connection in
            _ = try connection.executeScript(script)
        }
    }
}

/// Where the desired schema is built.
public enum ShadowLocation: Sendable, Hashable {
    /// A `pgmigrate_shadow_<hex>` database created on the target's server and
    /// dropped afterwards (`DROP DATABASE … WITH (FORCE)`), also on error.
    case temporary
    /// An existing, empty database (`--shadow-url`) for users without
    /// CREATEDB; populated in a transaction that is rolled back.
    case existing(ConnectionSettings)
}

/// Shadow databases that exist right now, so a Ctrl-C handler can drop them
/// before the process exits.
public final class ActiveShadows: @unchecked Sendable {
    public static let shared = ActiveShadows()
    private let lock = NSLock()
    private var databases: [String: ConnectionSettings] = [:]

    func register(_ name: String, on settings: ConnectionSettings) {
        lock.lock()
        databases[name] = settings
        lock.unlock()
    }

    func unregister(_ name: String) {
        lock.lock()
        databases[name] = nil
        lock.unlock()
    }

    public var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return databases.keys.sorted()
    }

    /// Drops every registered shadow database over fresh connections.
    /// For signal handlers: never throws, returns the names it dropped.
    @discardableResult
    public func dropAll() -> [String] {
        lock.lock()
        let pending = databases
        databases = [:]
        lock.unlock()
        var dropped: [String] = []
        for (name, settings) in pending.sorted(by: { $0.key < $1.key }) {
            guard let connection = try? settings.connect(applicationName: "pgmigrate drift cleanup") else { continue }
            if (try? ShadowDatabase.drop(name, on: connection)) != nil { dropped.append(name) }
        }
        return dropped
    }
}

enum ShadowDatabase {
    static func randomName() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return "pgmigrate_shadow_" + hex
    }

    static func drop(_ name: String, on connection: Connection) throws {
        _ = try connection.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }
}

/// How long each step took, in milliseconds.
public struct DriftTimings: Sendable, Hashable, Codable {
    public var inspectLive: Double = 0
    /// Reading the server's facts for the cache key, and the cached file.
    public var cacheLookup: Double = 0
    public var shadowCreate: Double = 0
    public var shadowPopulate: Double = 0
    public var inspectShadow: Double = 0
    public var shadowDrop: Double = 0
    public var diff: Double = 0
    public var total: Double = 0

    public init() {}

    /// Shadow set-up: create, populate and drop.
    public var shadowSetup: Double { shadowCreate + shadowPopulate + shadowDrop }
    /// Both inspections.
    public var inspection: Double { inspectLive + inspectShadow }

    public var summary: String {
        func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
        return "timings: shadow create \(ms(shadowCreate)), populate \(ms(shadowPopulate)), drop \(ms(shadowDrop)); "
            + "inspect live \(ms(inspectLive)), shadow \(ms(inspectShadow)); cache lookup \(ms(cacheLookup)); "
            + "diff \(ms(diff)); total \(ms(total))"
    }
}

/// A secret setting stored where other roles can read it: in
/// `pg_db_role_setting` (`ALTER ROLE … SET`, `ALTER DATABASE … SET`), which
/// any role may select from, or in the server's configuration files, whose
/// values every session inherits and may `SHOW`.
public struct SecretExposure: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The setting's name (never its value).
    public var setting: String
    /// Where it is stored: `ALTER ROLE app SET`, `ALTER DATABASE db SET`,
    /// `ALTER ROLE app IN DATABASE db SET`, or `configuration file`.
    public var place: String

    public var description: String {
        "\(setting) is stored by \(place): any role can read it there; give it in the connection's startup options instead (see README, Keys)"
    }
}

/// The outcome of a drift check.
public struct DriftReport: Sendable {
    public var schema: String
    public var database: String
    /// Differences after `--ignore`, sorted by object kind and name.
    public var changes: [SchemaChange]
    /// How many differences `--ignore` patterns dropped.
    public var ignored: Int
    public var timings: DriftTimings
    /// Secret settings found where other roles can read them (not subject to `--ignore`).
    public var exposures: [SecretExposure] = []
    /// Whether the model's catalog came from the cache.
    public var cache: DriftCacheUse = .off
    /// Problems with the partitions of time-partitioned tables (not subject to `--ignore`).
    public var partitions: [PartitionFinding] = []
    /// Tables placed otherwise than the model's Citus layout says (`--target citus`).
    public var citusPlacement: [PartitionFinding] = []

    public var hasDrift: Bool { !changes.isEmpty || !exposures.isEmpty || !partitions.isEmpty || !citusPlacement.isEmpty }
}

/// Finds secret settings stored where other roles can read them.
enum SecretSettingsCheck {
    static func exposures(of settings: [String], on connection: Connection) throws -> [SecretExposure] {
        guard !settings.isEmpty else { return [] }
        let rows: QueryResult
        do {
            rows = try connection.execute(
                """
                SELECT n.setting, CASE
                         WHEN s.setrole = 0 THEN 'ALTER DATABASE ' || pg_catalog.quote_ident(d.datname) || ' SET'
                         WHEN s.setdatabase = 0 THEN 'ALTER ROLE ' || pg_catalog.quote_ident(r.rolname) || ' SET'
                         ELSE 'ALTER ROLE ' || pg_catalog.quote_ident(r.rolname) || ' IN DATABASE '
                              || pg_catalog.quote_ident(d.datname) || ' SET'
                       END AS place
                  FROM pg_catalog.pg_db_role_setting s
                  LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
                  LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
                  CROSS JOIN LATERAL pg_catalog.unnest(s.setconfig) AS c(entry)
                  JOIN pg_catalog.unnest(pg_catalog.string_to_array($1, ',')) AS n(setting)
                    ON pg_catalog.split_part(c.entry, '=', 1) = n.setting
                UNION ALL
                SELECT f.name, 'configuration file ' || f.sourcefile
                  FROM pg_catalog.pg_settings f
                 WHERE f.name = ANY (pg_catalog.string_to_array($1, ',')) AND f.source = 'configuration file'
                 ORDER BY 1, 2
                """, [settings.joined(separator: ",")])
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "drift: reading pg_db_role_setting")
        }
        return try rows.rows.map { row in
            SecretExposure(setting: try row.decode("setting"), place: try row.decode("place"))
        }
    }
}

/// `pgmigrate drift`: builds the desired schema in a shadow database, reads
/// both it and the live schema with the same `Inspector`, and diffs the two
/// catalogs. Both sides are printed by Postgres itself, so formatting never
/// shows up as drift.
public struct DriftCheck: Sendable {
    public var catalog: Catalog
    public var schema: String
    public var target: ConnectionSettings
    public var shadow: ShadowLocation
    public var builder: ShadowBuilder
    public var ignore: [GlobPattern]
    /// Settings that hold secrets (the phone key): reported when stored
    /// where other roles can read them.
    public var secretSettings: [String]
    /// Where the model's inspected catalog is cached; nil builds the shadow
    /// every time. Used only with a `.temporary` shadow and a builder with a
    /// `cacheKey` (an existing `--shadow-url` database is always built in).
    public var cache: DriftCache?

    public init(
        catalog: Catalog, schema: String, target: ConnectionSettings, shadow: ShadowLocation = .temporary,
        builder: ShadowBuilder? = nil, ignore: [GlobPattern] = [], secretSettings: [String] = [],
        cache: DriftCache? = nil
    ) {
        self.secretSettings = secretSettings
        self.cache = cache
        self.catalog = catalog
        self.schema = schema
        self.target = target
        self.shadow = shadow
        // A shadow database has no Citus: it gets the model's shape, and the
        // placement is checked on the live database (CitusPlacementCheck).
        self.builder = builder ?? .renderedModel(catalog.withoutCitusPlacement)
        self.ignore = ignore
    }

    public func run() throws -> DriftReport {
        let clock = ContinuousClock()
        let start = clock.now
        var timings = DriftTimings()
        func measure<T>(_ slot: WritableKeyPath<DriftTimings, Double>, _ body: () throws -> T) rethrows -> T {
            let begin = clock.now
            defer { timings[keyPath: slot] += milliseconds(clock.now - begin) }
            return try body()
        }

        let scope = InspectionScope.managed(by: catalog, schema: schema)
        let live = try target.connect(applicationName: "pgmigrate drift")
        var actual = try measure(\.inspectLive) { try Inspector(connection: live).inspect(scope) }
        if catalog.citus != nil { actual = CitusPlacementCheck.removingCitusObjects(from: actual) }
        var desired: Catalog
        var cacheUse = DriftCacheUse.off
        if let cache, case .temporary = shadow, let builderKey = builder.cacheKey {
            let key = try measure(\.cacheLookup) { () throws -> String in
                let facts: String
                do {
                    facts = try live.execute(DriftCache.serverFactsQuery).scalar(String.self)
                } catch let error as PQError {
                    throw PGMigrateError.from(error, while: "reading the server's version and extensions (drift cache key)")
                }
                return DriftCache.key(DriftCache.keyText(serverFacts: facts, builderKey: builderKey, scope: scope))
            }
            if let cached = measure(\.cacheLookup, { cache.load(key: key) }) {
                desired = cached
                cacheUse = .hit
            } else {
                desired = try buildShadow(admin: live, scope: scope, measure: measure)
                measure(\.cacheLookup) { cache.store(desired, key: key) }
                cacheUse = .miss
            }
        } else {
            desired = try buildShadow(admin: live, scope: scope, measure: measure)
        }

        // Roles are cluster-wide: the shadow would see whatever the live
        // server has, so the model's roles (NOSUPERUSER NOBYPASSRLS) are the
        // desired side.
        desired.roles = catalog.roles

        let all = measure(\.diff) { SchemaDiffer().diff(desired: desired, actual: actual) }
        let kept = all.filter { !$0.isIgnored(by: ignore) }
        let exposures = try SecretSettingsCheck.exposures(of: secretSettings, on: live)
        let partitions: [PartitionFinding]
        do {
            partitions = try PartitionSetCheck.findings(for: catalog, on: live)
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "drift: checking partitions")
        }
        let placement: [PartitionFinding]
        do {
            placement = try CitusPlacementCheck.findings(for: catalog, on: live)
        } catch let error as PQError {
            throw PGMigrateError.from(error, while: "drift: checking the Citus placement")
        }
        timings.total = milliseconds(clock.now - start)
        return DriftReport(
            schema: schema, database: live.database, changes: kept, ignored: all.count - kept.count, timings: timings,
            exposures: exposures, cache: cacheUse, partitions: partitions, citusPlacement: placement)
    }

    private func buildShadow(
        admin: Connection, scope: InspectionScope,
        measure: (WritableKeyPath<DriftTimings, Double>, () throws -> Catalog) throws -> Catalog
    ) throws -> Catalog {
        switch shadow {
        case .existing(let settings):
            let connection = try settings.connect(applicationName: "pgmigrate drift shadow")
            let existing: Int
            do {
                existing = try connection.execute(
                    "SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')",
                    [schema]
                ).scalar(Int.self)
            } catch let error as PQError {
                throw PGMigrateError.from(error, while: "checking the shadow database")
            }
            guard existing == 0 else {
                throw PGMigrateError(
                    .refused,
                    "the shadow database \(connection.database) is not empty (\(existing) tables in schema \(schema)): give --shadow-url an empty database")
            }
            return try populateAndInspect(connection, scope: scope, measure: measure)
        case .temporary:
            let name = ShadowDatabase.randomName()
            ActiveShadows.shared.register(name, on: target)
            defer {
                _ = try? measure(\.shadowDrop) {
                    if (try? ShadowDatabase.drop(name, on: admin)) == nil, let fresh = try? target.connect(applicationName: "pgmigrate drift cleanup") {
                        try? ShadowDatabase.drop(name, on: fresh)
                    }
                    return Catalog()
                }
                ActiveShadows.shared.unregister(name)
            }
            _ = try measure(\.shadowCreate) {
                do {
                    _ = try admin.execute("CREATE DATABASE \(quoteIdentifier(name)) TEMPLATE template0")
                } catch let error as PQError {
                    var failure = PGMigrateError.from(error, while: "creating the shadow database \(name)")
                    if error.sqlState == SQLState(rawValue: "42501") {
                        failure = PGMigrateError(
                            .database, failure.message + " (without CREATEDB, pass --shadow-url with an empty database)", underlying: error)
                    }
                    throw failure
                }
                return Catalog()
            }
            let connection = try target.withDatabase(name).connect(applicationName: "pgmigrate drift shadow")
            return try populateAndInspect(connection, scope: scope, measure: measure)
        }
    }

    private func populateAndInspect(
        _ connection: Connection, scope: InspectionScope,
        measure: (WritableKeyPath<DriftTimings, Double>, () throws -> Catalog) throws -> Catalog
    ) throws -> Catalog {
        let builder = self.builder
        defer {
            if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") }
        }
        _ = try measure(\.shadowPopulate) {
            do {
                if builder.transactional { _ = try connection.executeScript("BEGIN") }
                try builder.populate(connection)
            } catch let error as PQError {
                throw PGMigrateError.from(error, while: "building the shadow database (\(builder.description))")
            }
            return Catalog()
        }
        return try measure(\.inspectShadow) { try Inspector(connection: connection).inspect(scope) }
    }
}

private func milliseconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
}
