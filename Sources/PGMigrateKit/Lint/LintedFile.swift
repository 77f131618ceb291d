/// A migration file split the way `migrate` splits it (`SQLSplitter`), with
/// its directives read: transactional or not, the up part, and the
/// `lint-ignore` suppressions.
struct ParsedLintFile: Sendable {
    let source: LintSource
    let transactional: Bool
    /// The up part: what `migrate` runs.
    let statements: [SQLStatement]
    /// 1-based column of each statement's first token.
    let columns: [Int]
    let ignores: [Ignore]

    struct Ignore: Sendable {
        let line: Int
        let rules: [String]
        /// `lint-ignore-file` (in the header) rather than `lint-ignore` (above one statement).
        let wholeFile: Bool
    }

    init(_ source: LintSource) throws {
        let scanned: SQLSplitter.Result
        do {
            scanned = try SQLSplitter.scan(source.text)
        } catch let failure as SQLSplitter.Failure {
            throw PGMigrateError(.dataError, "\(source.path):\(failure.line): \(failure.message)")
        }
        var transactional = true
        var downLine: Int?
        var ignores: [Ignore] = []
        for directive in scanned.directives {
            let name = directive.name
            if name == MigrationFile.noTransactionDirective {
                transactional = false
            } else if name == MigrationFile.downDirective {
                if downLine == nil { downLine = directive.line }
            } else if MigrationFile.isLintDirective(name) {
                let wholeFile = name.hasPrefix("lint-ignore-file")
                var rest = Substring(name.dropFirst(wholeFile ? "lint-ignore-file".count : "lint-ignore".count))
                if let reason = rest.range(of: "--") { rest = rest[..<reason.lowerBound] }
                let rules = rest.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
                ignores.append(Ignore(line: directive.line, rules: rules, wholeFile: wholeFile))
            } else {
                throw PGMigrateError(.dataError, "\(source.path):\(directive.line): unknown directive `-- pgmigrate: \(name)` (known: no-transaction, down, lint-ignore, lint-ignore-file)")
            }
        }
        let statements = downLine.map { down in scanned.statements.filter { $0.line < down } } ?? scanned.statements
        self.source = source
        self.transactional = transactional
        self.statements = statements
        self.ignores = ignores
        self.columns = Self.columns(of: statements, in: source.text)
    }

    /// The column of each statement's first token: found on its line, after
    /// the previous statement when that one started on the same line.
    static func columns(of statements: [SQLStatement], in text: String) -> [Int] {
        // Byte-wise: grapheme-aware String splitting is far too slow here.
        let bytes = Array(text.utf8)
        var lineStarts = [0]
        for (k, b) in bytes.enumerated() where b == 10 { lineStarts.append(k + 1) }
        var columns: [Int] = []
        var previousLine = 0
        var searchFrom = 0
        for statement in statements {
            guard statement.line >= 1, statement.line <= lineStarts.count else { columns.append(1); continue }
            let lineStart = lineStarts[statement.line - 1]
            let lineEnd = statement.line < lineStarts.count ? lineStarts[statement.line] - 1 : bytes.count
            if statement.line != previousLine { searchFrom = lineStart }
            let head = Array(statement.text.utf8.prefix { $0 != 10 })
            var found = searchFrom
            var k = searchFrom
            while k + head.count <= lineEnd {
                if bytes[k..<(k + head.count)].elementsEqual(head) { found = k; break }
                k += 1
            }
            // Characters (scalars) before it: bytes that do not continue a UTF-8 sequence.
            columns.append(bytes[lineStart..<found].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 })
            searchFrom = found + head.count
            previousLine = statement.line
        }
        return columns
    }

    /// Line and column of a UTF-8 offset inside statement `index`.
    func position(statement index: Int, offset: Int?) -> (line: Int, column: Int) {
        let statement = statements[index]
        guard let offset, offset > 0 else { return (statement.line, columns[index]) }
        let bytes = Array(statement.text.utf8.prefix(offset))
        var line = statement.line
        var lastNewline: Int?
        for (k, b) in bytes.enumerated() where b == 10 {
            line += 1
            lastNewline = k
        }
        let tail = bytes[((lastNewline ?? -1) + 1)...]
        let chars = String(decoding: tail, as: UTF8.self).unicodeScalars.count
        return (line, lastNewline == nil ? columns[index] + chars : chars + 1)
    }
}

