/// One statement of a migration file, as the splitter found it.
public struct SQLStatement: Sendable, Hashable {
    /// The statement text without its terminating semicolon, starting at its
    /// first token (leading comments and blank lines are not part of it).
    public let text: String
    /// The 1-based line of the file where the statement's first token is.
    public let line: Int

    public init(text: String, line: Int) {
        self.text = text
        self.line = line
    }

    /// The file line of a server error `position` (1-based, in characters of
    /// `text`), or the statement's line when there is none.
    public func line(atPosition position: Int?) -> Int {
        guard let position, position > 1 else { return line }
        var newlines = 0
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index >= position - 1 { break }
            if scalar == "\n" { newlines += 1 }
        }
        return line + newlines
    }
}

/// A top-level `-- pgmigrate: …` comment (a directive), found outside strings,
/// identifiers, dollar quotes and block comments.
public struct SQLDirective: Sendable, Hashable {
    /// The text after `pgmigrate:`, trimmed and lowercased (`no-transaction`, `down`).
    public let name: String
    public let line: Int
    /// Whether the comment starts its line (only whitespace before it).
    public let startsLine: Bool
    /// UTF-8 offsets of the start of the directive's line and of the next line.
    public let lineStart: Int
    public let nextLineStart: Int
}

/// Splits PostgreSQL SQL into statements the way psql does, without a
/// server, from `SQLLexer`'s tokens.
///
/// Understands `'…'` strings (with `''`), `E'…'` strings with backslash
/// escapes, `"…"` identifiers, `$$`/`$tag$` dollar quoting, `--` comments,
/// nested `/* */` comments, and `BEGIN ATOMIC … END` bodies of SQL-standard
/// `CREATE FUNCTION`/`CREATE PROCEDURE` (whose semicolons do not end the
/// statement). Semicolons anywhere else end a statement. psql backslash
/// meta-commands are not supported (they reach the server as SQL and fail).
public enum SQLSplitter {
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    public struct Result: Sendable, Hashable {
        public var statements: [SQLStatement]
        public var directives: [SQLDirective]
    }

    /// The statements of `sql`; `firstLine` is the file line `sql` starts on.
    public static func split(_ sql: String, firstLine: Int = 1) throws -> [SQLStatement] {
        try scan(sql, firstLine: firstLine).statements
    }

    /// Statements and top-level `-- pgmigrate:` directives of `sql`.
    public static func scan(_ sql: String, firstLine: Int = 1) throws -> Result {
        var scanner = Scanner(sql, firstLine: firstLine)
        try scanner.run()
        return Result(statements: scanner.statements, directives: scanner.directives)
    }

    /// Builds statements and directives from `SQLLexer`'s tokens.
    private struct Scanner {
        var lexer: SQLLexer
        var statements: [SQLStatement] = []
        var directives: [SQLDirective] = []

        // The statement being read.
        var start: Int?
        var startLine = 0
        var lastTokenEnd = 0
        // Words of the statement, for BEGIN ATOMIC tracking.
        var words: [String] = []
        var isRoutine = false
        var blockDepth = 0

        init(_ sql: String, firstLine: Int) {
            lexer = SQLLexer(sql, firstLine: firstLine)
        }

        mutating func run() throws {
            while let token = try lexer.next() {
                switch token.kind {
                case .lineComment:
                    directive(token)
                case .blockComment:
                    continue
                case .semicolon where blockDepth == 0:
                    finishStatement()
                case .word:
                    include(token)
                    noteWord(lexer.text(token).uppercased())
                default:
                    include(token)
                }
            }
            finishStatement()
        }

        mutating func include(_ token: SQLToken) {
            if start == nil {
                start = token.range.lowerBound
                startLine = token.line
            }
            lastTokenEnd = token.range.upperBound
        }

        mutating func finishStatement() {
            if let start {
                let text = String(decoding: lexer.bytes[start..<lastTokenEnd], as: UTF8.self)
                statements.append(SQLStatement(text: text, line: startLine))
            }
            start = nil
            words.removeAll()
            isRoutine = false
            blockDepth = 0
        }

        /// A `-- pgmigrate: …` comment is a directive.
        mutating func directive(_ token: SQLToken) {
            let bytes = lexer.bytes
            let startsLine = bytes[token.lineStart..<token.range.lowerBound].allSatisfy { $0 == 32 || $0 == 9 }
            let text = String(decoding: bytes[(token.range.lowerBound + 2)..<token.range.upperBound], as: UTF8.self)
            let trimmed = text.trimmingWhitespace()
            if trimmed.lowercased().hasPrefix("pgmigrate:") {
                let name = String(trimmed.dropFirst("pgmigrate:".count)).trimmingWhitespace().lowercased()
                let end = token.range.upperBound
                let next = end < bytes.count ? end + 1 : end
                directives.append(SQLDirective(
                    name: name, line: token.line, startsLine: startsLine, lineStart: token.lineStart, nextLineStart: next))
            }
        }

        /// psql's rule: inside `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, `BEGIN`
        /// opens a block (and `CASE` inside one opens another) that `END` closes.
        mutating func noteWord(_ word: String) {
            if words.count < 4 {
                words.append(word)
                if words.count >= 2, words[0] == "CREATE" {
                    let kind = words.count >= 4 && words[1] == "OR" && words[2] == "REPLACE" ? words[3] : words[1]
                    if kind == "FUNCTION" || kind == "PROCEDURE" { isRoutine = true }
                }
            }
            guard isRoutine else { return }
            switch word {
            case "BEGIN": blockDepth += 1
            case "CASE" where blockDepth > 0: blockDepth += 1
            case "END" where blockDepth > 0: blockDepth -= 1
            default: break
            }
        }
    }
}

func isIdentifierStart(_ c: UInt8) -> Bool {
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 128
}

func isIdentifierPart(_ c: UInt8) -> Bool {
    isIdentifierStart(c) || (c >= 48 && c <= 57) || c == 36
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        var out = ""
        out.unicodeScalars.append(contentsOf: scalars[first...last])
        return out
    }
}
