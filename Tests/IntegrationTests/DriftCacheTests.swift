import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// The drift cache of the model's catalog: a hit must report exactly what an
/// uncached run does, and a copy made for anything else (another model,
/// another scope, a damaged file) must never be used. Every test in
/// `DriftTests` also compares cached and uncached results.
final class DriftCacheTests: XCTestCase {
    let model = CallFeedbackSchema.catalog()

    private func cacheDirectory() -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgm-cache-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    private func appliedDatabase() throws -> TestDatabase {
        let database = try makeDatabase(prefix: "pgm_cache")
        _ = try database.connect().executeScript(GeneratedMigration.initial(model).contents)
        return database
    }

    private func drift(_ database: TestDatabase, _ catalog: Catalog, cache: URL?) throws -> DriftReport {
        try DriftCheck(
            catalog: catalog, schema: "public", target: database.settings, cache: cache.map(DriftCache.init(directory:))
        ).run()
    }

    private func cachedFiles(_ dir: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.lastPathComponent.hasPrefix("catalog-") }
    }

    func testMissThenHitWithTheSameResultAndNoShadowOnAHit() throws {
        let database = try appliedDatabase()
        let dir = cacheDirectory()
        _ = try database.connect().executeScript("ALTER TABLE public.call_sessions ADD COLUMN scratch text")
        let uncached = try drift(database, model, cache: nil)
        let miss = try drift(database, model, cache: dir)
        let hit = try drift(database, model, cache: dir)
        XCTAssertEqual([uncached.cache, miss.cache, hit.cache], [.off, .miss, .hit])
        XCTAssertEqual(uncached.changes.count, 1, "\(uncached.changes)")
        XCTAssertEqual(miss.changes, uncached.changes)
        XCTAssertEqual(hit.changes, uncached.changes)
        XCTAssertEqual(cachedFiles(dir).count, 1)
        XCTAssertGreaterThan(miss.timings.shadowCreate, 0)
        XCTAssertEqual(hit.timings.shadowCreate, 0, "a hit builds no shadow")
        XCTAssertEqual(hit.timings.shadowPopulate, 0, "a hit builds no shadow")
    }

    func testAChangedModelNeverUsesTheOldCopy() throws {
        let database = try appliedDatabase()
        let dir = cacheDirectory()
        XCTAssertEqual(try drift(database, model, cache: dir).cache, .miss)
        XCTAssertEqual(try drift(database, model, cache: dir).changes, [])

        var changed = model
        guard let index = changed.tables.firstIndex(where: { $0.name.name == "call_sessions" }) else { return XCTFail("no call_sessions") }
        changed.tables[index].comment = "a comment the database does not have"
        let uncached = try drift(database, changed, cache: nil)
        let cached = try drift(database, changed, cache: dir)
        XCTAssertEqual(cached.cache, .miss, "a changed model must not hit the old model's copy")
        XCTAssertFalse(uncached.changes.isEmpty)
        XCTAssertEqual(cached.changes, uncached.changes)
        XCTAssertEqual(cachedFiles(dir).count, 2)

        // The original model still finds its own copy.
        let other = try drift(database, model, cache: dir)
        XCTAssertEqual(other.cache, .hit)
        XCTAssertEqual(other.changes, [])
    }

    func testADamagedOrForeignCacheFileIsNotUsed() throws {
        let database = try appliedDatabase()
        let dir = cacheDirectory()
        XCTAssertEqual(try drift(database, model, cache: dir).cache, .miss)
        guard let file = cachedFiles(dir).first else { return XCTFail("nothing cached") }

        try Data("{not json".utf8).write(to: file)
        let afterDamage = try drift(database, model, cache: dir)
        XCTAssertEqual(afterDamage.cache, .miss)
        XCTAssertEqual(afterDamage.changes, [])

        // A well-formed file whose recorded key is not its name's: ignored.
        let text = try String(contentsOf: file, encoding: .utf8)
        let key = file.deletingPathExtension().lastPathComponent.replacingOccurrences(of: "catalog-", with: "")
        try Data(text.replacingOccurrences(of: key, with: String(repeating: "0", count: 64)).utf8).write(to: file)
        XCTAssertEqual(try drift(database, model, cache: dir).cache, .miss)
        XCTAssertEqual(try drift(database, model, cache: dir).cache, .hit)
    }

    func testCLIUsesTheCacheDirectoryAndNoCacheBypassesIt() throws {
        let database = try appliedDatabase()
        let dir = cacheDirectory()
        let env = ["PGMIGRATE_CACHE_DIR": dir.path]
        func cacheUse(_ extra: [String]) throws -> String {
            let result = try pgmigrate(["drift", "--database-url", database.url, "--json"] + extra, environment: env)
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return object?["cache"] as? String ?? "?"
        }
        XCTAssertEqual(try cacheUse(["--no-cache"]), "off")
        XCTAssertEqual(cachedFiles(dir).count, 0)
        XCTAssertEqual(try cacheUse([]), "miss")
        XCTAssertEqual(try cacheUse([]), "hit")
        XCTAssertEqual(try cacheUse(["--no-cache"]), "off")
        XCTAssertEqual(cachedFiles(dir).count, 1)
    }

    func testCacheLocation() {
        XCTAssertEqual(DriftCache.defaultDirectory(environment: ["PGMIGRATE_CACHE_DIR": "/x/y", "HOME": "/h"]).path, "/x/y")
        XCTAssertEqual(DriftCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"]).path, "/c/pgmigrate/drift")
        XCTAssertEqual(DriftCache.defaultDirectory(environment: ["HOME": "/h"]).path, "/h/.cache/pgmigrate/drift")
    }
}
