import Foundation
import PGMigrateKit
import PQClient
import XCTest

/// The versioned migrator against a real server: `Migrator` called directly,
/// and the `pgmigrate` CLI as a process where exit codes, output and
/// concurrency of whole processes matter.
final class MigratorTests: XCTestCase {
    // MARK: - Fixtures

    /// A temporary migration directory with the given files, removed after the test.
    private func migrations(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgm-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in files { try write(dir, name, text) }
        return dir
    }

    private func write(_ dir: URL, _ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    private static let basic = [
        "0001_users.sql": """
            -- users
            CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
            INSERT INTO users VALUES (1, 'a@example.com');
            -- pgmigrate: down
            DROP TABLE users;
            """,
        "0002_orders.sql": """
            CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users);
            CREATE FUNCTION order_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM orders; $$;
            -- pgmigrate: down
            DROP FUNCTION order_count();
            DROP TABLE orders;
            """,
        "0003_seed.sql": """
            INSERT INTO orders VALUES (10, 1);
            DO $$ BEGIN RAISE NOTICE 'seeded %', (SELECT count(*) FROM orders); END $$;
            """,
    ]

    private func migrator(_ db: TestDatabase, _ dir: URL, configure: (inout MigratorOptions) -> Void = { _ in }) -> Migrator {
        var options = MigratorOptions()
        options.retryBackoff = 0.1
        configure(&options)
        return Migrator(settings: db.settings, directory: dir, options: options)
    }

    private func ledger(_ db: TestDatabase) throws -> [LedgerEntry] {
        try Ledger.entries(try db.connect())
    }

    private func tableExists(_ db: TestDatabase, _ name: String) throws -> Bool {
        try db.connect().execute("SELECT to_regclass($1) IS NOT NULL", [name]).scalar(Bool.self)
    }

    private func assertRefused(
        _ status: ExitStatus, _ reason: PGMigrateError.Reason? = nil, contains: [String], file: StaticString = #filePath,
        line: UInt = #line, _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? PGMigrateError else {
                return XCTFail("expected PGMigrateError, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.status, status, error.message, file: file, line: line)
            if let reason { XCTAssertEqual(error.reason, reason, error.message, file: file, line: line) }
            for text in contains {
                XCTAssertTrue(error.message.contains(text), "\(error.message) should contain \(text)", file: file, line: line)
            }
            XCTAssertFalse(error.message.contains("\n"), error.message, file: file, line: line)
        }
    }

    private func cli(_ db: TestDatabase, _ dir: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        var env = environment
        env["DATABASE_URL"] = db.url
        return try pgmigrate(arguments + ["--dir", dir.path], environment: env)
    }

    // MARK: - Applying

    func testFreshDatabaseGetsEveryMigrationAndASecondRunAppliesNothing() throws {
        let db = try makeDatabase()
        let dir = try migrations(Self.basic)
        var events: [String] = []
        let report = try migrator(db, dir).migrate { events.append($0.message) }
        XCTAssertEqual(report.applied.map(\.version), [1, 2, 3])
        XCTAssertEqual(report.currentVersion, 3)
        XCTAssertTrue(events.contains { $0.contains("NOTICE: seeded 1") }, "\(events)")
        XCTAssertTrue(events.contains { $0.hasPrefix("applied 0001_users (") && $0.hasSuffix(" ms)") }, "\(events)")

        let rows = try ledger(db)
        let files = try MigrationFile.load(directory: dir)
        XCTAssertEqual(rows.map(\.version), [1, 2, 3])
        XCTAssertEqual(rows.map(\.name), ["users", "orders", "seed"])
        XCTAssertEqual(rows.map(\.checksum), files.map(\.checksum))
        XCTAssertEqual(Set(rows.map(\.state)), [.applied])
        XCTAssertEqual(Set(rows.map(\.appliedBy)), ["postgres"])
        XCTAssertEqual(Set(rows.map(\.pgmigrateVersion)), [PGMigrateVersion.current])
        XCTAssertTrue(rows.allSatisfy { $0.executionMs >= 0 && $0.failure == nil })
        XCTAssertEqual(try db.connect().execute("SELECT order_count()").scalar(Int.self), 1)

        let again = try cli(db, dir, ["migrate"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("nothing to apply; database at version 3"), again.stdout)
        XCTAssertEqual(try ledger(db).map(\.appliedAt), rows.map(\.appliedAt))
    }

    func testEightConcurrentMigratorProcessesApplyEachMigrationExactlyOnce() throws {
        let db = try makeDatabase()
        var files: [String: String] = ["0001_log.sql": "CREATE TABLE log (version int NOT NULL);\nINSERT INTO log VALUES (1);"]
        for n in 2...6 {
            files[String(format: "%04d_step.sql", n)] = "CREATE TABLE t\(n) (id int);\nINSERT INTO log VALUES (\(n));\nSELECT pg_sleep(0.05);"
        }
        files["0007_index.sql"] = "-- pgmigrate: no-transaction\nCREATE INDEX CONCURRENTLY log_version ON log (version);\nINSERT INTO log VALUES (7);"
        let dir = try migrations(files)
        let results = LockedResults()
        let url = db.url
        let path = dir.path
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            results.append(Result { try pgmigrate(["migrate", "--dir", path], environment: ["DATABASE_URL": url]) })
        }
        let all = try results.values.map { try $0.get() }
        XCTAssertEqual(all.count, 8)
        for result in all { XCTAssertEqual(result.status, 0, result.stderr) }
        let log = try db.connect().execute("SELECT version FROM log ORDER BY version").rows.map { try $0.decode("version", as: Int.self) }
        XCTAssertEqual(log, Array(1...7))
        XCTAssertEqual(try ledger(db).map(\.version), Array(1...7).map(Int64.init))
        XCTAssertEqual(all.map { $0.stderr.components(separatedBy: "applied ").count - 1 }.reduce(0, +), 7)
    }

    func testKilledMigratorLeavesNothingOfTheMigrationAndTheNextRunAppliesIt() throws {
        let db = try makeDatabase()
        let dir = try migrations([
            "0001_first.sql": "CREATE TABLE first (id int);",
            "0002_slow.sql": """
                CREATE TABLE slow (id int);
                INSERT INTO slow VALUES (1);
                SELECT pg_sleep(coalesce(nullif(current_setting('pgmigrate_test.sleep', true), ''), '0')::float8);
                """,
        ])
        let process = Process()
        process.executableURL = TestServer.executable
        process.arguments = ["migrate", "--dir", dir.path]
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = db.url
        env["PGOPTIONS"] = "-c pgmigrate_test.sleep=120"
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Wait (not a timing assertion) until the migration is inside pg_sleep.
        let watcher = try db.connect()
        var sleeping = false
        for _ in 0..<600 where !sleeping {
            sleeping = try watcher.execute(
                "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%SELECT pg_sleep%' AND state = 'active' AND pid <> pg_backend_pid()"
            ).scalar(Bool.self)
            if !sleeping { Thread.sleep(forTimeInterval: 0.05) }
        }
        XCTAssertTrue(sleeping, "the migration never reached pg_sleep")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)

        XCTAssertEqual(try ledger(db).map(\.version), [1])
        XCTAssertFalse(try tableExists(db, "slow"))

        let next = try cli(db, dir, ["migrate"])
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertEqual(try ledger(db).map(\.version), [1, 2])
        XCTAssertEqual(try db.connect().execute("SELECT count(*) FROM slow").scalar(Int.self), 1)
    }

