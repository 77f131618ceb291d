import Foundation
import PQClient

/// The migration lock: a session-level advisory lock held on a connection of
/// its own that never opens a transaction.
///
/// Because the holder is idle outside any transaction, it has no snapshot and
/// no virtual transaction that `CREATE INDEX CONCURRENTLY` would wait for, so
/// the lock can never deadlock with a concurrent index build (unlike a
/// transaction-scoped lock taken in the migrating session, flyway#1654). The
/// server releases it when the session ends, including when the process is
/// killed.
public final class AdvisoryLock {
    /// `pg_advisory_lock` key: the ASCII of "pgmigrat" as a bigint.
    public static let key: Int64 = 0x7067_6D69_6772_6174

    private let connection: Connection
    public private(set) var isHeld = false

    /// Opens the lock's own connection.
    public init(settings: ConnectionSettings) throws {
        connection = try settings.connect(applicationName: "pgmigrate lock")
    }

    /// Takes the lock, waiting up to `wait` seconds. `onWait` is called once,
    /// with the holder's backend PID when known, if the lock is busy.
    /// Throws `PGMigrateError(.refused)` when the wait runs out.
    public func acquire(wait: Double, onWait: (Int32?) -> Void) throws {
        let deadline = Date().addingTimeInterval(max(0, wait))
        var reported = false
        var delay = 0.05
        while true {
            let got: Bool
            do {
                got = try connection.execute("SELECT pg_try_advisory_lock($1)", [Self.key]).scalar(Bool.self)
            } catch let error as PQError {
                throw PGMigrateError.from(error, while: "taking the migration lock")
            }
            if got {
                isHeld = true
                return
            }
            if !reported {
                reported = true
                onWait(holder())
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                let who = holder().map { " (held by backend PID \($0))" } ?? ""
                throw PGMigrateError(.migrationLockBusy, "another pgmigrate holds the migration lock\(who); gave up after waiting \(Self.seconds(wait)) (--lock-wait)")
            }
            Thread.sleep(forTimeInterval: min(delay, remaining))
            delay = min(delay * 2, 0.5)
        }
    }

    /// The PID of the session holding the lock, if any.
    public func holder() -> Int32? {
        let high = Self.key >> 32
        let low = Self.key & 0xFFFF_FFFF
        let pid = try? connection.execute("""
            SELECT pid FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1
            LIMIT 1
            """, [high, low]).rows.first?.decodeIfPresent("pid", as: Int32.self)
        return pid ?? nil
    }

    public func release() {
        guard isHeld else { return }
        _ = try? connection.execute("SELECT pg_advisory_unlock($1)", [Self.key])
        isHeld = false
    }

    deinit {
        release()
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }
}
