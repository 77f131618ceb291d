import PGMigrateKit
import XCTest

final class ConnectionSettingsTests: XCTestCase {
    func testFlagWinsOverEnvironmentWhichWinsOverLibpq() {
        let env = ["DATABASE_URL": "postgres://env@h/db"]
        XCTAssertEqual(ConnectionSettings.resolve(flag: "postgres://flag@h/db", environment: env).source, .flag)
        XCTAssertEqual(ConnectionSettings.resolve(flag: nil, environment: env).conninfo, "postgres://env@h/db")
        XCTAssertEqual(ConnectionSettings.resolve(flag: nil, environment: [:]).source, .libpq)
        XCTAssertNil(ConnectionSettings.resolve(flag: "", environment: ["DATABASE_URL": ""]).conninfo)
    }

    func testPasswordsAreRedacted() {
        XCTAssertEqual(
            ConnectionSettings(conninfo: "postgres://u:s3cret@h:5432/db", source: .flag).redacted,
            "postgres://u:***@h:5432/db")
        XCTAssertEqual(
            ConnectionSettings(conninfo: "host=h password='a b\\'c' user=u", source: .flag).redacted,
            "host=h password=*** user=u")
        XCTAssertEqual(
            ConnectionSettings(conninfo: "host=h password=abc", source: .flag).redacted, "host=h password=***")
    }

    func testWithDatabaseReplacesThePathAndKeepsTheQuery() {
        let url = ConnectionSettings(conninfo: "postgres://u@h:1/old?sslmode=disable", source: .flag)
        XCTAssertEqual(url.withDatabase("new_db").conninfo, "postgres://u@h:1/new_db?sslmode=disable")
        let bare = ConnectionSettings(conninfo: "postgresql://u@h", source: .flag)
        XCTAssertEqual(bare.withDatabase("x").conninfo, "postgresql://u@h/x")
        let kv = ConnectionSettings(conninfo: "host=h dbname=old", source: .flag)
        XCTAssertEqual(kv.withDatabase("it's").conninfo, "host=h dbname=old dbname='it\\'s'")
    }
}
