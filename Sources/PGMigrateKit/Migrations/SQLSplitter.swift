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

/// Splits PostgreSQL SQL into statements the way psql does, without a server.
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
        var scanner = Scanner(bytes: Array(sql.utf8), firstLine: firstLine)
        try scanner.run()
        return Result(statements: scanner.statements, directives: scanner.directives)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        var line: Int
        var statements: [SQLStatement] = []
        var directives: [SQLDirective] = []

        // The statement being read.
        var start: Int?
        var startLine = 0
        var lastTokenEnd = 0
        var lineStart = 0
        // Words of the statement, for BEGIN ATOMIC tracking.
        var words: [String] = []
        var isRoutine = false
        var blockDepth = 0

        init(bytes: [UInt8], firstLine: Int) {
            self.bytes = bytes
            self.line = firstLine
        }

        func peek(_ offset: Int = 0) -> UInt8? {
            let j = i + offset
            return j < bytes.count ? bytes[j] : nil
        }

        mutating func advance() {
            if bytes[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }

        mutating func beginToken() {
            if start == nil {
                start = i
                startLine = line
            }
        }

        mutating func finishStatement() {
            if let start {
                let text = String(decoding: bytes[start..<lastTokenEnd], as: UTF8.self)
                statements.append(SQLStatement(text: text, line: startLine))
            }
            start = nil
            words.removeAll()
            isRoutine = false
            blockDepth = 0
        }

        mutating func run() throws {
            while i < bytes.count {
                let c = bytes[i]
                switch c {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                    advance()
                case UInt8(ascii: "-") where peek(1) == UInt8(ascii: "-"):
                    lineComment()
                case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                    try blockComment()
                case UInt8(ascii: ";"):
                    if blockDepth > 0 {
                        beginToken()
                        advance()
                        lastTokenEnd = i
                    } else {
                        advance()
                        finishStatement()
                    }
                case UInt8(ascii: "'"):
                    beginToken()
                    try quoted(UInt8(ascii: "'"), backslashEscapes: isEscapeStringPrefix(), what: "string")
                    lastTokenEnd = i
                case UInt8(ascii: "\""):
                    beginToken()
                    try quoted(UInt8(ascii: "\""), backslashEscapes: false, what: "quoted identifier")
                    lastTokenEnd = i
                case UInt8(ascii: "$"):
                    beginToken()
                    if let tag = dollarTag() {
                        try dollarQuoted(tag)
                    } else {
                        advance()
                    }
                    lastTokenEnd = i
                default:
                    beginToken()
                    if isIdentifierStart(c) {
                        word()
                    } else {
                        advance()
                    }
                    lastTokenEnd = i
                }
            }
            finishStatement()
        }

        /// `E'…'`: the quote follows a lone `E`/`e` (not the end of a longer word).
        func isEscapeStringPrefix() -> Bool {
            guard i >= 1, bytes[i - 1] == UInt8(ascii: "E") || bytes[i - 1] == UInt8(ascii: "e") else { return false }
            guard let start, i - 1 >= start else { return false }
            if i >= 2, isIdentifierPart(bytes[i - 2]) { return false }
            return true
        }

        mutating func lineComment() {
            let commentLine = line
            let startsLine = bytes[lineStart..<i].allSatisfy { $0 == 32 || $0 == 9 }
            let begin = i
            while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
            let text = String(decoding: bytes[(begin + 2)..<i], as: UTF8.self)
            let trimmed = text.trimmingWhitespace()
            if trimmed.lowercased().hasPrefix("pgmigrate:") {
                let name = String(trimmed.dropFirst("pgmigrate:".count)).trimmingWhitespace().lowercased()
                let next = i < bytes.count ? i + 1 : i
                directives.append(SQLDirective(
                    name: name, line: commentLine, startsLine: startsLine, lineStart: lineStart, nextLineStart: next))
            }
        }

        mutating func blockComment() throws {
            let openedAt = line
            var depth = 0
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                    depth += 1
                    advance(); advance()
                } else if bytes[i] == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") {
                    depth -= 1
                    advance(); advance()
                    if depth == 0 { return }
                } else {
                    advance()
                }
            }
            throw Failure(line: openedAt, message: "unterminated /* comment")
        }

        mutating func quoted(_ quote: UInt8, backslashEscapes: Bool, what: String) throws {
            let openedAt = line
            advance()
            while i < bytes.count {
                let c = bytes[i]
                if backslashEscapes, c == UInt8(ascii: "\\") {
                    advance()
                    if i < bytes.count { advance() }
                    continue
                }
                advance()
                if c == quote {
                    if peek() == quote {
                        advance()
                        continue
                    }
                    return
                }
            }
            throw Failure(line: openedAt, message: "unterminated \(what)")
        }

        /// The full opening tag (`$$`, `$body$`) when `$` at `i` starts a dollar quote.
        func dollarTag() -> [UInt8]? {
            // `$1` is a parameter; `a$b` is part of an identifier.
            if i > 0, isIdentifierPart(bytes[i - 1]) { return nil }
            var j = i + 1
            if j < bytes.count, bytes[j] == UInt8(ascii: "$") { return [36, 36] }
            guard j < bytes.count, isIdentifierStart(bytes[j]) else { return nil }
            while j < bytes.count, bytes[j] != UInt8(ascii: "$") {
                guard isIdentifierPart(bytes[j]) else { return nil }
                j += 1
            }
            guard j < bytes.count else { return nil }
            return Array(bytes[i...j])
        }

        mutating func dollarQuoted(_ tag: [UInt8]) throws {
            let openedAt = line
            for _ in tag { advance() }
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "$"), i + tag.count <= bytes.count,
                    bytes[i..<(i + tag.count)].elementsEqual(tag)
                {
                    for _ in tag { advance() }
                    return
                }
                advance()
            }
            let shown = String(decoding: tag, as: UTF8.self)
            throw Failure(line: openedAt, message: "unterminated dollar-quoted string \(shown)")
        }

        mutating func word() {
            let begin = i
            while i < bytes.count, isIdentifierPart(bytes[i]) { advance() }
            let text = String(decoding: bytes[begin..<i], as: UTF8.self).uppercased()
            noteWord(text)
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