    func testTargetStopsEarly() throws {
        let db = try makeDatabase()
        let dir = try migrations(Self.basic)
        let report = try migrator(db, dir).migrate(target: 2)
        XCTAssertEqual(report.applied.map(\.version), [1, 2])
        XCTAssertEqual(report.pending, 1)
        XCTAssertFalse(try db.connect().execute("SELECT EXISTS (SELECT 1 FROM orders)").scalar(Bool.self))
    }

    func testTargetThatIsNoFilesVersionIsRefusedBeforeAnythingRuns() throws {
        let db = try makeDatabase()
        let dir = try migrations(Self.basic)
        for command in ["migrate", "plan"] {
            let result = try cli(db, dir, [command, "--target", "70"])
            XCTAssertEqual(result.status, ExitStatus.usage.rawValue, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("--target 70: no migration file has that version"), result.stderr)
        }
        XCTAssertEqual(try ledger(db).map(\.version), [])
    }

    // MARK: - Checksums

    func testEditedAppliedFileIsRefusedAndNothingIsApplied() throws {
        let db = try makeDatabase()
        let dir = try migrations(["0001_users.sql": "CREATE TABLE users (id int);\n"])
        try migrator(db, dir).migrate()
        try write(dir, "0001_users.sql", "CREATE TABLE users (id bigint);\n")
        try write(dir, "0002_more.sql", "CREATE TABLE more (id int);\n")
        assertRefused(.refused, .editedFile, contains: ["0001_users.sql", "edited"]) { try migrator(db, dir).migrate() }
        XCTAssertFalse(try tableExists(db, "more"))
        XCTAssertEqual(try ledger(db).map(\.version), [1])

        let result = try cli(db, dir, ["migrate"])
        XCTAssertEqual(result.status, ExitStatus.refused.rawValue)
        XCTAssertTrue(result.stderr.hasPrefix("pgmigrate: error: ") && result.stderr.contains("0001_users.sql"), result.stderr)
        let status = try migrator(db, dir).status()
        XCTAssertEqual(status.migrations.map(\.checksum), [.changed, .none])

        // An edit made on purpose can be accepted.
        try migrator(db, dir).repair(1, action: .acceptChecksum)
        XCTAssertEqual(try migrator(db, dir).migrate().applied.map(\.version), [2])
    }

