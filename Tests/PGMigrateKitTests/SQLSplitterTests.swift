import PGMigrateKit
import XCTest

final class SQLSplitterTests: XCTestCase {
    private func texts(_ sql: String) throws -> [String] {
        try SQLSplitter.split(sql).map(\.text)
    }

    func testSplitsOnSemicolonsAndDropsEmptyStatements() throws {
        XCTAssertEqual(try texts("SELECT 1; SELECT 2;;  ;\nSELECT 3"), ["SELECT 1", "SELECT 2", "SELECT 3"])
        XCTAssertEqual(try texts("  \n-- only a comment\n/* and another */\n"), [])
    }

    func testSemicolonsInsideStringsIdentifiersAndCommentsDoNotSplit() throws {
        let sql = """
            INSERT INTO "we;ird" VALUES ('a;b', 'it''s; fine'); -- trailing; comment
            /* block; comment */ SELECT "col""; x" FROM t;
            """
        XCTAssertEqual(try texts(sql), [
            #"INSERT INTO "we;ird" VALUES ('a;b', 'it''s; fine')"#,
            #"SELECT "col""; x" FROM t"#,
        ])
    }

    func testEscapeStringsHonourBackslashEscapedQuotes() throws {
        XCTAssertEqual(try texts(#"SELECT E'it\'s; \\'; SELECT e'\''"#), [#"SELECT E'it\'s; \\'"#, #"SELECT e'\''"#])
        // In a standard string a backslash is an ordinary character.
        XCTAssertEqual(try texts(#"SELECT 'a\'; SELECT 2"#), [#"SELECT 'a\'"#, "SELECT 2"])
        // A word ending in e is not an E prefix.
        XCTAssertEqual(try texts(#"SELECT some'x\'; SELECT 2"#), [#"SELECT some'x\'"#, "SELECT 2"])
    }

    func testDollarQuotesWithAndWithoutTags() throws {
        let sql = """
            CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$
            BEGIN
              RETURN $$;'"$$ || $x$ $$ ; $x$;
            END;
            $body$;
            SELECT $1, a$b$c FROM t;
            SELECT $$;$$
            """
        let statements = try SQLSplitter.split(sql)
        XCTAssertEqual(statements.count, 3)
        XCTAssertTrue(statements[0].text.hasSuffix("$body$"), statements[0].text)
        XCTAssertEqual(statements[1].text, "SELECT $1, a$b$c FROM t")
        XCTAssertEqual(statements[2].text, "SELECT $$;$$")
        XCTAssertEqual(statements.map(\.line), [1, 6, 7])
    }

    func testNestedBlockComments() throws {
        XCTAssertEqual(try texts("/* outer /* inner; */ still; comment */ SELECT 1; SELECT /* x */ 2"), ["SELECT 1", "SELECT /* x */ 2"])
    }

    func testBeginAtomicBodiesKeepTheirSemicolons() throws {
        let sql = """
            CREATE OR REPLACE FUNCTION g(x int) RETURNS int LANGUAGE sql
            BEGIN ATOMIC
              SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
              SELECT x;
            END;
            BEGIN;
            SELECT 2;
            """
        XCTAssertEqual(try SQLSplitter.split(sql).map(\.line), [1, 6, 7])
    }

    func testStatementLinesSkipLeadingCommentsAndBlankLines() throws {
        let sql = "-- header\n\n/* doc\n comment */\nCREATE TABLE a (\n  id int\n);\n\n  SELECT 1;"
        let statements = try SQLSplitter.split(sql)
        XCTAssertEqual(statements.map(\.line), [5, 9])
        XCTAssertEqual(statements[0].text, "CREATE TABLE a (\n  id int\n)")
    }

    func testServerPositionMapsToTheLineInTheFile() throws {
        let statement = try XCTUnwrap(SQLSplitter.split("\n\nSELECT *\n  FROM nope;").first)
        XCTAssertEqual(statement.line, 3)
        let position = statement.text.distance(from: statement.text.startIndex, to: try XCTUnwrap(statement.text.range(of: "nope")).lowerBound) + 1
        XCTAssertEqual(statement.line(atPosition: position), 4)
        XCTAssertEqual(statement.line(atPosition: nil), 3)
        // Positions count characters, not bytes.
        let unicode = try XCTUnwrap(SQLSplitter.split("SELECT 'åäö🦐',\n nope").first)
        XCTAssertEqual(unicode.line(atPosition: 18), 2)
    }

    func testUnterminatedConstructsAreErrorsNamingTheLine() {
        for (sql, line) in [("SELECT 1;\nSELECT 'abc", 2), ("\n\nSELECT $x$ body", 3), ("/* /* */", 1), ("SELECT \"abc", 1), ("SELECT E'\\'", 1)] {
            XCTAssertThrowsError(try SQLSplitter.split(sql), sql) { error in
                XCTAssertEqual((error as? SQLSplitter.Failure)?.line, line, "\(sql): \(error)")
            }
        }
    }

    func testDirectivesAreFoundOnlyAtTopLevel() throws {
        let sql = """
            -- pgmigrate: no-transaction
            SELECT '
            -- pgmigrate: down
            ';
            /* -- pgmigrate: down */
            -- pgmigrate: down
            """
        let result = try SQLSplitter.scan(sql)
        XCTAssertEqual(result.directives.map(\.name), ["no-transaction", "down"])
        XCTAssertEqual(result.directives.map(\.line), [1, 6])
    }
}

/// The one lexer under the splitter and the statement recognisers.
final class SQLLexerTests: XCTestCase {
    private func kinds(_ sql: String) throws -> [SQLToken.Kind] {
        var lexer = SQLLexer(sql)
        var out: [SQLToken.Kind] = []
        while let token = try lexer.next() { out.append(token.kind) }
        return out
    }

    func testTokenKinds() throws {
        XCTAssertEqual(try kinds("SELECT E'a\\'b', 'c''d', \"x\"\"y\", $q$;$q$, $1 -- note\n/* a /* b */ */;"), [
            .word, .string, .symbol, .string, .symbol, .quotedIdentifier, .symbol, .dollarString, .symbol, .symbol,
            .symbol, .lineComment, .blockComment, .semicolon,
        ])
        // A trailing E of a longer word is not an escape-string prefix.
        XCTAssertEqual(try kinds("SOME'x'"), [.word, .string])
        XCTAssertThrowsError(try kinds("SELECT 'open"))
    }

    func testTokensCarryTheirLines() throws {
        var lexer = SQLLexer("a\n  b\n\nc", firstLine: 10)
        var lines: [Int] = []
        while let token = try lexer.next() { lines.append(token.line) }
        XCTAssertEqual(lines, [10, 11, 13])
    }
}
