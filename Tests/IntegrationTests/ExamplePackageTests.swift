import Foundation
import PQClient
import XCTest

/// examples/shop, an application's own model with the pgmigrate CLI built
/// over it (`PGMigrate.main(provider:)`), built as its own package and run
/// as a process: its committed migration matches its model, it migrates,
/// drifts clean, enforces its state machine, and purges.
final class ExamplePackageTests: XCTestCase {
    private static let package = TestServer.repositoryRoot.appendingPathComponent("examples/shop")

    /// Builds the example (incremental when scripts/test.sh built it already).
    private func shopMigrate() throws -> URL {
        let build = try runProcess(
            URL(fileURLWithPath: "/usr/bin/env"), ["swift", "build", "--package-path", Self.package.path, "--product", "shop-migrate"])
        XCTAssertEqual(build.status, 0, build.stdout + build.stderr)
        return Self.package.appendingPathComponent(".build/debug/shop-migrate")
    }

    func testTheShopBuildsMigratesDriftsCleanAndPurges() throws {
        let binary = try shopMigrate()
        let db = try makeDatabase(prefix: "pgm_shop")
        let env = ["DATABASE_URL": db.url]
        let sql = Self.package.appendingPathComponent("sql").path
        func run(_ arguments: [String]) throws -> ProcessResult { try runProcess(binary, arguments, environment: env) }

        let check = try run(["generate", "--check", "--dir", sql])
        XCTAssertEqual(check.status, 0, check.stderr)

        let migrate = try run(["migrate", "--dir", sql])
        XCTAssertEqual(migrate.status, 0, migrate.stderr)
        XCTAssertTrue(migrate.stdout.contains("database at version 1"), migrate.stdout)

        let drift = try run(["drift"])
        XCTAssertEqual(drift.status, 0, drift.stdout + drift.stderr)
        XCTAssertTrue((drift.stdout + drift.stderr).contains("no drift: schema shop"), drift.stdout + drift.stderr)

        // The shop's own rules, from the generic kits: the state machine
        // refuses a transition it does not list and accepts one it does.
        let conn = try db.connect()
        try conn.executeScript("""
            INSERT INTO shop.customers (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'Ann');
            INSERT INTO shop.orders (id, customer_id, total_cents, created_at) VALUES
              ('00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-000000000001', 100, now() - interval '40 days'),
              ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-000000000001', 100, now() - interval '29 days');
            """)
        assertSQLState(.checkViolation, constraint: "orders_status_transition") {
            try conn.execute("UPDATE shop.orders SET status = 'shipped' WHERE id = '00000000-0000-0000-0000-00000000000a'")
        }
        try conn.execute("UPDATE shop.orders SET status = 'cancelled'")
        assertSQLState(.checkViolation, constraint: "orders_total_cents_non_negative") {
            try conn.execute("UPDATE shop.orders SET total_cents = -1")
        }

        // Retention: the 40-day-old cancelled order goes; the 29-day-old one stays.
        let purge = try run(["purge", "--json"])
        XCTAssertEqual(purge.status, 0, purge.stderr)
        XCTAssertEqual(
            try conn.execute("SELECT id::text FROM shop.orders").rows.map { try $0.decode("id", as: String.self) },
            ["00000000-0000-0000-0000-00000000000b"])
        let again = try run(["purge"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue((again.stdout + again.stderr).contains("cancelled_orders_purge: 0 rows deleted"), again.stdout + again.stderr)

        // Still no drift after data changes, and an edit by hand is drift.
        XCTAssertEqual(try run(["drift"]).status, 0)
        try conn.executeScript("ALTER TABLE shop.orders DROP CONSTRAINT orders_total_cents_non_negative")
        let drifted = try run(["drift"])
        XCTAssertEqual(drifted.status, 1, drifted.stdout + drifted.stderr)
        XCTAssertTrue((drifted.stdout + drifted.stderr).contains("orders_total_cents_non_negative"), drifted.stdout + drifted.stderr)
    }

    /// The example's CLI knows no call-feedback rule: it has no erasure.
    func testTheShopHasNoErasure() throws {
        let result = try runProcess(try shopMigrate(), ["erase", "--phone", "x"], environment: ["DATABASE_URL": "postgresql://127.0.0.1:1/none"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("no erasure rule"), result.stderr)
    }
}
