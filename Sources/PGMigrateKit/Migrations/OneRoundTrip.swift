import Foundation
import PQClient
import SchemaModel

extension Migrator {
    /// Applies a transactional migration in one round trip: the session
    /// reset, `BEGIN`, the file's statements, its ledger row (with the
    /// server-measured execution time) and `COMMIT`, sent as one simple-query
    /// script. A file of many statements then costs one round trip instead of
    /// one per statement.
    ///
    /// Returns nil, with everything rolled back and the notices dropped, when
    /// anything fails: the caller then runs the file the careful way
    /// (statement by statement, with lock-timeout retries), which applies it
    /// or names the failing `file:line`. A failing file is thus run twice,
    /// both times in a transaction that is rolled back.
    func applyInOneRoundTrip(_ file: MigrationFile, connection: Connection, progress: (MigrationEvent) -> Void) -> Int64? {
        let start = Date()
        var script = PostgresTarget.sessionScript(options) + ";\n"
        if connection.serverVersionNumber >= 140000 { script += "SET client_connection_check_interval = '1s';\n" }
        script += "BEGIN;\n"
        for statement in file.upStatements {
            // The statement's own text, then a terminator on a line of its own
            // (a trailing `--` comment cannot swallow it).
            script += statement.text + "\n;\n"
        }
        // Schema-qualified throughout: the file may have changed search_path.
        script += """
            INSERT INTO pgmigrate.schema_migrations (version, name, checksum, state, execution_ms, pgmigrate_version)
            VALUES (\(file.version), \(quoteLiteral(file.name)), \(quoteLiteral(file.checksum)), 'applied',
                pg_catalog.round(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) pg_catalog.statement_timestamp()) OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8,
                \(quoteLiteral(PGMigrateVersion.current)));
            COMMIT
            """
        do {
            try connection.executeScript(script)
        } catch {
            if connection.transactionStatus != .idle { _ = try? connection.executeScript("ROLLBACK") }
            _ = connection.takeNotices()
            return nil
        }
        guard connection.transactionStatus == .idle else {
            // A file that ended its own transaction early would be refused by
            // the parser; be safe all the same.
            _ = try? connection.executeScript("ROLLBACK")
            _ = connection.takeNotices()
            return nil
        }
        for notice in connection.takeNotices() { progress(.notice(notice, file: file.path)) }
        return Self.milliseconds(since: start)
    }
}