    func testSameFileWithCRLFLineEndingsIsAccepted() throws {
        let db = try makeDatabase()
        let text = "CREATE TABLE users (\n  id int\n);\nCREATE TABLE other (id int);\n"
        let dir = try migrations(["0001_users.sql": text])
        try migrator(db, dir).migrate()
        try write(dir, "0001_users.sql", text.replacingOccurrences(of: "\n", with: "\r\n"))
        try write(dir, "0002_more.sql", "CREATE TABLE more (id int);\r\n")
        XCTAssertEqual(try migrator(db, dir).migrate().applied.map(\.version), [2])
        XCTAssertEqual(try migrator(db, dir).status().migrations.map(\.checksum), [.ok, .ok])
    }

    func testAppliedMigrationWithMissingFileIsRefusedUnlessAllowed() throws {
        let db = try makeDatabase()
        let dir = try migrations(["0001_a.sql": "CREATE TABLE a (id int);", "0002_b.sql": "CREATE TABLE b (id int);"])
        try migrator(db, dir).migrate()
        try FileManager.default.removeItem(at: dir.appendingPathComponent("0001_a.sql"))
        try write(dir, "0003_c.sql", "CREATE TABLE c (id int);")
        assertRefused(.refused, .missingFile, contains: ["0001_a", "no file"]) { try migrator(db, dir).migrate() }
        XCTAssertFalse(try tableExists(db, "c"))
        var warnings: [String] = []
        let report = try migrator(db, dir) { $0.allowMissingFiles = true }.migrate { warnings.append($0.message) }
        XCTAssertEqual(report.applied.map(\.version), [3])
        XCTAssertTrue(warnings.contains { $0.contains("0001_a has no file") }, "\(warnings)")
        XCTAssertEqual(try migrator(db, dir).status().migrations.first?.checksum, .missingFile)
    }

