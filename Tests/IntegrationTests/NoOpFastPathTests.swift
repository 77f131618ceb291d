import Foundation
import PGMigrateKit
import PQClient
import XCTest

/// The lock-free pre-check of `migrate` (`Migrator.noOpDecision`): it may
/// only ever say "nothing to do" when that is true, and everything else (a
/// pending file, an edited file, a dirty ledger, a concurrent migrator) must
/// still take the slow, safe path under the migration lock.
final class NoOpFastPathTests: XCTestCase {
    private func directory(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgm-noop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in files { try write(dir, name, text) }
        return dir
    }

    private func write(_ dir: URL, _ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    private func migrator(_ db: TestDatabase, _ dir: URL, lockWait: Double = 60) -> Migrator {
        var options = MigratorOptions()
        options.lockWait = lockWait
        return Migrator(settings: db.settings, directory: dir, options: options)
    }

    private func reason(_ decision: NoOpDecision) -> String? {
        if case .slowPath(let reason) = decision { return reason }
        return nil
    }

    private static let files = [
        "0001_a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
        "0002_b.sql": "-- pgmigrate: no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n",
    ]

    func testEverythingAppliedIsDecidedWithoutTheLockAndMatchesTheSlowPath() throws {
        let db = try makeDatabase()
        let dir = try directory(Self.files)
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "no ledger yet or cannot read it")
        let slow = try migrator(db, dir).migrate()
        XCTAssertEqual(slow.applied.map(\.version), [1, 2])
        guard case .nothingToDo(let report) = try migrator(db, dir).noOpDecision() else {
            return XCTFail("expected the fast path")
        }
        XCTAssertEqual(report.applied, [])
        XCTAssertEqual(report.currentVersion, 2)
        XCTAssertEqual(report.pending, 0)
        XCTAssertEqual(report.invalidIndexes, [])
        XCTAssertEqual(try migrator(db, dir).migrate(), report)
        // A target that is a file's version is fine; a mistyped one goes the slow way (and is refused there).
        if case .slowPath = try migrator(db, dir).noOpDecision(target: 1) { XCTFail("target 1 is a file's version") }
        XCTAssertNotNil(reason(try migrator(db, dir).noOpDecision(target: 7)))
        XCTAssertThrowsError(try migrator(db, dir).migrate(target: 7))

        // Invalid indexes are still reported on the fast path.
        _ = try db.connect().executeScript("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'a_id'::regclass")
        var events: [String] = []
        guard case .nothingToDo(let withInvalid) = try migrator(db, dir).noOpDecision() else {
            return XCTFail("expected the fast path")
        }
        XCTAssertEqual(withInvalid.invalidIndexes.map(\.name), ["a_id"])
        XCTAssertEqual(try migrator(db, dir).migrate { events.append($0.message) }.invalidIndexes.map(\.name), ["a_id"])
        XCTAssertTrue(events.contains { $0.contains("a_id") }, "\(events)")
    }

