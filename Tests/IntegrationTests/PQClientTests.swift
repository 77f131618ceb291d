import Foundation
import PGMigrateKit
import PQClient
import XCTest

final class PQClientTests: XCTestCase {
    private var connection: Connection!

    override func setUpWithError() throws {
        connection = try makeDatabase().connect()
    }

    override func tearDown() {
        connection = nil
    }

    func testNullRoundTripsAsNil() throws {
        let row = try XCTUnwrap(connection.execute("SELECT $1::text AS a, $2::int AS b", [String?.none, Int?.none]).first)
        XCTAssertNil(row["a"])
        XCTAssertNil(row["b"])
        XCTAssertNil(try row.decodeIfPresent("a", as: String.self))
        XCTAssertThrowsError(try row.decode("a", as: String.self))
    }

    func testUnicodeIncludingEmojiAndSwedishRoundTrips() throws {
        let text = "Hej! Räksmörgås på Åland, ÅÄÖ åäö 🦐📞 — \"quoted\" 'single' \\ back"
        let back = try connection.execute("SELECT $1::text", [text]).scalar(String.self)
        XCTAssertEqual(back, text)
        XCTAssertEqual(try connection.execute("SELECT length($1::text)", [text]).scalar(Int.self), text.count)
    }

    func testByteaWithZeroBytesRoundTrips() throws {
        let bytes = PQBytes([0, 1, 2, 0, 255, 0x5c, 0x27, 0])
        let back = try connection.execute("SELECT $1::bytea", [bytes]).scalar(PQBytes.self)
        XCTAssertEqual(back, bytes)
        XCTAssertEqual(try connection.execute("SELECT length($1::bytea)", [bytes]).scalar(Int.self), 8)
    }

    func testOneMebibyteTextRoundTrips() throws {
        let text = String(repeating: "abcdefghåäö\n", count: (1 << 20) / 14 + 1)
        let back = try connection.execute("SELECT $1::text", [text]).scalar(String.self)
        XCTAssertEqual(back.utf8.count, text.utf8.count)
        XCTAssertEqual(back, text)
    }

    func testUUIDRoundTrips() throws {
        let id = UUID()
        let row = try XCTUnwrap(connection.execute("SELECT $1::uuid AS id, $1::uuid::text AS t", [id]).first)
        XCTAssertEqual(try row.decode("id", as: UUID.self), id)
        XCTAssertEqual(row["t"], id.uuidString.lowercased())
    }

    func testTimestamptzRoundTripsToTheMicrosecond() throws {
        let date = Date(timeIntervalSince1970: 1_758_535_872.123456)
        let back = try connection.execute("SELECT $1::timestamptz", [date]).scalar(Date.self)
        XCTAssertEqual(back.timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 0.000001)
        // A session in another time zone prints an offset; the instant is the same.
        try connection.execute("SET TimeZone = 'Europe/Stockholm'")
        let local = try connection.execute("SELECT $1::timestamptz", [date]).scalar(Date.self)
        XCTAssertEqual(local.timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 0.000001)
        let text = try connection.execute("SELECT '2025-09-22 10:00:00+05:30'::timestamptz::text").scalar(String.self)
        let parsed = try Date(pqText: text)
        XCTAssertEqual(parsed.timeIntervalSince1970, 1_758_515_400, accuracy: 0.000001)
    }

