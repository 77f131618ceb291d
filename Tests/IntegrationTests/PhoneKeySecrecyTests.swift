import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// The phone key stays out of places other roles or the server's log can
/// see: it travels only in a connection's startup options, and drift
/// reports a key stored in `pg_db_role_setting` or a configuration file.
final class PhoneKeySecrecyTests: XCTestCase {
    let model = CallFeedbackSchema.catalog()
    static let keySetting = CallFeedbackModel().secretSettings(schema: "public").first ?? "app.phone_encryption_key"

    // MARK: - Startup settings

    func testStartupSettingReachesTheSessionWithSpacesBackslashesAndQuotes() throws {
        let database = try makeDatabase(prefix: "pgm_key")
        let value = #"a key with spaces, a \ backslash, 'quotes' and "doubles""#
        let connection = try database.settings.adding(StartupSetting("app.test_secret", value)).connect()
        XCTAssertEqual(try connection.execute("SELECT current_setting('app.test_secret')").scalar(String.self), value)
    }

    func testStartupSettingKeepsTheOptionsOfTheConnectionString() throws {
        let database = try makeDatabase(prefix: "pgm_key")
        let withOptions = ConnectionSettings(
            conninfo: (database.settings.conninfo ?? "") + "?options=-c%20search_path%3Dpg_catalog", source: .flag)
        let connection = try withOptions.adding(StartupSetting("app.test_secret", "s3cret")).connect()
        XCTAssertEqual(try connection.execute("SHOW search_path").scalar(String.self), "pg_catalog")
        XCTAssertEqual(try connection.execute("SELECT current_setting('app.test_secret')").scalar(String.self), "s3cret")
    }

    func testStartupSettingIsNotShownWhenSettingsArePrinted() {
        let setting = StartupSetting("app.phone_encryption_key", "never-print-me")
        XCTAssertFalse("\(setting)".contains("never-print-me"))
        XCTAssertFalse(String(reflecting: setting).contains("never-print-me"))
    }

    // MARK: - Drift reports a key other roles can read

    func testDriftReportsAPhoneKeyStoredAsADatabaseOrRoleSetting() throws {
        let database = try makeDatabase(prefix: "pgm_key")
        _ = try database.connect().executeScript(GeneratedMigration.initial(model).contents)
        let admin = try TestServer.admin()
        let check = DriftCheck(
            catalog: model, schema: "public", target: database.settings, secretSettings: [Self.keySetting])
        XCTAssertEqual(try check.run().exposures, [], "a clean database has no exposed key")

        let secret = "exposed-key-\(UUID().uuidString)"
        try admin.execute("ALTER DATABASE \(try admin.escapeIdentifier(database.name)) SET app.phone_encryption_key = '\(secret)'")
        let role = "pgm_key_role_\(UUID().uuidString.prefix(8).lowercased())"
        try admin.execute("CREATE ROLE \(role) LOGIN")
        addTeardownBlock {
            _ = try? TestServer.admin().execute("DROP ROLE IF EXISTS \(role)")
        }
        try admin.execute("ALTER ROLE \(role) SET app.phone_encryption_key = '\(secret)'")

        // What the issue shows: a role with no privileges at all reads it back.
        let intruder = try database.settings.connect()
        try intruder.execute("SET ROLE \(role)")
        let visible = try intruder.execute("SELECT count(*) FROM pg_db_role_setting WHERE array_to_string(setconfig, ',') LIKE '%' || $1 || '%'", [secret]).scalar(Int.self)
        XCTAssertEqual(visible, 2)

        let places = try check.run().exposures.map(\.place)
        XCTAssertTrue(places.contains("ALTER DATABASE \(database.name) SET"), "\(places)")
        XCTAssertTrue(places.contains("ALTER ROLE \(role) SET"), "\(places)")

        let cli = try pgmigrate(["drift", "--database-url", database.url])
        XCTAssertEqual(cli.status, 1, cli.stderr)
        XCTAssertTrue(cli.stdout.contains("Security"), cli.stdout)
        XCTAssertTrue(cli.stdout.contains("app.phone_encryption_key is stored by ALTER ROLE \(role) SET"), cli.stdout)
        XCTAssertFalse(cli.stdout.contains(secret) || cli.stderr.contains(secret), "drift printed the key")
        let json = try pgmigrate(["drift", "--json", "--database-url", database.url])
        XCTAssertEqual(json.status, 1, json.stderr)
        XCTAssertTrue(json.stdout.contains("\"security\""), json.stdout)
        XCTAssertFalse(json.stdout.contains(secret))

        try admin.execute("ALTER DATABASE \(try admin.escapeIdentifier(database.name)) RESET app.phone_encryption_key")
        try admin.execute("ALTER ROLE \(role) RESET app.phone_encryption_key")
        XCTAssertEqual(try check.run().exposures, [])
    }

