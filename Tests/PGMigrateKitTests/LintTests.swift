import Foundation
@testable import PGMigrateKit
import XCTest

/// One corpus file and what it must produce (see Tests/LintCorpus/README.md).
struct LintCorpusCase {
    let path: String
    let expected: [String]
    let expectedTrace: [(line: Int, rule: String, detail: String)]
    let pgVersion: Int

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("LintCorpus")
    }

    static var base: String { root.appendingPathComponent("base/0001_base.sql").path }

    static func all() throws -> [LintCorpusCase] {
        let directory = root.appendingPathComponent("cases")
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted().map { name in
            let path = directory.appendingPathComponent(name).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            var expected: [String] = []
            var traced: [(Int, String, String)] = []
            var version = Linter.defaultServerVersion
            for line in text.split(separator: "\n") {
                if line.hasPrefix("-- expect: ") {
                    expected.append(String(line.dropFirst("-- expect: ".count)))
                } else if line.hasPrefix("-- expect-trace: ") {
                    let parts = line.dropFirst("-- expect-trace: ".count).split(separator: " ", maxSplits: 2).map(String.init)
                    if parts.count == 3, let n = Int(parts[0]) { traced.append((n, parts[1], parts[2])) }
                } else if line.hasPrefix("-- lint-pg-version: "), let v = Linter.parseVersion(String(line.dropFirst("-- lint-pg-version: ".count))) {
                    version = v
                }
            }
            return LintCorpusCase(path: path, expected: expected, expectedTrace: traced, pgVersion: version)
        }
    }

    /// The case linted after the base file.
    func lint() throws -> LintedFile {
        var linter = Linter(serverVersion: pgVersion)
        try linter.absorb(try LintSource(path: Self.base))
        return try linter.lint(try LintSource(path: path))
    }
}

final class LintTests: XCTestCase {
    private func lint(_ text: String, name: String = "0002_case.sql", version: Int = Linter.defaultServerVersion, after earlier: String? = nil) throws -> [LintFinding] {
        var linter = Linter(serverVersion: version)
        if let earlier { try linter.absorb(try LintSource(path: "0001_base.sql", contents: Array(earlier.utf8))) }
        return try linter.lint(try LintSource(path: name, contents: Array(text.utf8))).findings()
    }

    private let base = "CREATE TABLE public.t (id int PRIMARY KEY, v varchar(10), n numeric(8,2), c text);\n"

    func testEveryCorpusCaseGivesExactlyItsExpectedStaticFindings() throws {
        let cases = try LintCorpusCase.all()
        XCTAssertGreaterThanOrEqual(cases.count, 40)
        for corpusCase in cases {
            let got = try corpusCase.lint().findings().map { "\($0.line) \($0.rule)" }
            XCTAssertEqual(got, corpusCase.expected, corpusCase.path)
        }
    }

    func testTheCorpusCoversEveryStaticRuleAndTheThreeSquawkMisses() throws {
        let cases = try LintCorpusCase.all()
        let covered = Set(cases.flatMap { $0.expected.compactMap { $0.split(separator: " ").last.map(String.init) } })
        for rule in LintRules.all where !rule.traced {
            XCTAssertTrue(covered.contains(rule.id), "no corpus case expects \(rule.id)")
        }
        let names = cases.map { URL(fileURLWithPath: $0.path).lastPathComponent }
        for name in ["0002_cic_in_transaction.sql", "0002_vacuum_full_in_transaction.sql", "0002_enum_add_and_use.sql", "0002_varchar_to_text.sql"] {
            XCTAssertTrue(names.contains(name), name)
        }
        // Safe variants lint clean: at least one clean case per generator shape.
        for name in ["0002_cic_no_transaction.sql", "0002_drop_index_concurrently_no_transaction.sql", "0002_check_not_valid.sql",
                     "0002_validate_set_not_null_drop_check.sql", "0002_unique_using_index.sql", "0002_enum_add_value_alone.sql",
                     "0002_foreign_key_not_valid.sql", "0002_varchar_to_text.sql"] {
            XCTAssertEqual(cases.first { $0.path.hasSuffix(name) }?.expected, [], name)
        }
    }