    func testTypedAccessorsDecodeIntegersDoublesBooleansAndJSON() throws {
        let row = try XCTUnwrap(connection.execute("""
            SELECT 42::int AS i, 9007199254740993::bigint AS big, 1.5::float8 AS d,
                   true AS yes, false AS no, '{"a": [1, 2]}'::jsonb AS doc
            """).first)
        XCTAssertEqual(try row.decode("i", as: Int.self), 42)
        XCTAssertEqual(try row.decode("big", as: Int64.self), 9_007_199_254_740_993)
        XCTAssertEqual(try row.decode("d", as: Double.self), 1.5)
        XCTAssertEqual(try row.decode("yes", as: Bool.self), true)
        XCTAssertEqual(try row.decode("no", as: Bool.self), false)
        let doc = try row.decode("doc", as: PQJSON.self)
        XCTAssertEqual(doc.text, #"{"a": [1, 2]}"#)
        let object = try XCTUnwrap(doc.object() as? [String: Any])
        XCTAssertEqual(object["a"] as? [Int], [1, 2])
        XCTAssertThrowsError(try row.decode("doc", as: Int.self)) { error in
            XCTAssertEqual((error as? PQError)?.kind, .decoding)
        }
    }

    func testParametersSendBooleansAndNumbers() throws {
        let row = try XCTUnwrap(connection.execute(
            "SELECT $1::bool AS b, $2::bigint AS n, $3::float8 AS d", [true, Int64.max, -0.25]).first)
        XCTAssertEqual(try row.decode("b", as: Bool.self), true)
        XCTAssertEqual(try row.decode("n", as: Int64.self), .max)
        XCTAssertEqual(try row.decode("d", as: Double.self), -0.25)
    }

    func testUniqueViolationCarriesSQLStateAndConstraintName() throws {
        try connection.executeScript("CREATE TABLE t (id int CONSTRAINT t_pkey PRIMARY KEY, v text)")
        try connection.execute("INSERT INTO t VALUES (1, 'a')")
        let error = assertSQLState(.uniqueViolation, constraint: "t_pkey") {
            try connection.execute("INSERT INTO t VALUES ($1, $2)", [1, "b"])
        }
        XCTAssertEqual(error?.table, "t")
        XCTAssertEqual(error?.schema, "public")
        XCTAssertNotNil(error?.detail)
        XCTAssertEqual(error?.kind, .server)
        XCTAssertEqual(error?.severity, "ERROR")
    }

    func testSyntaxErrorCarriesPosition() throws {
        let error = assertSQLState(.syntaxError) {
            try connection.execute("SELECT 1 FROM WHERE")
        }
        XCTAssertEqual(error?.position, 15)
        XCTAssertTrue(error?.description.hasPrefix("42601: syntax error") ?? false, "\(String(describing: error))")
    }

    func testNoticesAreCaptured() throws {
        try connection.executeScript("""
            DO $$ BEGIN RAISE NOTICE 'hello %', 'world'; RAISE WARNING 'careful' USING HINT = 'mind the gap'; END $$
            """)
        let notices = connection.takeNotices()
        XCTAssertEqual(notices.map(\.message), ["hello world", "careful"])
        XCTAssertEqual(notices.map(\.severity), ["NOTICE", "WARNING"])
        XCTAssertEqual(notices.last?.hint, "mind the gap")
        XCTAssertTrue(connection.takeNotices().isEmpty)

        var seen: [String] = []
        connection.noticeHandler = { seen.append($0.message) }
        try connection.executeScript("DO $$ BEGIN RAISE NOTICE 'to the handler'; END $$")
        XCTAssertEqual(seen, ["to the handler"])
    }

    func testThrowingInsideTransactionRollsBack() throws {
        struct Boom: Error {}
        try connection.executeScript("CREATE TABLE t (id int)")
        XCTAssertThrowsError(try connection.transaction { conn in
            try conn.execute("INSERT INTO t VALUES (1)")
            throw Boom()
        }) { XCTAssertTrue($0 is Boom) }
        XCTAssertEqual(connection.transactionStatus, .idle)
        XCTAssertEqual(try connection.execute("SELECT count(*) FROM t").scalar(Int.self), 0)

        // A server error inside rolls back too, and the connection stays usable.
        assertSQLState(.undefinedTable) {
            try connection.transaction { conn in
                try conn.execute("INSERT INTO t VALUES (2)")
                try conn.execute("INSERT INTO missing VALUES (2)")
            }
        }
        XCTAssertEqual(try connection.execute("SELECT count(*) FROM t").scalar(Int.self), 0)

        try connection.transaction { conn in try conn.execute("INSERT INTO t VALUES (3)") }
        XCTAssertEqual(try connection.execute("SELECT count(*) FROM t").scalar(Int.self), 1)
    }

    func testExecuteScriptRunsSeveralStatements() throws {
        let result = try connection.executeScript("CREATE TABLE s (x int); INSERT INTO s VALUES (1), (2); SELECT sum(x) FROM s")
        XCTAssertEqual(try result.scalar(Int.self), 3)
        let insert = try connection.execute("INSERT INTO s VALUES (3), (4)")
        XCTAssertEqual(insert.rowsAffected, 2)
        XCTAssertEqual(insert.commandTag, "INSERT 0 2")
    }

    func testNulByteInParameterIsAUsageErrorNotATruncation() {
        XCTAssertThrowsError(try connection.execute("SELECT $1::text", ["a\u{0}b"])) { error in
            XCTAssertEqual((error as? PQError)?.kind, .usage)
        }
    }

    func testClosedPortFailsQuicklyWithAClearError() throws {
        let start = Date()
        XCTAssertThrowsError(try Connection("postgres://nobody@127.0.0.1:1/x")) { error in
            let error = error as? PQError
            XCTAssertEqual(error?.kind, .connection)
            XCTAssertTrue(error?.message.contains("Connection refused") ?? false, "\(String(describing: error))")
            XCTAssertFalse(error?.description.contains("\n") ?? true)
        }
        // Not a timing assertion on speed, only a guard against hanging on the connect timeout.
        XCTAssertLessThan(Date().timeIntervalSince(start), Double(Connection.defaultConnectTimeout))
    }

    func testMalformedURLIsRejectedBeforeConnecting() {
        XCTAssertThrowsError(try Connection("postgres://user@[::1/db")) { error in
            XCTAssertEqual((error as? PQError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("invalid connection string"), "\(error)")
        }
        XCTAssertThrowsError(try Connection("host=localhost bogus_option=1")) { error in
            XCTAssertTrue("\(error)".contains("bogus_option"), "\(error)")
        }
    }

    func testConninfoStringAndURLBothConnect() throws {
        let settings = try TestServer.settings()
        let viaURL = try Connection(settings.conninfo)
        let url = try XCTUnwrap(URLComponents(string: try XCTUnwrap(settings.conninfo)))
        let conninfo = "host=\(url.host ?? "127.0.0.1") port=\(url.port ?? 5432) user=\(url.user ?? "postgres") dbname=postgres"
        let viaConninfo = try Connection(conninfo)
        XCTAssertEqual(viaURL.serverVersionNumber, viaConninfo.serverVersionNumber)
        XCTAssertGreaterThanOrEqual(viaURL.serverVersionNumber, 150000)
    }

    func testPingCLIFailsWithOneLineAndExitCode3OnAClosedPort() throws {
        let result = try pgmigrate(["ping", "--database-url", "postgres://nobody@127.0.0.1:1/x"])
        XCTAssertEqual(result.status, ExitStatus.connection.rawValue)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("pgmigrate: error: cannot connect"), result.stderr)
        XCTAssertEqual(result.stdout, "")
    }

    func testMalformedConnectionStringIsAUsageErrorExit64() throws {
        for bad in ["not a url", "postgres://user@[::1/db", "host=localhost bogus_option=1"] {
            let result = try pgmigrate(["ping", "--database-url", bad])
            XCTAssertEqual(result.status, ExitStatus.usage.rawValue, "\(bad): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("invalid connection string"), result.stderr)
            XCTAssertTrue(result.stderr.contains("--database-url"), result.stderr)
        }
        let fromEnvironment = try pgmigrate(["ping"], environment: ["DATABASE_URL": "not a url"])
        XCTAssertEqual(fromEnvironment.status, ExitStatus.usage.rawValue, fromEnvironment.stderr)
        XCTAssertTrue(fromEnvironment.stderr.contains("DATABASE_URL"), fromEnvironment.stderr)
    }

    func testPingCLIReportsTheServer() throws {
        let settings = try TestServer.settings()
        let result = try pgmigrate(["ping", "--json"], environment: ["DATABASE_URL": settings.conninfo ?? ""])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(object["serverVersionNumber"] as? Int ?? 0, 150000)
    }
}
