import Foundation
import PGMigrateKit
import PQClient
import XCTest

/// `pgmigrate lint --trace` on the corpus (Tests/LintCorpus), and the CLI's
/// selection of files, formats and exit codes.
final class LintTraceTests: XCTestCase {
    private static let corpus = TestServer.repositoryRoot.appendingPathComponent("Tests/LintCorpus")
    private static let base = corpus.appendingPathComponent("base/0001_base.sql").path

    private static func cases() throws -> [URL] {
        let directory = corpus.appendingPathComponent("cases")
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// `-- expect-trace: LINE RULE DETAIL` lines of a case.
    private static func expectedTrace(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("-- expect-trace: ") }.map { String($0.dropFirst("-- expect-trace: ".count)) }
    }

    /// Every case, run as migrate would on a scratch database holding the
    /// base file's replay (1000 accounts, 2000 orders): exactly the locks of
    /// SHARE or stronger, the rewrites and the errors its file lists.
    func testEveryCorpusCaseTracesToExactlyItsExpectedLocksRewritesAndErrors() throws {
        let settings = try TestServer.settings()
        let base = try LintSource(path: Self.base)
        var checked = 0
        for url in try Self.cases() {
            var linter = Linter()
            try linter.absorb(base)
            var files = [try linter.lint(try LintSource(path: url.path))]
            try LintTracer(settings: settings).trace(&files, earlier: [base])
            var got = files[0].findings().filter { ["trace-lock", "trace-rewrite", "trace-error"].contains($0.rule) }
            for expected in try Self.expectedTrace(url) {
                let parts = expected.split(separator: " ", maxSplits: 2).map(String.init)
                guard parts.count == 3, let line = Int(parts[0]) else { XCTFail("bad expectation \(expected) in \(url.path)"); continue }
                if let hit = got.firstIndex(where: { $0.line == line && $0.rule == parts[1] && $0.message.hasPrefix(parts[2]) }) {
                    got.remove(at: hit)
                } else {
                    XCTFail("\(url.lastPathComponent): expected \(expected), not found")
                }
            }
            XCTAssertEqual(got.map(\.compilerStyle), [], "\(url.lastPathComponent): unexpected trace findings")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 40)
    }

    func testTheScratchDatabaseIsDroppedAndTheBaseHadRows() throws {
        let admin = try TestServer.admin()
        let before = try admin.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'pgmigrate\\_lint\\_%'").scalar(Int.self)
        let base = try LintSource(path: Self.base)
        var linter = Linter()
        try linter.absorb(base)
        let source = try LintSource(path: "0002_count.sql", contents: Array("ALTER TABLE public.accounts ADD CONSTRAINT few CHECK (score < 0);\n".utf8))
        var files = [try linter.lint(source)]
        try LintTracer(settings: try TestServer.settings()).trace(&files, earlier: [base])
        // A check no row of the replayed base meets fails: the rows are there.
        XCTAssertEqual(files[0].findings().filter { $0.rule == "trace-error" }.map { String($0.message.prefix(5)) }, ["23514"])
        let after = try admin.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'pgmigrate\\_lint\\_%'").scalar(Int.self)
        XCTAssertEqual(after, before)
    }

    private func directory(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pgmigrate-lint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        for (name, text) in files { try Data(text.utf8).write(to: url.appendingPathComponent(name)) }
        return url
    }

    private let first = "CREATE TABLE public.t (id int PRIMARY KEY, c text);\nSET lock_timeout = 0;\n"
    private let second = "CREATE INDEX t_c ON public.t (c);\n"