    /// The static rewrite rules agree with what the server did (the trace
    /// expectations, themselves checked against a server by LintTraceTests):
    /// a case expects a table rewrite from the trace exactly when the static
    /// lint says it rewrites (or truncates).
    func testStaticRewriteFindingsAgreeWithTheTracedRewrites() throws {
        for corpusCase in try LintCorpusCase.all() where corpusCase.pgVersion == Linter.defaultServerVersion {
            let staticRewrite = corpusCase.expected.contains { $0.hasSuffix(" rewriting-type-change") || $0.hasSuffix(" volatile-default") || $0.hasSuffix(" truncate") }
            let tracedRewrite = corpusCase.expectedTrace.contains { $0.rule == "trace-rewrite" && $0.detail.hasPrefix("table ") }
            let failsFirst = corpusCase.expectedTrace.contains { $0.rule == "trace-error" }
            if failsFirst { continue }
            XCTAssertEqual(staticRewrite, tracedRewrite, corpusCase.path)
        }
    }

    func testTheReleasedInitialSchemaLintsCleanWithoutIgnoreComments() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql/0001_initial_schema.sql").path
        let source = try LintSource(path: path)
        XCTAssertFalse(source.text.contains("lint-ignore"))
        var linter = Linter()
        XCTAssertEqual(try linter.lint(source).findings().map(\.compilerStyle), [])
    }

    func testUsingTheColumnCastToTheTargetTypeIsNoUsingAtAll() throws {
        let widen = "ALTER TABLE public.t ALTER COLUMN v TYPE character varying(20) USING v::character varying(20);\n"
        XCTAssertEqual(try lint(widen, after: base).map(\.compilerStyle), [])
        for rewrite in [
            "ALTER TABLE public.t ALTER COLUMN v TYPE character varying(20) USING lower(v)::character varying(20);\n",
            "ALTER TABLE public.t ALTER COLUMN v TYPE character varying(20) USING v::character varying(30);\n",
            "ALTER TABLE public.t ALTER COLUMN v TYPE character varying(20) USING c::character varying(20);\n",
        ] {
            XCTAssertEqual(try lint(rewrite, after: base).map(\.rule), [LintRules.rewritingTypeChange.id], rewrite)
        }
    }

    func testStatementTimeoutZeroIsAllowedOnlyBeforeLongOnlineSteps() throws {
        let index = "CREATE INDEX t_v ON public.t (v);\nALTER TABLE public.t ADD CONSTRAINT t_c CHECK (id > 0) NOT VALID;\n"
        let noTransaction = "-- pgmigrate: no-transaction\n"
        // Allowed: only CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, VALIDATE after it.
        for good in [
            noTransaction + "SET statement_timeout = 0;\nCREATE INDEX CONCURRENTLY t_n ON public.t (n);\nDROP INDEX CONCURRENTLY public.t_v;\nREINDEX INDEX CONCURRENTLY public.t_pkey;\n",
            noTransaction + "SET statement_timeout = 0;\nCREATE INDEX CONCURRENTLY t_n_new ON public.t (n);\nALTER INDEX public.t_n_new RENAME TO t_n;\nCOMMENT ON INDEX public.t_n IS 'n';\n",
            "SET statement_timeout = 0;\nALTER TABLE public.t VALIDATE CONSTRAINT t_c;\n",
        ] {
            XCTAssertEqual(try lint(good, after: base + index).map(\.compilerStyle), [], good)
        }
        // Refused: lock_timeout, a statement that is not a long online step after it, RESET, set_config.
        for bad in [
            noTransaction + "SET lock_timeout = 0;\nCREATE INDEX CONCURRENTLY t_n ON public.t (n);\n",
            "SET statement_timeout = 0;\nALTER TABLE public.t VALIDATE CONSTRAINT t_c;\nALTER TABLE public.t ALTER COLUMN v SET NOT NULL;\n",
            "SET statement_timeout = 0;\nALTER TABLE public.t VALIDATE CONSTRAINT t_c;\nCOMMENT ON TABLE public.t IS 'x';\n",
            "SET statement_timeout = 0;\nUPDATE public.t SET v = 'x' WHERE id = 1;\n",
            noTransaction + "RESET statement_timeout;\nCREATE INDEX CONCURRENTLY t_n ON public.t (n);\n",
            noTransaction + "SELECT set_config('statement_timeout', '0', false);\nCREATE INDEX CONCURRENTLY t_n ON public.t (n);\n",
        ] {
            let rules = try lint(bad, after: base + index).map(\.rule)
            XCTAssertTrue(rules.contains(LintRules.timeoutOverride.id), "\(bad)\n\(rules)")
        }
    }

    func testMigrationFilesAcceptLintDirectivesAndStillRefuseUnknownOnes() throws {
        let text = "-- pgmigrate: lint-ignore-file rename\n-- pgmigrate: lint-ignore drop-table, truncate -- reason\nDROP TABLE x;\n"
        let file = try MigrationFile(fileName: "0002_x.sql", contents: Array(text.utf8))
        XCTAssertEqual(file.upStatements.count, 1)
        for bad in ["-- pgmigrate: lint-ignored x\nSELECT 1;\n", "-- pgmigrate: lintignore x\nSELECT 1;\n"] {
            XCTAssertThrowsError(try MigrationFile(fileName: "0002_x.sql", contents: Array(bad.utf8))) { error in
                XCTAssertEqual((error as? PGMigrateError)?.status, .dataError)
            }
        }
    }

    func testTablesCreatedInTheSameFileAreNeverFlagged() throws {
        let sql = """
            CREATE TABLE public.n (id int, v varchar(5));
            CREATE INDEX n_v ON public.n (v);
            ALTER TABLE public.n ALTER COLUMN v TYPE int USING v::int, ADD CONSTRAINT n_id CHECK (id > 0);
            ALTER TABLE public.n ALTER COLUMN id SET NOT NULL, ADD COLUMN u uuid DEFAULT gen_random_uuid();
            ALTER TABLE public.n RENAME COLUMN v TO w;
            DROP TABLE public.n;
            """
        XCTAssertEqual(try lint(sql).map(\.compilerStyle), [])
    }

    func testStatementTextInsideStringsAndFunctionBodiesIsNotReadAsStatements() throws {
        let sql = """
            CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                CREATE INDEX t_c ON public.t (c);
                TRUNCATE public.t;
            END $$;
            COMMENT ON TABLE public.t IS 'DROP TABLE public.t; VACUUM FULL';
            SELECT E'it\\'s ''VACUUM''';
            """
        XCTAssertEqual(try lint(sql, after: base).map(\.compilerStyle), [])
    }

    func testTypeChangesThatAreBinaryCoercibleAreNotRewrites() throws {
        let safe = ["v TYPE varchar(20)", "v TYPE text", "v TYPE character varying", "n TYPE numeric(12,2)", "n TYPE numeric", "c TYPE varchar", "v SET DATA TYPE pg_catalog.text"]
        for change in safe {
            XCTAssertEqual(try lint("ALTER TABLE public.t ALTER COLUMN \(change);\n", after: base).map(\.rule), [], change)
        }
        let rewrites = ["v TYPE varchar(5)", "n TYPE numeric(8,3)", "id TYPE bigint", "c TYPE varchar(10)", "v TYPE text USING lower(v)", "n TYPE numeric(6,2)"]
        for change in rewrites {
            XCTAssertEqual(try lint("ALTER TABLE public.t ALTER COLUMN \(change);\n", after: base).map(\.rule), ["rewriting-type-change"], change)
        }
        // Unknown current type: a warning that says so.
        let unknown = try lint("ALTER TABLE public.other ALTER COLUMN x TYPE text;\n")
        XCTAssertEqual(unknown.map(\.rule), ["rewriting-type-change"])
        XCTAssertTrue(unknown.first?.message.contains("not known") ?? false)
    }

    func testPositionsPointAtTheStatementOrTheAlterSubcommand() throws {
        let sql = "SELECT 1; CREATE INDEX t_c ON public.t (c);\nALTER TABLE public.t\n    ADD COLUMN a int,\n    DROP COLUMN c;\n"
        let findings = try lint(sql, after: base)
        XCTAssertEqual(findings.map { "\($0.line):\($0.column) \($0.rule)" }, ["1:11 index-without-concurrently", "4:5 drop-column"])
    }

    func testVersionAwareRules() throws {
        let cic = "-- pgmigrate: no-transaction\nCREATE INDEX CONCURRENTLY t_c ON public.t (c);\n"
        XCTAssertEqual(try lint(cic, version: 140003, after: base).map(\.rule), ["concurrent-index-pg14-bug"])
        XCTAssertEqual(try lint(cic, version: 140004, after: base).map(\.rule), [])
        XCTAssertEqual(try lint(cic, version: 130010, after: base).map(\.rule), [])
        XCTAssertEqual(try lint("ALTER TYPE public.e ADD VALUE 'x';\n", version: 110000).map(\.rule), ["enum-add-value-in-transaction"])
        XCTAssertEqual(try lint("ALTER TYPE public.e ADD VALUE 'x';\n", version: 120000).map(\.rule), [])
        XCTAssertEqual(Linter.parseVersion("14.2"), 140002)
        XCTAssertEqual(Linter.parseVersion("9.6.3"), 90603)
        XCTAssertEqual(Linter.parseVersion("16"), 160000)
        XCTAssertEqual(Linter.parseVersion("150004"), 150004)
        XCTAssertNil(Linter.parseVersion("fifteen"))
        XCTAssertNil(Linter.parseVersion("1.2"))
    }

    func testUnknownDirectivesAndUnterminatedStringsAreBadInput() {
        for text in ["-- pgmigrate: no-transation\nSELECT 1;\n", "SELECT 'open;\n"] {
            XCTAssertThrowsError(try lint(text)) { error in
                XCTAssertEqual((error as? PGMigrateError)?.status, .dataError)
                XCTAssertTrue((error as? PGMigrateError)?.message.hasPrefix("0002_case.sql:") ?? false)
            }
        }
    }

    func testTraceIgnoresAreNotReportedUnusedWithoutTrace() throws {
        let sql = "-- pgmigrate: lint-ignore trace-lock\nALTER TABLE public.t ADD COLUMN a int;\n"
        XCTAssertEqual(try lint(sql, after: base).map(\.rule), [])
    }

    func testOutputFormats() throws {
        let findings = try lint("CREATE INDEX t_c ON public.t (c);\nVACUUM public.t;\n", name: "a,b/0002_a.sql", after: base)
        let report = LintReport(selection: "named", files: ["a,b/0002_a.sql"], serverVersion: 150004, traced: false, findings: findings)
        XCTAssertEqual(report.summary, LintReport.Summary(errors: 1, warnings: 1, notes: 0))
        XCTAssertEqual(report.exitStatus(strict: false), 1)
        XCTAssertEqual(report.compilerStyle.split(separator: "\n").first.map(String.init),
                       "a,b/0002_a.sql:1:1: warning: [index-without-concurrently] CREATE INDEX on public.t, which existed before this file, blocks its writes while the index builds; use CREATE INDEX CONCURRENTLY alone in a `-- pgmigrate: no-transaction` file")
        XCTAssertTrue(report.githubStyle.hasPrefix("::warning file=a%2Cb/0002_a.sql,line=1,col=1,title=pgmigrate lint [index-without-concurrently]::CREATE INDEX"), report.githubStyle)
        let warningsOnly = LintReport(selection: "all", files: [], serverVersion: 150004, traced: false, findings: Array(findings.prefix(1)))
        XCTAssertEqual(warningsOnly.exitStatus(strict: false), 0)
        XCTAssertEqual(warningsOnly.exitStatus(strict: true), 1)
        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any]
        let first = (json?["findings"] as? [[String: Any]])?.first
        XCTAssertEqual(first?["rule"] as? String, "index-without-concurrently")
        XCTAssertEqual(first?["hazards"] as? [String], ["index-build"])
        XCTAssertEqual(first?["link"] as? String, "README.md#lint")
    }

    func testTheReadmeListsEveryRuleWithItsLevel() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        for rule in LintRules.all {
            XCTAssertTrue(readme.contains("| `\(rule.id)` | \(rule.level.rawValue) |"), "README.md#lint does not list \(rule.id) as \(rule.level)")
        }
    }

    func testRuleIdsAreUniqueAndUseTheSharedHazardNames() {
        XCTAssertEqual(Set(LintRules.all.map(\.id)).count, LintRules.all.count)
        for rule in LintRules.all {
            XCTAssertFalse(rule.why.isEmpty)
            XCTAssertNotNil(LintRules.named(rule.id))
        }
    }
}
