import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// `pgmigrate rotate-phone-key` on a database whose numbers were stored by
/// the first release (0001: the legacy scheme), migrated to the current one:
/// the rotation to derived keys, a killed run resumed, writers and erasure
/// during and after, the old key refused at the end.
final class RotatePhoneKeyTests: XCTestCase {
    private let oldKey = "old-key-5c1e0b7a9d3f4e2a8b6c"
    private let newKey = "new-key-e8f1a2b3c4d5e6f7a8b9"
    private static let business = "00000000-0000-0000-0000-0000000000b1"
    private static let verification = "00000000-0000-0000-0000-0000000000c1"

    private func connect(_ database: TestDatabase, keys: [String: String]) throws -> Connection {
        var settings = database.settings
        for (name, value) in keys.sorted(by: { $0.key < $1.key }) { settings = settings.adding(StartupSetting(name, value)) }
        return try settings.connect(applicationName: "pgmigrate-tests rotation")
    }

    private func with(old: Bool = false, new: Bool = false, _ database: TestDatabase) throws -> Connection {
        var keys: [String: String] = [:]
        if old { keys[CallFeedbackSchema.phoneKeySetting] = oldKey }
        if new { keys[old ? CallFeedbackSchema.newPhoneKeySetting : CallFeedbackSchema.phoneKeySetting] = newKey }
        return try connect(database, keys: keys)
    }

    /// 0001 only, `count` sessions stored under the old key (legacy scheme), then every later migration.
    private func legacyDatabase(sessions count: Int) throws -> TestDatabase {
        let database = try makeDatabase(prefix: "pgm_rotate")
        let first = try pgmigrate(["migrate", "--target", "1"], environment: ["DATABASE_URL": database.url])
        XCTAssertEqual(first.status, 0, first.stderr)
        let writer = try with(old: true, database)
        try writer.execute("INSERT INTO public.businesses (id) VALUES ('\(Self.business)')")
        try writer.execute("INSERT INTO public.customer_verifications (id) VALUES ('\(Self.verification)')")
        try writer.execute("""
            INSERT INTO public.call_sessions (business_id, verification_id, customer_phone)
            SELECT '\(Self.business)', '\(Self.verification)', '+4670' || lpad(g::text, 7, '0') FROM generate_series(1, \(count)) g
            """)
        let rest = try pgmigrate(["migrate"], environment: ["DATABASE_URL": database.url])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        return database
    }

    private func insertSession(_ connection: Connection, phone: String) throws {
        try connection.execute(
            "INSERT INTO public.call_sessions (business_id, verification_id, customer_phone) VALUES ('\(Self.business)', '\(Self.verification)', $1)",
            [phone])
    }

    private func rotateCLI(_ database: TestDatabase, _ arguments: [String] = [], old: String? = nil) throws -> ProcessResult {
        try pgmigrate(["rotate-phone-key"] + arguments, environment: [
            "DATABASE_URL": database.url, Eraser.keyEnvironmentVariable: old ?? oldKey, Eraser.newKeyEnvironmentVariable: newKey,
        ])
    }

    /// Every number opens under the new key alone, its hash is its lookup
    /// hash under the new key, and no row is left under another generation.
    private func assertAllUnderTheNewKey(_ database: TestDatabase, sessions expected: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let reader = try with(new: true, database)
        let row = try XCTUnwrap(try reader.execute("""
            SELECT count(*) AS total,
                   count(*) FILTER (WHERE public.decrypt_customer_phone(customer_phone, customer_phone_key_generation) ~ '^\\+46[1-9][0-9]{6,8}$') AS opens,
                   count(*) FILTER (WHERE customer_phone_hash = public.customer_phone_lookup_hash(public.decrypt_customer_phone(customer_phone))) AS found,
                   count(DISTINCT customer_phone_key_generation) AS generations
            FROM public.call_sessions WHERE customer_phone IS NOT NULL
            """).first)
        XCTAssertEqual(try row.decode("total", as: Int.self), expected, "sessions", file: file, line: line)
        XCTAssertEqual(try row.decode("opens", as: Int.self), expected, "numbers that decrypt with the new key", file: file, line: line)
        XCTAssertEqual(try row.decode("found", as: Int.self), expected, "numbers their lookup hash finds", file: file, line: line)
        XCTAssertEqual(try row.decode("generations", as: Int.self), 1, file: file, line: line)
        // The old key is refused from now on (the recorded-key check names the new one).
        let old = try with(old: true, database)
        let refused = assertSQLState(.invalidParameterValue, "the old key after the rotation") {
            _ = try old.execute("SELECT public.customer_phone_lookup_hash('0701234567')")
        }
        XCTAssertNotNil(refused, file: file, line: line)
    }

