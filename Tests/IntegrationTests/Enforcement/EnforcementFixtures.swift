import Foundation
import PGMigrateKit
import PQClient
import SchemaModel
import XCTest

/// Helpers shared by the tests of the rules Postgres enforces (state machine,
/// event rules, phone encryption, row-level security). Kept in a namespace so
/// they do not collide with the general fixtures of other test files.
enum EnforcementFixtures {
    static let phoneKey = TestModel.phoneKey

    /// A fresh database with the generated schema applied and the phone key set.
    static func schemaConnection(_ database: TestDatabase) throws -> Connection {
        let conn = try database.connect()
        try applySchema(conn)
        try TestModel.useKey(conn)
        return conn
    }

    static func applySchema(_ conn: Connection) throws {
        try TestModel.applySchema(conn)
    }

    /// A row in the host application's `businesses` table.
    @discardableResult
    static func business(_ conn: Connection) throws -> UUID {
        let id = UUID()
        try conn.execute("INSERT INTO businesses (id) VALUES ($1)", [id])
        return id
    }

    static func verification(_ conn: Connection) throws -> UUID {
        let id = UUID()
        try conn.execute("INSERT INTO customer_verifications (id) VALUES ($1)", [id])
        return id
    }

    /// A new call session (status `initiated`) of `business`.
    static func session(_ conn: Connection, business: UUID, phone: String = "+46701234567") throws -> UUID {
        let verification = try verification(conn)
        return try conn.execute(
            "INSERT INTO call_sessions (business_id, customer_phone, verification_id) VALUES ($1, $2, $3) RETURNING id",
            [business, phone, verification]
        ).scalar(UUID.self)
    }

    /// The valid path from `initiated` to each status.
    static var pathTo: [String: [String]] { TestModel.statusPaths }

    /// Moves a fresh session to `status` along valid transitions.
    static func advance(_ conn: Connection, session: UUID, to status: String,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        guard let path = pathTo[status] else {
            XCTFail("no path to status \(status)", file: file, line: line)
            return
        }
        for step in path {
            try conn.execute("UPDATE call_sessions SET status = $2 WHERE id = $1", [session, step])
        }
    }

    /// A session of `business` already in `status`.
    static func session(_ conn: Connection, business: UUID, status: String) throws -> UUID {
        let id = try session(conn, business: business)
        try advance(conn, session: id, to: status)
        return id
    }

    /// Inserts a call event at `seconds` after the fixed `baseTime`;
    /// `business` nil lets the trigger fill it in.
    @discardableResult
    static func event(
        _ conn: Connection, session: UUID, type: String = "question_asked", at seconds: Double,
        business: UUID? = nil
    ) throws -> QueryResult {
        try conn.execute(
            """
            INSERT INTO call_events (call_session_id, business_id, event_type, timestamp, source)
            VALUES ($1, $2, $3::call_event_type, \(baseTime) + $4::float8 * interval '1 second', 'system')
            """,
            [session, business, type, seconds])
    }

    /// The instant event offsets count from, as a SQL literal.
    static let baseTime = "timestamptz '\(TestModel.t0)'"
}

/// A value shared between test threads, guarded by a lock.
final class EnforcementBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.lock(); defer { lock.unlock() }; return value }
    func update(_ change: (inout Value) -> Void) { lock.lock(); change(&value); lock.unlock() }
}

/// The outcome of a statement run on another thread, in Sendable form.
struct EnforcementOutcome: Sendable, Equatable {
    var sqlState: String?
    var constraint: String?
    var message: String?

    static let success = EnforcementOutcome(sqlState: nil, constraint: nil, message: nil)

    init(sqlState: String?, constraint: String?, message: String?) {
        self.sqlState = sqlState
        self.constraint = constraint
        self.message = message
    }

    init(_ error: any Error) {
        if let error = error as? PQError {
            self.init(sqlState: error.sqlState?.rawValue, constraint: error.constraint, message: error.message)
        } else {
            self.init(sqlState: "client", constraint: nil, message: "\(error)")
        }
    }

    var succeeded: Bool { sqlState == nil }
}

/// A write run on its own connection and thread, for tests in which it must
/// wait for a lock that another connection holds.
final class BlockedWriter: Sendable {
    let applicationName = "blocked-\(UUID().uuidString.prefix(8))"
    private let result = EnforcementBox<EnforcementOutcome?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(_ settings: ConnectionSettings, _ body: @escaping @Sendable (Connection) throws -> Void) {
        let (name, result, done) = (applicationName, result, done)
        Thread {
            defer { done.signal() }
            do {
                try body(try settings.connect(applicationName: name))
                result.update { $0 = .success }
            } catch {
                let outcome = EnforcementOutcome(error)
                result.update { $0 = outcome }
            }
        }.start()
    }

    /// Whether the writer came to wait on a lock within 5 s, as `observer`
    /// sees it in pg_stat_activity.
    func waitsOnALock(observer: Connection) throws -> Bool {
        for _ in 0..<200 {
            let count = try observer.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                [applicationName]).scalar(Int.self)
            if count == 1 { return true }
            Thread.sleep(forTimeInterval: 0.025)
        }
        return false
    }

    /// The outcome so far: nil while the writer has not finished.
    var outcomeSoFar: EnforcementOutcome? { result.get() }

    /// Waits (up to 30 s) for the writer to finish; nil if it did not.
    func outcome() -> EnforcementOutcome? {
        done.wait(timeout: .now() + 30) == .success ? result.get() : nil
    }
}