/// A linted file: its findings before suppression, kept by statement so
/// `--trace` can add its own and `lint-ignore` applies to both.
public struct LintedFile: Sendable {
    let parsed: ParsedLintFile
    private(set) var raw: [(statement: Int?, finding: LintFinding)] = []
    /// Whether `--trace` ran this file (else ignores of trace rules are not "unused").
    var traced = false

    init(parsed: ParsedLintFile) { self.parsed = parsed }

    public var source: LintSource { parsed.source }
    public var transactional: Bool { parsed.transactional }
    public var statements: [SQLStatement] { parsed.statements }

    mutating func add(_ rule: LintRule, _ message: String, statement: Int, offset: Int? = nil) {
        let (line, column) = parsed.position(statement: statement, offset: offset)
        raw.append((statement, LintFinding(file: parsed.source.path, line: line, column: column, rule: rule, message: message)))
    }

    /// The findings after `lint-ignore` directives, plus the directives' own
    /// (unknown rule, misplaced, matched nothing), by line and column.
    public func findings() -> [LintFinding] {
        let path = parsed.source.path
        let firstLine = parsed.statements.first?.line ?? Int.max
        var out: [LintFinding] = []
        var fileRules: [(ignore: Int, rule: String)] = []
        var statementRules: [(ignore: Int, statement: Int, rule: String)] = []
        for (k, ignore) in parsed.ignores.enumerated() {
            if ignore.rules.isEmpty {
                out.append(LintFinding(file: path, line: ignore.line, column: 1, rule: LintRules.misplacedIgnore, message: "a lint-ignore without a rule name"))
                continue
            }
            if ignore.wholeFile, ignore.line > firstLine {
                out.append(LintFinding(file: path, line: ignore.line, column: 1, rule: LintRules.misplacedIgnore, message: "`lint-ignore-file` after the first statement; move it to the header"))
                continue
            }
            for rule in ignore.rules {
                guard LintRules.suppressible.contains(rule) else {
                    out.append(LintFinding(file: path, line: ignore.line, column: 1, rule: LintRules.unknownRuleInIgnore, message: "unknown lint rule `\(rule)` (see `pgmigrate lint --list-rules`)"))
                    continue
                }
                if ignore.wholeFile {
                    fileRules.append((k, rule))
                } else if let next = parsed.statements.firstIndex(where: { $0.line > ignore.line }) {
                    statementRules.append((k, next, rule))
                } else {
                    out.append(LintFinding(file: path, line: ignore.line, column: 1, rule: LintRules.unusedIgnore, message: "lint-ignore \(rule) has no statement below it"))
                }
            }
        }
        var used: Set<String> = []
        for (statement, finding) in raw {
            if let hit = fileRules.first(where: { $0.rule == finding.rule }) {
                used.insert("\(hit.ignore):\(hit.rule)")
                continue
            }
            if let statement, let hit = statementRules.first(where: { $0.statement == statement && $0.rule == finding.rule }) {
                used.insert("\(hit.ignore):\(hit.rule)")
                continue
            }
            out.append(finding)
        }
        for (k, rule) in fileRules.map({ ($0.ignore, $0.rule) }) + statementRules.map({ ($0.ignore, $0.rule) })
        where !used.contains("\(k):\(rule)") && (traced || !(LintRules.named(rule)?.traced ?? false)) {
            out.append(LintFinding(file: path, line: parsed.ignores[k].line, column: 1, rule: LintRules.unusedIgnore, message: "lint-ignore \(rule) matched no finding; remove it"))
        }
        return out.sorted { ($0.line, $0.column, $0.rule) < ($1.line, $1.column, $1.rule) }
    }
}