    func testAWrongOldKeyIsRefusedBeforeAnythingChanges() throws {
        let database = try legacyDatabase(sessions: 20)
        let admin = try database.connect()
        let state = "SELECT md5(string_agg(customer_phone || customer_phone_key_generation, ',' ORDER BY id)) || (SELECT generation || '/' || scheme || '/' || coalesce(retiring_generation, 0) FROM public.phone_encryption_key_check) FROM public.call_sessions"
        let before = try admin.execute(state).scalar(String.self)
        for arguments in [[], ["--dry-run"]] {
            let result = try rotateCLI(database, arguments, old: "not-the-old-key")
            XCTAssertEqual(result.status, ExitStatus.usage.rawValue, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("not the key"), result.stderr)
            XCTAssertTrue(result.stderr.contains("nothing changed"), result.stderr)
            XCTAssertFalse(result.stderr.contains(newKey) || result.stderr.contains("not-the-old-key"), result.stderr)
        }
        XCTAssertEqual(try admin.execute(state).scalar(String.self), before)

        // The boundary-good case: the right key, dry run first (changes nothing), then the rotation.
        let dry = try rotateCLI(database, ["--dry-run", "--json"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let report = try JSONDecoder().decode(KeyRotator.Report.self, from: Data(dry.stdout.utf8))
        XCTAssertEqual(report.rotated, 20)
        XCTAssertEqual(report.retiringGeneration, 1)
        XCTAssertEqual(report.currentGeneration, 2)
        XCTAssertTrue(report.dryRun)
        XCTAssertEqual(try admin.execute(state).scalar(String.self), before)
        let done = try rotateCLI(database)
        XCTAssertEqual(done.status, 0, done.stderr)
        XCTAssertTrue(done.stdout.contains("re-encrypted 20 numbers"), done.stdout)
        try assertAllUnderTheNewKey(database, sessions: 20)
        // A second run with the same keys: the old key is no longer the recorded one.
        XCTAssertEqual(try rotateCLI(database).status, ExitStatus.usage.rawValue)
    }

    func testAKilledRotationOf100000SessionsResumesWithoutLossOrDoubleEncryption() throws {
        let count = 100_000
        let database = try legacyDatabase(sessions: count)
        let process = Process()
        process.executableURL = TestServer.executable
        process.arguments = ["rotate-phone-key"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database.url
        environment[Eraser.keyEnvironmentVariable] = oldKey
        environment[Eraser.newKeyEnvironmentVariable] = newKey
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Wait (not a timing assertion) until a good part is rotated, then kill it.
        let watcher = try database.connect()
        let rotatedQuery = "SELECT count(*) FROM public.call_sessions WHERE customer_phone_key_generation = 2"
        var rotated = 0
        for _ in 0..<6000 where rotated < count / 4 {
            rotated = try watcher.execute(rotatedQuery).scalar(Int.self)
            if rotated < count / 4 { Thread.sleep(forTimeInterval: 0.05) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        let left = try watcher.execute("SELECT count(*) FROM public.call_sessions WHERE customer_phone_key_generation = 1").scalar(Int.self)
        XCTAssertGreaterThan(left, 0, "the kill came after the end: nothing to resume")
        XCTAssertEqual(try watcher.execute("SELECT count(*) FROM public.call_sessions").scalar(Int.self), count)

        let second = try rotateCLI(database)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("resuming an interrupted rotation"), second.stdout)
        XCTAssertTrue(second.stdout.contains("re-encrypted \(left) numbers"), second.stdout)
        try assertAllUnderTheNewKey(database, sessions: count)
        // Every number is the one stored: none lost, none encrypted twice.
        let reader = try with(new: true, database)
        let distinct = try reader.execute(
            "SELECT count(DISTINCT public.decrypt_customer_phone(customer_phone, customer_phone_key_generation)) FROM public.call_sessions"
        ).scalar(Int.self)
        XCTAssertEqual(distinct, count)
    }

    func testWritersWithEitherKeyAndErasureDuringAndAfterARotation() throws {
        let database = try legacyDatabase(sessions: 2000)
        let rotator = try KeyRotator(settings: database.settings, column: XCTUnwrap(CallFeedbackModel().keyRotation(schema: "public")))
        var halfway = false
        let report = try rotator.rotate(oldKey: oldKey, newKey: newKey, dryRun: false) { rotated in
            guard rotated >= 1000, !halfway else { return }
            halfway = true
            do {
                // Writers keep working with either key; the old key's rows are picked up before the end.
                try self.insertSession(try self.with(old: true, database), phone: "0709990001")
                try self.insertSession(try self.with(new: true, database), phone: "0709990002")
                // Erasure with both keys finds a customer stored under the old key.
                let both = try self.with(old: true, new: true, database)
                let erased = try both.execute("SELECT sessions FROM public.erase_customer_data('+46700001999')").scalar(Int.self)
                XCTAssertEqual(erased, 1)
                let found = try both.execute(
                    "SELECT count(*) FROM public.call_sessions WHERE customer_phone_hash = ANY (public.customer_phone_lookup_hashes('0709990001'))"
                ).scalar(Int.self)
                XCTAssertEqual(found, 1)
            } catch {
                XCTFail("half-way: \(error)")
            }
        }
        XCTAssertTrue(halfway)
        XCTAssertEqual(report.retiringGeneration, 1)
        XCTAssertFalse(report.resumed)
        try assertAllUnderTheNewKey(database, sessions: 2001)

        // After it: erase through the CLI with the new key alone.
        let after = try pgmigrate(["erase", "--phone-stdin", "--json"], environment: [
            "DATABASE_URL": database.url, Eraser.keyEnvironmentVariable: newKey,
        ], input: "0709990001\n")
        XCTAssertEqual(after.status, 0, after.stderr)
        let counts = try JSONDecoder().decode(Eraser.Report.self, from: Data(after.stdout.utf8))
        XCTAssertEqual(counts.sessions, 1)
        let legacy = try pgmigrate(["erase", "--phone-stdin", "--json"], environment: [
            "DATABASE_URL": database.url, Eraser.keyEnvironmentVariable: newKey,
        ], input: "0700000007\n")
        XCTAssertEqual(try JSONDecoder().decode(Eraser.Report.self, from: Data(legacy.stdout.utf8)).sessions, 1, legacy.stderr)
    }
}
