import Foundation

/// One token of PostgreSQL SQL, as `SQLLexer` found it.
public struct SQLToken: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A keyword or unquoted identifier (letters, digits, `_`, `$`; not starting with a digit or `$`).
        case word
        /// `"…"`, with `""` for a quote.
        case quotedIdentifier
        /// `'…'` (with `''`) or `E'…'` (with backslash escapes).
        case string
        /// `$$…$$` or `$tag$…$tag$`.
        case dollarString
        /// `-- …` up to (not including) the end of the line.
        case lineComment
        /// `/* … */`, nested.
        case blockComment
        case semicolon
        /// Any other single byte: an operator character, a digit, a parenthesis.
        case symbol
    }

    public let kind: Kind
    /// UTF-8 offsets of the token in the text.
    public let range: Range<Int>
    /// The 1-based line the token starts on.
    public let line: Int
    /// The UTF-8 offset of the start of that line.
    public let lineStart: Int
}

/// The one SQL lexer: splits PostgreSQL SQL into tokens without a server,
/// the way psql reads it. `SQLSplitter` builds statements and directives
/// from its tokens; the migrator's statement recognisers (`SQLTokens`) read
/// keywords and identifiers with it.
public struct SQLLexer {
    public let bytes: [UInt8]
    private var i = 0
    private var line: Int
    private var lineStart = 0

    public init(_ text: String, firstLine: Int = 1) {
        self.bytes = Array(text.utf8)
        self.line = firstLine
    }

    /// The text of a token.
    public func text(_ token: SQLToken) -> String {
        String(decoding: bytes[token.range], as: UTF8.self)
    }

    /// The next token, skipping whitespace; `nil` at the end. Throws for an
    /// unterminated string, quoted identifier, dollar quote or block comment.
    public mutating func next() throws -> SQLToken? {
        while i < bytes.count, Self.isSpace(bytes[i]) { advance() }
        guard i < bytes.count else { return nil }
        let start = i
        let startLine = line
        let startLineStart = lineStart
        let kind: SQLToken.Kind
        let c = bytes[i]
        switch c {
        case UInt8(ascii: "-") where peek(1) == UInt8(ascii: "-"):
            while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
            kind = .lineComment
        case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
            try blockComment()
            kind = .blockComment
        case UInt8(ascii: ";"):
            advance()
            kind = .semicolon
        case UInt8(ascii: "'"):
            try quoted(UInt8(ascii: "'"), backslashEscapes: false, what: "string")
            kind = .string
        case _ where (c == UInt8(ascii: "E") || c == UInt8(ascii: "e")) && peek(1) == UInt8(ascii: "'")
            && !(i > 0 && isIdentifierPart(bytes[i - 1])):
            // `E'…'`: a lone E (not the end of a longer word or number) before the quote.
            advance()
            try quoted(UInt8(ascii: "'"), backslashEscapes: true, what: "string")
            kind = .string
        case UInt8(ascii: "\""):
            try quoted(UInt8(ascii: "\""), backslashEscapes: false, what: "quoted identifier")
            kind = .quotedIdentifier
        case UInt8(ascii: "$"):
            if let tag = dollarTag() {
                try dollarQuoted(tag)
                kind = .dollarString
            } else {
                advance()
                kind = .symbol
            }
        default:
            if isIdentifierStart(c) {
                while i < bytes.count, isIdentifierPart(bytes[i]) { advance() }
                kind = .word
            } else {
                advance()
                kind = .symbol
            }
        }
        return SQLToken(kind: kind, range: start..<i, line: startLine, lineStart: startLineStart)
    }

    private static func isSpace(_ c: UInt8) -> Bool {
        c == 32 || c == 9 || c == 10 || c == 13 || c == 0x0B || c == 0x0C
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        let j = i + offset
        return j < bytes.count ? bytes[j] : nil
    }

    private mutating func advance() {
        if bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        i += 1
    }

    private mutating func blockComment() throws {
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
        throw SQLSplitter.Failure(line: openedAt, message: "unterminated /* comment")
    }

    private mutating func quoted(_ quote: UInt8, backslashEscapes: Bool, what: String) throws {
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
        throw SQLSplitter.Failure(line: openedAt, message: "unterminated \(what)")
    }

    /// The full opening tag (`$$`, `$body$`) when `$` at `i` starts a dollar quote.
    private func dollarTag() -> [UInt8]? {
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

    private mutating func dollarQuoted(_ tag: [UInt8]) throws {
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
        throw SQLSplitter.Failure(line: openedAt, message: "unterminated dollar-quoted string \(shown)")
    }
}

/// A reader of keywords, identifiers and symbols at the start of a
/// statement, over `SQLLexer` (comments skipped). A lexing error reads as
/// the end of the statement.
struct SQLTokens {
    private var lexer: SQLLexer
    private var lookahead: SQLToken?

    init(_ text: String) { lexer = SQLLexer(text) }

    private mutating func peek() -> SQLToken? {
        if lookahead == nil {
            while let token = try? lexer.next() {
                if token.kind == .lineComment || token.kind == .blockComment { continue }
                lookahead = token
                break
            }
        }
        return lookahead
    }

    /// An unquoted word (folded to lower case) or a quoted identifier (exact).
    mutating func identifier() -> String? {
        guard let token = peek() else { return nil }
        let text = lexer.text(token)
        switch token.kind {
        case .word:
            lookahead = nil
            return text.lowercased()
        case .quotedIdentifier:
            lookahead = nil
            return String(text.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
        default:
            return nil
        }
    }

    /// Consumes `word` (case-insensitive, unquoted) when it comes next.
    mutating func keyword(_ word: String) -> Bool {
        guard let token = peek(), token.kind == .word, lexer.text(token).lowercased() == word else { return false }
        lookahead = nil
        return true
    }

    mutating func symbol(_ symbol: Unicode.Scalar) -> Bool {
        guard let token = peek(), token.kind == .symbol || token.kind == .semicolon,
            lexer.text(token) == String(symbol)
        else { return false }
        lookahead = nil
        return true
    }
}