    func testPendingFileOlderThanTheNewestAppliedIsRefusedUnlessAllowed() throws {
        let db = try makeDatabase()
        let dir = try migrations(["0001_a.sql": "CREATE TABLE a (id int);", "0003_c.sql": "CREATE TABLE c (id int);"])
        try migrator(db, dir).migrate()
        try write(dir, "0002_b.sql", "CREATE TABLE b (id int);")
        assertRefused(.refused, .outOfOrder, contains: ["0002_b.sql", "0003_c"]) { try migrator(db, dir).migrate() }
        XCTAssertEqual(try migrator(db, dir) { $0.allowOutOfOrder = true }.migrate().applied.map(\.version), [2])
    }

    // MARK: - Failures

    func testFailingMigrationRollsBackAndNamesFileLineAndSQLState() throws {
        let db = try makeDatabase()
        let dir = try migrations([
            "0001_ok.sql": "CREATE TABLE ok (id int);",
            "0002_bad.sql": """
                -- creates a table, then fails
                CREATE TABLE half (id int);
                INSERT INTO half VALUES (1);

                SELECT id
                  FROM missing_table;
                """,
        ])
        assertRefused(.database, .statementFailed, contains: ["0002_bad.sql:6:", "42P01", "missing_table", "rolled back"]) {
            try migrator(db, dir).migrate()
        }
        XCTAssertEqual(try ledger(db).map(\.version), [1])
        XCTAssertFalse(try tableExists(db, "half"))

        let hinted = try migrations(["0001_hint.sql": "SELECT 1;\nDO $$ BEGIN RAISE EXCEPTION 'nope' USING HINT = 'try again', ERRCODE = '22023'; END $$;"])
        let result = try cli(try makeDatabase(), hinted, ["migrate"])
        XCTAssertEqual(result.status, ExitStatus.database.rawValue)
        XCTAssertTrue(result.stderr.contains("0001_hint.sql:2: 22023: nope (hint: try again)"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    func testFailingNoTransactionMigrationIsDirtyAndBlocksUntilRepaired() throws {
        let db = try makeDatabase()
        let dir = try migrations([
            "0001_t.sql": "CREATE TABLE t (id int);",
            "0002_nontx.sql": "-- pgmigrate: no-transaction\nCREATE TABLE part (id int);\nSELECT * FROM missing_table;\n",
            "0003_after.sql": "CREATE TABLE after (id int);",
        ])
        assertRefused(.database, contains: ["0002_nontx.sql:3:", "42P01", "dirty", "repair 2"]) { try migrator(db, dir).migrate() }
        XCTAssertTrue(try tableExists(db, "part"), "a no-transaction file keeps what ran")
        let rows = try ledger(db)
        XCTAssertEqual(rows.map(\.state), [.applied, .dirty])
        XCTAssertTrue(rows.last?.failure?.contains("missing_table") ?? false)

        assertRefused(.refused, .dirtyLedger, contains: ["0002_nontx", "dirty", "repair"]) { try migrator(db, dir).migrate() }
        let cliRun = try cli(db, dir, ["migrate"])
        XCTAssertEqual(cliRun.status, ExitStatus.refused.rawValue, cliRun.stderr)
        XCTAssertFalse(try tableExists(db, "after"))
        XCTAssertEqual(try migrator(db, dir).status().dirtyCount, 1)

        // The operator fixes the file and finishes the work by hand, then marks it applied.
        try write(dir, "0002_nontx.sql", "-- pgmigrate: no-transaction\nCREATE TABLE part (id int);\n")
        let repair = try cli(db, dir, ["repair", "2", "--mark-applied"])
        XCTAssertEqual(repair.status, 0, repair.stderr)
        XCTAssertEqual(try migrator(db, dir).migrate().applied.map(\.version), [3])
        XCTAssertEqual(try ledger(db).map(\.state), [.applied, .applied, .applied])
        assertRefused(.refused, .wrongLedgerState, contains: ["not dirty"]) { try migrator(db, dir).repair(3, action: .forget) }
    }

    func testFailedConcurrentIndexBuildIsReportedAndTheRetryIsClean() throws {
        let db = try makeDatabase()
        let dir = try migrations([
            "0001_emails.sql": "CREATE TABLE emails (id int, address text);\nINSERT INTO emails VALUES (1, 'a'), (2, 'a'), (3, 'b');",
            "0002_unique.sql": "-- pgmigrate: no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY emails_address ON emails (address);\n",
        ])
        assertRefused(.database, contains: ["0002_unique.sql:2:", "23505", "invalid index", "public.emails_address"]) {
            try migrator(db, dir).migrate()
        }
        let status = try migrator(db, dir).status()
        XCTAssertEqual(status.invalidIndexes.map(\.qualifiedName), ["public.emails_address"])
        XCTAssertEqual(status.migrations.map(\.state), [.applied, .dirty])
        let statusCLI = try cli(db, dir, ["status"])
        XCTAssertTrue(statusCLI.stdout.contains("invalid index public.emails_address"), statusCLI.stdout)

        // Fix the data, forget the dirty attempt, run again: the invalid index is dropped and rebuilt.
        try db.connect().execute("DELETE FROM emails WHERE id = 2")
        try migrator(db, dir).repair(2, action: .forget)
        var events: [MigrationEvent] = []
        let report = try migrator(db, dir).migrate { events.append($0) }
        XCTAssertEqual(report.applied.map(\.version), [2])
        XCTAssertTrue(events.contains { if case .invalidIndexFound = $0 { return true } else { return false } })
        XCTAssertTrue(events.contains { if case .droppingInvalidIndex(let index, _) = $0 { return index.name == "emails_address" } else { return false } })
        XCTAssertEqual(report.invalidIndexes, [])
        XCTAssertTrue(try db.connect().execute(
            "SELECT indisvalid AND indisunique FROM pg_index WHERE indexrelid = 'emails_address'::regclass").scalar(Bool.self))
        assertSQLState(.uniqueViolation) { try db.connect().execute("INSERT INTO emails VALUES (4, 'a')") }
    }

    func testSeveralConcurrentIndexBuildsInOneNoTransactionFileWork() throws {
        let db = try makeDatabase()
        let dir = try migrations([
            "0001_t.sql": "CREATE TABLE t (a int, b int, c text);\nINSERT INTO t SELECT g, g % 7, g::text FROM generate_series(1, 1000) g;",
            "0002_indexes.sql": """
                -- pgmigrate: no-transaction
                CREATE INDEX CONCURRENTLY t_a ON t (a);
                CREATE INDEX CONCURRENTLY IF NOT EXISTS t_b ON t (b);
                /* a quoted name */
                CREATE UNIQUE INDEX CONCURRENTLY "T c" ON public.t (c);
                """,
        ])
        try migrator(db, dir).migrate()
        let indexes = try db.connect().execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 't'::regclass ORDER BY 1"
        ).rows.map { "\(try $0.decode("relname", as: String.self)):\(try $0.decode("indisvalid", as: Bool.self))" }
        XCTAssertEqual(indexes, ["T c:true", "t_a:true", "t_b:true"])
        XCTAssertEqual(try ledger(db).map(\.state), [.applied, .applied])
    }

    func testLockHeldByAnotherSessionHitsLockTimeoutRetriesAndFailsClearly() throws {
        let db = try makeDatabase()
        let dir = try migrations(["0001_users.sql": "CREATE TABLE users (id int);"])
        try migrator(db, dir).migrate()
        try write(dir, "0002_alter.sql", "CREATE TABLE other (id int);\nALTER TABLE users ADD COLUMN email text;\n")

        let blocker = try db.connect()
        try blocker.executeScript("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        var retries: [String] = []
        assertRefused(.database, .lockTimeout, contains: ["0002_alter.sql:2:", "lock_timeout", "55P03", "3 attempt(s)"]) {
            try migrator(db, dir) {
                $0.lockTimeout = 0.2
                $0.lockRetries = 2
            }.migrate { event in
                if case .lockTimeoutRetry = event { retries.append(event.message) }
            }
        }
        XCTAssertEqual(retries.count, 2, "\(retries)")
        XCTAssertEqual(try ledger(db).map(\.version), [1])
        XCTAssertFalse(try tableExists(db, "other"))

        // Once the other session lets go, the same migration applies.
        try blocker.executeScript("ROLLBACK")
        XCTAssertEqual(try migrator(db, dir).migrate().applied.map(\.version), [2])
    }

    func testSecondMigratorWaitsForTheMigrationLockThenGivesUp() throws {
        let db = try makeDatabase()
        let dir = try migrations(["0001_a.sql": "CREATE TABLE a (id int);"])
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock($1)", [AdvisoryLock.key])
        let result = try cli(db, dir, ["migrate", "--lock-wait", "0.5"])
        XCTAssertEqual(result.status, ExitStatus.refused.rawValue, result.stderr)
        XCTAssertTrue(result.stderr.contains("waiting for the migration lock (held by backend PID \(holder.backendPID))"), result.stderr)
        XCTAssertTrue(result.stderr.contains("--lock-wait"), result.stderr)
        XCTAssertFalse(try tableExists(db, "a"))
        assertRefused(.refused, .migrationLockBusy, contains: ["migration lock"]) {
            try migrator(db, dir) { $0.lockWait = 0.2 }.migrate()
        }
        try holder.execute("SELECT pg_advisory_unlock($1)", [AdvisoryLock.key])
        XCTAssertEqual(try cli(db, dir, ["migrate", "--lock-wait", "5"]).status, 0)
    }

    func testMalformedMigrationFileIsBadInputNamingTheFile() throws {
        let db = try makeDatabase()
        let dir = try migrations(["0001_a.sql": "CREATE TABLE a (id int);", "002-b.sql": "SELECT 1;"])
        let result = try cli(db, dir, ["migrate"])
        XCTAssertEqual(result.status, ExitStatus.dataError.rawValue)
        XCTAssertTrue(result.stderr.contains("002-b.sql"), result.stderr)
        XCTAssertFalse(try tableExists(db, "a"))
    }

    // MARK: - plan, status, baseline, rollback

    func testPlanShowsPendingSQLInOrderAndAppliesNothing() throws {
        let db = try makeDatabase()
        let dir = try migrations(Self.basic)
        try migrator(db, dir).migrate(target: 1)
        let result = try cli(db, dir, ["plan"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let orders = try XCTUnwrap(result.stdout.range(of: "-- \(dir.path)/0002_orders.sql (version 2, in one transaction)"))
        let seed = try XCTUnwrap(result.stdout.range(of: "0003_seed.sql"))
        XCTAssertLessThan(orders.lowerBound, seed.lowerBound)
        XCTAssertTrue(result.stdout.contains("CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users);"))
        XCTAssertFalse(result.stdout.contains("DROP TABLE orders"), "the down part is not planned")
        XCTAssertFalse(try tableExists(db, "orders"))

        let json = try cli(db, dir, ["plan", "--json", "--target", "2"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let steps = try XCTUnwrap(object["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["version"] as? Int }, [2])
        XCTAssertEqual((steps.first?["statements"] as? [[String: Any]])?.map { $0["line"] as? Int }, [1, 2])
        XCTAssertEqual(try ledger(db).map(\.version), [1])
    }

    func testStatusReportsAppliedPendingAndJSON() throws {
        let db = try makeDatabase()
        let dir = try migrations(Self.basic)
        let empty = try migrator(db, dir).status()
        XCTAssertFalse(empty.ledgerExists, "status only reads: it does not create the ledger")
        XCTAssertEqual(empty.pendingCount, 3)
        try migrator(db, dir).migrate(target: 2)
        let result = try cli(db, dir, ["status", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["currentVersion"] as? Int, 2)
        XCTAssertEqual(object["pendingCount"] as? Int, 1)
        let rows = try XCTUnwrap(object["migrations"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["state"] as? String }, ["applied", "applied", "pending"])
        XCTAssertEqual(rows.map { $0["checksum"] as? String }, ["ok", "ok", "none"])
        XCTAssertEqual(rows.first?["hasDown"] as? Bool, true)
        let text = try cli(db, dir, ["status"])
        XCTAssertTrue(text.stdout.contains("version 2, 1 pending, 0 dirty"), text.stdout)
    }

    func testBaselineRecordsExistingVersionsWithoutRunningThem() throws {
        let db = try makeDatabase()
        let dir = try migrations(Self.basic)
        // The database already has the first two migrations' schema, made by hand.
        try db.connect().executeScript("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL); CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users);")
        let result = try cli(db, dir, ["baseline", "2", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["state"] as? String }, ["baselined", "baselined"])
        XCTAssertEqual(try db.connect().execute("SELECT count(*) FROM users").scalar(Int.self), 0, "baseline runs nothing")
        assertRefused(.refused, .wrongLedgerState, contains: ["0002_orders", "baselined"]) { try migrator(db, dir).rollback() }

        try db.connect().execute("INSERT INTO users VALUES (1, 'x')")
        XCTAssertEqual(try migrator(db, dir).migrate().applied.map(\.version), [3])
        let again = try cli(db, dir, ["baseline", "3"])
        XCTAssertEqual(again.status, ExitStatus.refused.rawValue)
        XCTAssertTrue(again.stderr.contains("ledger already has 3"), again.stderr)
    }

    func testRollbackUndoesTheNewestMigrationWithADownPartAndRefusesWithout() throws {
        let db = try makeDatabase()
        let dir = try migrations(Self.basic)
        try migrator(db, dir).migrate()
        let refused = try cli(db, dir, ["rollback"])
        XCTAssertEqual(refused.status, ExitStatus.refused.rawValue)
        XCTAssertTrue(refused.stderr.contains("0003_seed.sql has no `-- pgmigrate: down` part"), refused.stderr)
        XCTAssertEqual(try ledger(db).count, 3)

        try FileManager.default.removeItem(at: dir.appendingPathComponent("0003_seed.sql"))
        try db.connect().executeScript("DELETE FROM orders; DELETE FROM pgmigrate.schema_migrations WHERE version = 3")
        let undone = try cli(db, dir, ["rollback", "--json"])
        XCTAssertEqual(undone.status, 0, undone.stderr)
        XCTAssertTrue(undone.stderr.contains("rolled back 0002_orders"), undone.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(undone.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["version"] as? Int, 2)
        XCTAssertFalse(try tableExists(db, "orders"))
        XCTAssertEqual(try ledger(db).map(\.version), [1])

        // A failing down part rolls back completely: the row and the table stay.
        try write(dir, "0002_orders.sql", "CREATE TABLE orders (id int);\n-- pgmigrate: down\nDROP TABLE orders;\nDROP TABLE nope;\n")
        try migrator(db, dir).migrate()
        assertRefused(.database, contains: ["0002_orders.sql:4:", "42P01"]) { try migrator(db, dir).rollback() }
        XCTAssertTrue(try tableExists(db, "orders"))
        XCTAssertEqual(try ledger(db).map(\.version), [1, 2])
    }

    func testMigrationSettingsDoNotLeakIntoTheNextMigration() throws {
        let db = try makeDatabase()
        let dir = try migrations([
            "0001_set.sql": "CREATE SCHEMA app;\nSET search_path = app;\nSET lock_timeout = 0;\nCREATE TABLE inside (id int);",
            "0002_check.sql": "CREATE TABLE outside (id int);\nDO $$ BEGIN IF current_setting('lock_timeout') <> '5s' THEN RAISE EXCEPTION 'lock_timeout leaked: %', current_setting('lock_timeout'); END IF; END $$;",
        ])
        try migrator(db, dir).migrate()
        XCTAssertTrue(try tableExists(db, "app.inside"))
        XCTAssertTrue(try tableExists(db, "public.outside"))
    }
}

private final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Result<ProcessResult, any Error>] = []
    func append(_ item: Result<ProcessResult, any Error>) { lock.lock(); items.append(item); lock.unlock() }
    var values: [Result<ProcessResult, any Error>] { lock.lock(); defer { lock.unlock() }; return items }
}