    func testPendingFilesAreLintedWhenADatabaseIsReachableElseAll() throws {
        let dir = try directory(["0001_t.sql": first, "0002_idx.sql": second])
        let database = try makeDatabase()
        try Migrator(settings: database.settings, directory: dir).migrate(target: 1)
        let pending = try pgmigrate(["lint", "--dir", dir.path, "--json", "--database-url", database.url])
        XCTAssertEqual(pending.status, 0, pending.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(pending.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(report?["selection"] as? String, "pending")
        XCTAssertEqual((report?["findings"] as? [[String: Any]])?.compactMap { $0["rule"] as? String }, ["index-without-concurrently"])
        XCTAssertEqual(report?["serverVersion"] as? String, try database.connect().parameterStatus("server_version").map { String($0.prefix { $0 != " " }) })

        let all = try pgmigrate(["lint", "--dir", dir.path, "--all", "--database-url", database.url])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(all.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) + " " + String($0.split(separator: " ")[2]) },
                       ["\(dir.path)/0001_t.sql:2:1: [timeout-override]", "\(dir.path)/0002_idx.sql:1:1: [index-without-concurrently]"])

        // No database named: every file.
        let offline = try pgmigrate(["lint", "--dir", dir.path, "--strict"], environment: ["DATABASE_URL": ""])
        XCTAssertEqual(offline.status, 1, offline.stderr)
        XCTAssertEqual(offline.stdout.split(separator: "\n").count, 2, offline.stdout)

        // --trace on the pending file: the lock it really takes.
        let traced = try pgmigrate(["lint", "--dir", dir.path, "--trace", "--database-url", database.url])
        XCTAssertEqual(traced.status, 0, traced.stderr)
        XCTAssertTrue(traced.stdout.contains("0002_idx.sql:1:1: note: [trace-lock] ShareLock on table public.t"), traced.stdout)
    }

    func testExitCodesAndFormats() throws {
        let dir = try directory(["0001_t.sql": first, "0002_bad.sql": "CREATE INDEX CONCURRENTLY t_c ON public.t (c);\n"])
        let env = ["DATABASE_URL": ""]
        let errors = try pgmigrate(["lint", "--dir", dir.path, "--format", "github"], environment: env)
        XCTAssertEqual(errors.status, 1, errors.stderr)
        XCTAssertTrue(errors.stdout.contains("::error file=\(dir.path)/0002_bad.sql,line=1,col=1,title=pgmigrate lint [concurrently-in-transaction]::"), errors.stdout)
        XCTAssertTrue(errors.stderr.contains("1 error(s), 1 warning(s)"), errors.stderr)

        let named = try pgmigrate(["lint", "--dir", dir.path, "\(dir.path)/0001_t.sql"], environment: env)
        XCTAssertEqual(named.status, 0, named.stderr)
        XCTAssertEqual(named.stdout, "\(dir.path)/0001_t.sql:2:1: warning: [timeout-override] lock_timeout = 0 turns off the lock_timeout pgmigrate sets for each migration\n")

        let badVersion = try pgmigrate(["lint", "--dir", dir.path, "--pg-version", "fifteen"], environment: env)
        XCTAssertEqual(badVersion.status, 64, badVersion.stderr)

        let broken = try directory(["0001_x.sql": "SELECT 'unterminated;\n"])
        let unreadable = try pgmigrate(["lint", "--dir", broken.path], environment: env)
        XCTAssertEqual(unreadable.status, 65, unreadable.stderr)
        XCTAssertTrue(unreadable.stderr.contains("0001_x.sql:1: unterminated string"), unreadable.stderr)

        let noServer = try pgmigrate(["lint", "--dir", dir.path, "--trace", "--database-url", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"], environment: env)
        XCTAssertEqual(noServer.status, 3, noServer.stderr)

        // A database named but not reachable: every file, said on stderr.
        let unreachable = try pgmigrate(["lint", "--dir", dir.path, "--json", "--database-url", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"], environment: env)
        XCTAssertEqual(unreachable.status, 1, unreachable.stderr)
        XCTAssertTrue(unreachable.stderr.contains("no database reachable"), unreachable.stderr)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(unreachable.stdout.utf8)) as? [String: Any])?["selection"] as? String, "all")

        let rules = try pgmigrate(["lint", "--list-rules", "--json"], environment: env)
        XCTAssertEqual(rules.status, 0, rules.stderr)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(rules.stdout.utf8)) as? [[String: Any]])?.count, LintRules.all.count)
    }
}