    func testPendingFileTakesTheSlowPathAndIsApplied() throws {
        let db = try makeDatabase()
        let dir = try directory(Self.files)
        try migrator(db, dir).migrate()
        try write(dir, "0003_c.sql", "CREATE TABLE c (id int);\n")
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "1 pending file(s)")
        XCTAssertEqual(try migrator(db, dir).migrate().applied.map(\.version), [3])
    }

    func testEditedOrRenamedAppliedFileTakesTheSlowPathAndIsRefused() throws {
        let db = try makeDatabase()
        let dir = try directory(Self.files)
        try migrator(db, dir).migrate()
        try write(dir, "0001_a.sql", "CREATE TABLE a (id bigint PRIMARY KEY);\n")
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "file of version 1 differs from the ledger")
        XCTAssertThrowsError(try migrator(db, dir).migrate()) { error in
            XCTAssertEqual((error as? PGMigrateError)?.status, .refused, "\(error)")
        }
        try write(dir, "0001_a.sql", Self.files["0001_a.sql"] ?? "")
        try FileManager.default.moveItem(at: dir.appendingPathComponent("0001_a.sql"), to: dir.appendingPathComponent("0001_renamed.sql"))
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "file of version 1 differs from the ledger")
        XCTAssertThrowsError(try migrator(db, dir).migrate()) { error in
            XCTAssertEqual((error as? PGMigrateError)?.status, .refused, "\(error)")
        }
        // A missing applied file, too.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("0001_renamed.sql"))
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "applied migration 1 has no file")
        XCTAssertThrowsError(try migrator(db, dir).migrate())
    }

    func testDirtyLedgerTakesTheSlowPathAndIsRefused() throws {
        let db = try makeDatabase()
        let dir = try directory(Self.files)
        try migrator(db, dir).migrate()
        _ = try db.connect().executeScript("UPDATE pgmigrate.schema_migrations SET state = 'dirty', failure = 'test' WHERE version = 2")
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "ledger has a dirty migration")
        XCTAssertThrowsError(try migrator(db, dir).migrate()) { error in
            XCTAssertEqual((error as? PGMigrateError)?.status, .refused, "\(error)")
            XCTAssertTrue((error as? PGMigrateError)?.message.contains("dirty") ?? false, "\(error)")
        }
    }

    func testConcurrentMigratorHoldingTheLockMakesANoOpWaitForIt() throws {
        let db = try makeDatabase()
        let dir = try directory(Self.files)
        try migrator(db, dir).migrate()
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock($1)", [AdvisoryLock.key])
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "another migrator holds the lock")
        // Nothing is pending, yet the run waits for the lock like any other and gives up after --lock-wait.
        XCTAssertThrowsError(try migrator(db, dir, lockWait: 0.3).migrate()) { error in
            XCTAssertEqual((error as? PGMigrateError)?.status, .refused, "\(error)")
            XCTAssertTrue((error as? PGMigrateError)?.message.contains("--lock-wait") ?? false, "\(error)")
        }
        try holder.execute("SELECT pg_advisory_unlock($1)", [AdvisoryLock.key])
        if case .slowPath(let why) = try migrator(db, dir).noOpDecision() { XCTFail(why) }
    }

    func testMalformedOrDuplicateFileNamesTakeTheSlowPathAndAreRefused() throws {
        let db = try makeDatabase()
        let dir = try directory(Self.files)
        try migrator(db, dir).migrate()
        try write(dir, "0001_dup.sql", "SELECT 1;\n")
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "duplicate version 1")
        XCTAssertThrowsError(try migrator(db, dir).migrate()) { error in
            XCTAssertEqual((error as? PGMigrateError)?.status, .dataError, "\(error)")
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("0001_dup.sql"))
        try write(dir, "bad name.sql", "SELECT 1;\n")
        XCTAssertEqual(reason(try migrator(db, dir).noOpDecision()), "malformed file name bad name.sql")
        XCTAssertThrowsError(try migrator(db, dir).migrate()) { error in
            XCTAssertEqual((error as? PGMigrateError)?.status, .dataError, "\(error)")
        }
    }

    /// `migrate` the way cron calls it (`--dir`, `--database-url`, `--json`
    /// only) is read without ArgumentParser (`PGMigrate.quickMigrate`): it
    /// must do and print exactly what the parsed command does. Adding
    /// `--lock-wait 60` (the default) sends the same command through
    /// ArgumentParser; each pair runs on twin databases.
    func testQuickCommandLineDoesWhatTheParsedOneDoes() throws {
        let quickDB = try makeDatabase()
        let parsedDB = try makeDatabase()
        let dir = try directory(Self.files)
        let unreachable = "postgresql://127.0.0.1:1/none?connect_timeout=2"
        func shown(_ result: ProcessResult) -> String {
            // Only the per-file timings may differ.
            let stdout = result.stdout.replacingOccurrences(of: #""executionMs" : \d+"#, with: "…", options: .regularExpression)
            let stderr = result.stderr.replacingOccurrences(of: #"\(\d+ ms\)"#, with: "(… ms)", options: .regularExpression)
            return "exit \(result.status)\nstdout: \(stdout)\nstderr: \(stderr)"
        }
        @discardableResult
        func same(_ arguments: [String], urlFlag: Bool = false, environmentURL: String? = nil,
                  file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
            func run(_ db: TestDatabase, _ extra: [String]) throws -> ProcessResult {
                let flag = urlFlag ? ["--database-url", db.url] : []
                return try pgmigrate(arguments + flag + extra, environment: ["DATABASE_URL": environmentURL ?? db.url])
            }
            let quick = try run(quickDB, [])
            let parsed = try run(parsedDB, ["--lock-wait", "60"])
            XCTAssertEqual(shown(quick), shown(parsed), file: file, line: line)
            return quick
        }
        // Applies both files, then nothing to do, in text and JSON, through `up` and `--dir=`.
        XCTAssertEqual(try same(["migrate", "--dir", dir.path]).stdout, "applied 2 migration(s); database at version 2\n")
        XCTAssertEqual(try same(["migrate", "--dir", dir.path]).stdout, "nothing to apply; database at version 2\n")
        XCTAssertEqual(try same(["up", "--dir=\(dir.path)", "--json"]).status, 0)
        // --database-url wins over DATABASE_URL.
        XCTAssertEqual(try same(["migrate", "--dir", dir.path], urlFlag: true, environmentURL: unreachable).status, 0)
        // A pending file is applied; an edited applied file is refused (exit 5) on both.
        try write(dir, "0003_c.sql", "CREATE TABLE c (id int);\n")
        XCTAssertEqual(try same(["migrate", "--json", "--dir", dir.path]).status, 0)
        try write(dir, "0003_c.sql", "CREATE TABLE c (id bigint);\n")
        XCTAssertEqual(try same(["migrate", "--dir", dir.path]).status, 5)
        // Errors: a missing directory, an unreachable server.
        XCTAssertNotEqual(try same(["migrate", "--dir", dir.path + "/missing"]).status, 0)
        XCTAssertEqual(try same(["migrate", "--dir", dir.path], environmentURL: unreachable).status, 3)

        // What the quick reading does not take still goes to ArgumentParser.
        let missingValue = try pgmigrate(["migrate", "--dir"])
        XCTAssertEqual(missingValue.status, 64, missingValue.stderr)
        XCTAssertTrue(missingValue.stderr.contains("--dir"), missingValue.stderr)
        let help = try pgmigrate(["migrate", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--lock-wait"), help.stdout)
    }
}