    // MARK: - Never in the log, never in pg_stat_activity

    /// The server log of the throwaway cluster scripts/test.sh starts.
    private func serverLog() throws -> URL {
        if let dir = ProcessInfo.processInfo.environment["PGMIGRATE_THROWAWAY_DIR"] {
            return URL(fileURLWithPath: dir).appendingPathComponent("server.log")
        }
        if let path = try TestServer.admin().execute("SELECT pg_current_logfile()").first?[0],
            let dataDirectory = try TestServer.admin().execute("SHOW data_directory").first?[0]
        {
            return URL(fileURLWithPath: path.hasPrefix("/") ? path : dataDirectory + "/" + path)
        }
        let message = "this test reads the server log: run it under scripts/test.sh (a throwaway cluster) or on a server with logging_collector on"
        XCTFail(message)
        throw PGMigrateError(.connection, message)
    }

    func testKeyIsNeitherLoggedNorInPgStatActivityThroughMigratePurgeEraseAndATenantInsert() throws {
        let log = try serverLog()
        let database = try makeDatabase(prefix: "pgm_key")
        let admin = try TestServer.admin()
        let quoted = try admin.escapeIdentifier(database.name)
        // Every statement of every session on this database is logged, with its parameters.
        try admin.execute("ALTER DATABASE \(quoted) SET log_statement = 'all'")
        try admin.execute("ALTER DATABASE \(quoted) SET log_min_duration_statement = 0")
        try admin.execute("ALTER DATABASE \(quoted) SET log_parameter_max_length = -1")

        let key = "leak-canary-\(UUID().uuidString)"
        let environment = [Eraser.keyEnvironmentVariable: key]
        let migrate = try pgmigrate(["migrate", "--dir", TestServer.repositoryRoot.appendingPathComponent("sql").path,
                                     "--database-url", database.url], environment: environment)
        XCTAssertEqual(migrate.status, 0, migrate.stderr)

        // A tenant's insert, the way the README tells applications to send the key.
        let owner = try database.connect()
        let business = try owner.execute("INSERT INTO businesses (id) VALUES (gen_random_uuid()) RETURNING id").scalar(UUID.self)
        let verification = try owner.execute("INSERT INTO customer_verifications (id) VALUES (gen_random_uuid()) RETURNING id").scalar(UUID.self)
        let tenant = try database.settings.adding(StartupSetting(Self.keySetting, key)).connect(applicationName: "tenant app")
        try tenant.execute("SET ROLE business_app")
        try tenant.execute("SELECT set_config('app.current_business_id', $1, false)", [business.uuidString.lowercased()])
        try tenant.execute(
            "INSERT INTO call_sessions (business_id, verification_id, customer_phone, ai_session_id, telephony_call_id) VALUES ($1, $2, $3, 's1', 'c1')",
            [business, verification, "070-123 45 67"])

        // While the tenant's connection is open: no session shows the key.
        let activity = try admin.execute("SELECT coalesce(string_agg(query, E'\\n'), '') FROM pg_stat_activity").scalar(String.self)
        XCTAssertFalse(activity.contains(key), "the key is in pg_stat_activity")
        XCTAssertTrue(try owner.execute("SELECT count(*) FROM call_sessions WHERE customer_phone IS NOT NULL").scalar(Int.self) == 1)

        let purge = try pgmigrate(["purge", "--database-url", database.url], environment: environment)
        XCTAssertEqual(purge.status, 0, purge.stderr)
        let erase = try pgmigrate(["erase", "--phone-stdin", "--database-url", database.url],
                                  environment: environment, input: "070-123 45 67\n")
        XCTAssertEqual(erase.status, 0, erase.stderr)
        XCTAssertTrue(erase.stdout.contains("erased personal data of 1 call session"), erase.stdout)

        // Flush: the log is written by the server process; give it a statement to end on.
        _ = try owner.execute("SELECT 'pgm-log-flush'")
        let text = try String(contentsOf: log, encoding: .utf8)
        // The log did record this database's statements (so the test can fail)…
        XCTAssertTrue(text.contains("erase_customer_data"), "log_statement did not log the erase: is \(log.path) the server's log?")
        XCTAssertTrue(text.contains("INSERT INTO call_sessions"), "the tenant's insert is not in the log")
        // …and the key is in none of them.
        XCTAssertFalse(text.contains(key), "the phone key is in the server log")
        for result in [migrate, purge, erase] {
            XCTAssertFalse(result.stdout.contains(key) || result.stderr.contains(key), "pgmigrate printed the key")
        }
    }
}
