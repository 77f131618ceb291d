/// A token of one statement, for recognising its shape. The statement itself
/// comes from `SQLSplitter`; this only reads inside it.
struct LintToken: Hashable, Sendable {
    enum Kind: Hashable, Sendable { case word, quoted, string, number, symbol, dollar, parameter }
    let kind: Kind
    /// Words lower-cased; quoted identifiers exact; strings without quotes.
    let text: String
    /// UTF-8 offset in the statement text.
    let offset: Int
    /// Parenthesis depth at the token (a `(` has the depth outside it).
    let depth: Int

    func isWord(_ word: String) -> Bool { kind == .word && text == word }
    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }
    var isIdentifier: Bool { kind == .word || kind == .quoted }
}

enum LintLexer {
    static func tokens(_ sql: String) -> [LintToken] {
        let b = Array(sql.utf8)
        var out: [LintToken] = []
        var i = 0
        var depth = 0
        func text(_ range: Range<Int>) -> String { String(decoding: b[range], as: UTF8.self) }
        while i < b.count {
            let c = b[i]
            if c == 32 || c == 9 || c == 10 || c == 13 || c == 11 || c == 12 { i += 1; continue }
            if c == UInt8(ascii: "-"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "-") {
                while i < b.count, b[i] != 10 { i += 1 }
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
                var nest = 0
                while i < b.count {
                    if b[i] == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
                        nest += 1; i += 2
                    } else if b[i] == UInt8(ascii: "*"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "/") {
                        nest -= 1; i += 2
                        if nest == 0 { break }
                    } else {
                        i += 1
                    }
                }
                continue
            }
            let start = i
            if c == UInt8(ascii: "'") {
                // E'…' takes backslash escapes: the `e` just before is its prefix.
                var escapes = false
                if let last = out.last, last.kind == .word, last.text == "e", last.offset + 1 == start {
                    escapes = true
                    out.removeLast()
                }
                var value: [UInt8] = []
                i += 1
                while i < b.count {
                    if escapes, b[i] == UInt8(ascii: "\\"), i + 1 < b.count {
                        value.append(b[i + 1]); i += 2; continue
                    }
                    if b[i] == UInt8(ascii: "'") {
                        if i + 1 < b.count, b[i + 1] == UInt8(ascii: "'") { value.append(b[i]); i += 2; continue }
                        i += 1
                        break
                    }
                    value.append(b[i]); i += 1
                }
                out.append(LintToken(kind: .string, text: String(decoding: value, as: UTF8.self), offset: escapes ? start - 1 : start, depth: depth))
                continue
            }
            if c == UInt8(ascii: "\"") {
                var value: [UInt8] = []
                i += 1
                while i < b.count {
                    if b[i] == UInt8(ascii: "\"") {
                        if i + 1 < b.count, b[i + 1] == UInt8(ascii: "\"") { value.append(b[i]); i += 2; continue }
                        i += 1
                        break
                    }
                    value.append(b[i]); i += 1
                }
                out.append(LintToken(kind: .quoted, text: String(decoding: value, as: UTF8.self), offset: start, depth: depth))
                continue
            }
            if c == UInt8(ascii: "$") {
                var j = i + 1
                if j < b.count, b[j] >= 48, b[j] <= 57 {
                    while j < b.count, b[j] >= 48, b[j] <= 57 { j += 1 }
                    out.append(LintToken(kind: .parameter, text: text(i..<j), offset: start, depth: depth))
                    i = j
                    continue
                }
                while j < b.count, isIdentifierPart(b[j]), b[j] != UInt8(ascii: "$") { j += 1 }
                if j < b.count, b[j] == UInt8(ascii: "$") {
                    let tag = Array(b[i...j])
                    var k = j + 1
                    var end = b.count
                    while k + tag.count <= b.count {
                        if b[k] == UInt8(ascii: "$"), b[k..<(k + tag.count)].elementsEqual(tag) { end = k; break }
                        k += 1
                    }
                    let bodyEnd = min(end, b.count)
                    out.append(LintToken(kind: .dollar, text: text((j + 1)..<max(j + 1, bodyEnd)), offset: start, depth: depth))
                    i = min(b.count, end + tag.count)
                    continue
                }
                out.append(LintToken(kind: .symbol, text: "$", offset: start, depth: depth))
                i += 1
                continue
            }
            if c >= 48, c <= 57 {
                while i < b.count, (b[i] >= 48 && b[i] <= 57) || b[i] == UInt8(ascii: ".") { i += 1 }
                out.append(LintToken(kind: .number, text: text(start..<i), offset: start, depth: depth))
                continue
            }
            if isIdentifierStart(c) {
                while i < b.count, isIdentifierPart(b[i]) { i += 1 }
                out.append(LintToken(kind: .word, text: text(start..<i).lowercased(), offset: start, depth: depth))
                continue
            }
            if c == UInt8(ascii: ":"), i + 1 < b.count, b[i + 1] == UInt8(ascii: ":") {
                out.append(LintToken(kind: .symbol, text: "::", offset: start, depth: depth))
                i += 2
                continue
            }
            if c == UInt8(ascii: "(") {
                out.append(LintToken(kind: .symbol, text: "(", offset: start, depth: depth))
                depth += 1
                i += 1
                continue
            }
            if c == UInt8(ascii: ")") {
                depth = max(0, depth - 1)
                out.append(LintToken(kind: .symbol, text: ")", offset: start, depth: depth))
                i += 1
                continue
            }
            // One byte of an operator or punctuation (multi-byte UTF-8 cannot start here: those are identifier starts).
            out.append(LintToken(kind: .symbol, text: text(i..<(i + 1)), offset: start, depth: depth))
            i += 1
        }
        return out
    }
}

/// A schema-qualified name; unqualified names are taken to be in `public`
/// (pgmigrate's files qualify everything; the default search_path does the same).
struct LintName: Hashable, Sendable, CustomStringConvertible {
    let schema: String
    let name: String
    var description: String { schema + "." + name }
}

/// A column type as written, normalised enough to tell binary-coercible changes.
struct LintColumnType: Hashable, Sendable, CustomStringConvertible {
    /// Canonical base name: `varchar`, `text`, `numeric`, `int4`, `timestamptz`, …
    let base: String
    let modifiers: [Int]
    let isArray: Bool
    let written: String
    var description: String { written }

    static let aliases: [String: String] = [
        "character varying": "varchar", "varchar": "varchar", "character": "bpchar", "char": "bpchar", "bpchar": "bpchar",
        "text": "text", "int": "int4", "integer": "int4", "int4": "int4", "bigint": "int8", "int8": "int8",
        "smallint": "int2", "int2": "int2", "numeric": "numeric", "decimal": "numeric", "boolean": "bool", "bool": "bool",
        "timestamp with time zone": "timestamptz", "timestamptz": "timestamptz",
        "timestamp without time zone": "timestamp", "timestamp": "timestamp",
        "time with time zone": "timetz", "time without time zone": "time", "time": "time",
        "double precision": "float8", "float8": "float8", "real": "float4", "float4": "float4",
        "bit varying": "varbit", "varbit": "varbit", "cidr": "cidr", "inet": "inet", "xml": "xml",
        "json": "json", "jsonb": "jsonb", "uuid": "uuid", "date": "date", "bytea": "bytea",
    ]

    /// Reads a type from `tokens` (stops at a column-constraint keyword, a
    /// top-level comma or the end).
    init?(_ tokens: ArraySlice<LintToken>) {
        guard let first = tokens.first else { return nil }
        let base = first.depth
        var words: [String] = []
        var mods: [Int] = []
        var array = false
        var written: [String] = []
        let stops: Set<String> = [
            "default", "not", "null", "constraint", "primary", "unique", "check", "references", "generated", "collate",
            "using", "deferrable", "initially",
        ]
        var index = tokens.startIndex
        while index < tokens.endIndex {
            let t = tokens[index]
            if t.depth == base, t.kind == .word, stops.contains(t.text) { break }
            if t.depth == base, t.isSymbol(",") { break }
            if t.depth < base { break }
            written.append(t.kind == .quoted ? "\"\(t.text)\"" : t.text)
            if t.depth == base, t.isIdentifier { words.append(t.text) }
            if t.depth == base + 1, t.kind == .number, let n = Int(t.text) { mods.append(n) }
            if t.depth == base, t.isSymbol("[") { array = true }
            index += 1
        }
        guard !words.isEmpty else { return nil }
        // Drop a schema qualifier (pg_catalog.varchar).
        if words.count >= 2, ["pg_catalog", "public"].contains(words[0]), written.count > 1, written[1] == "." {
            words.removeFirst()
        }
        let joined = words.joined(separator: " ")
        self.base = Self.aliases[joined] ?? joined
        self.modifiers = mods
        self.isArray = array || words.last == "array"
        self.written = written.joined(separator: " ").replacingOccurrences(of: " ( ", with: "(")
            .replacingOccurrences(of: " )", with: ")").replacingOccurrences(of: " , ", with: ",")
            .replacingOccurrences(of: " . ", with: ".")
    }

    /// Whether changing a column from `self` to `new` needs no rewrite (and no
    /// scan): PostgreSQL's binary-coercible casts whose length rules only relax.
    func changesWithoutRewrite(to new: LintColumnType) -> Bool {
        guard isArray == new.isArray else { return false }
        if base == new.base, modifiers == new.modifiers { return true }
        switch (base, new.base) {
        case ("varchar", "varchar"), ("varbit", "varbit"):
            guard let newLength = new.modifiers.first else { return true }
            guard let oldLength = modifiers.first else { return false }
            return newLength >= oldLength
        case ("varchar", "text"):
            return true
        case ("text", "varchar"):
            return new.modifiers.isEmpty
        case ("numeric", "numeric"):
            if new.modifiers.isEmpty { return true }
            guard modifiers.count >= 1, new.modifiers.count >= 1 else { return false }
            let oldScale = modifiers.count > 1 ? modifiers[1] : 0
            let newScale = new.modifiers.count > 1 ? new.modifiers[1] : 0
            return oldScale == newScale && new.modifiers[0] >= modifiers[0]
        case ("cidr", "inet"), ("xml", "text"):
            return true
        default:
            return false
        }
    }
}

/// One subcommand of `ALTER TABLE`.
enum AlterAction: Sendable {
    enum ConstraintKind: Sendable { case check, foreignKey, unique, primaryKey, exclude, other }
    case addColumn(name: String, type: LintColumnType?, defaultTokens: [LintToken]?, notNull: Bool, rewritesByItself: Bool, buildsIndex: Bool)
    case addConstraint(name: String?, kind: ConstraintKind, checkedColumn: String?, notValid: Bool, usingIndex: Bool)
    case validateConstraint(name: String)
    case setNotNull(column: String)
    case alterType(column: String, type: LintColumnType?, hasUsing: Bool)
    case dropColumn(name: String)
    /// `RENAME TO name` (`newName`), or a column or constraint rename (nil).
    case rename(newName: String?)
    /// Anything else; `weakLock` when it takes less than ACCESS EXCLUSIVE.
    case other(weakLock: Bool, rewrites: Bool)
}

/// What a statement is, as far as the rules need to know.
enum StatementShape: Sendable {
    case transactionControl
    case vacuum
    case alterSystem
    case databaseCommand(String)
    case createTable(LintName, columns: [(String, LintColumnType?)], checks: [(name: String?, column: String)])
    case createIndex(name: LintName?, table: LintName, concurrently: Bool)
    case dropIndex(names: [LintName], concurrently: Bool)
    case reindex(target: LintName?, isTable: Bool, concurrently: Bool)
    case alterTable(LintName, actions: [(offset: Int, action: AlterAction)])
    case alterIndex(LintName, rename: Bool)
    case createType(LintName)
    case alterTypeAddValue(type: LintName, label: String)
    case renameOther
    case dropTable([LintName])
    case truncate([LintName])
    case setting(name: String, value: String?, local: Bool)
    case resetSetting(name: String)
    case dml(table: LintName, hasWhere: Bool, command: String)
    case lockTable([LintName], accessExclusive: Bool)
    case refreshMaterializedView(LintName, concurrently: Bool)
    case cluster
    case comment
    /// A `SELECT set_config('lock_timeout', …)` or other call that changes a timeout.
    case setConfig(name: String, value: String?)
    case other

    /// Whether the statement cannot run inside a transaction block.
    var needsNoTransaction: Bool {
        switch self {
        case .vacuum, .alterSystem, .databaseCommand: return true
        case .createIndex(_, _, let concurrently): return concurrently
        case .dropIndex(_, let concurrently): return concurrently
        case .reindex(_, _, let concurrently): return concurrently
        default: return false
        }
    }
}

/// Reads the shape of one statement from its tokens.
struct ShapeReader {
    let tokens: [LintToken]
    var i = 0

    init(_ tokens: [LintToken]) { self.tokens = tokens }

    var current: LintToken? { i < tokens.count ? tokens[i] : nil }

    mutating func word(_ words: String...) -> Bool {
        guard words.count + i <= tokens.count else { return false }
        for (k, w) in words.enumerated() where !(tokens[i + k].isWord(w)) { return false }
        i += words.count
        return true
    }

    func peekWord(_ w: String, _ offset: Int = 0) -> Bool {
        i + offset < tokens.count && tokens[i + offset].isWord(w)
    }

    mutating func identifier() -> String? {
        guard let t = current, t.isIdentifier else { return nil }
        i += 1
        return t.text
    }

    mutating func qualifiedName() -> LintName? {
        guard let first = identifier() else { return nil }
        if let t = current, t.isSymbol(".") {
            i += 1
            guard let second = identifier() else { return nil }
            if let t = current, t.isSymbol(".") {  // database.schema.name
                i += 1
                guard let third = identifier() else { return nil }
                return LintName(schema: second, name: third)
            }
            return LintName(schema: first, name: second)
        }
        return LintName(schema: "public", name: first)
    }

    mutating func nameList() -> [LintName] {
        var names: [LintName] = []
        while let name = qualifiedName() {
            names.append(name)
            guard let t = current, t.isSymbol(",") else { break }
            i += 1
        }
        return names
    }

    /// Skips `IF [NOT] EXISTS`.
    mutating func ifExists() {
        if word("if", "not", "exists") || word("if", "exists") {}
    }

    static func shape(of tokens: [LintToken]) -> StatementShape {
        var r = ShapeReader(tokens)
        return r.read()
    }

    mutating func read() -> StatementShape {
        guard let first = current, first.kind == .word else { return .other }
        switch first.text {
        case "begin", "start", "commit", "end", "abort", "savepoint", "release":
            // `BEGIN` opens a transaction; `START TRANSACTION` too.
            if first.text == "start", !peekWord("transaction", 1) { return .other }
            return .transactionControl
        case "rollback":
            return .transactionControl
        case "vacuum":
            return .vacuum
        case "alter":
            i += 1
            if word("system") { return .alterSystem }
            if word("table") { return alterTable() }
            if word("index") {
                ifExists()
                guard let name = qualifiedName() else { return .other }
                return .alterIndex(name, rename: peekWord("rename"))
            }
            if word("type") {
                guard let name = qualifiedName() else { return .other }
                if word("add", "value") {
                    ifExists()
                    guard let label = current, label.kind == .string else { return .other }
                    return .alterTypeAddValue(type: name, label: label.text)
                }
                if word("rename") { return .renameOther }
                return .other
            }
            // ALTER VIEW/SEQUENCE/FUNCTION/SCHEMA/MATERIALIZED VIEW … RENAME
            if tokens[i...].contains(where: { $0.depth == 0 && $0.isWord("rename") }) { return .renameOther }
            return .other
        case "create":
            i += 1
            if word("database") || word("tablespace") { return .databaseCommand("CREATE " + tokens[i - 1].text.uppercased()) }
            _ = word("or", "replace")
            if word("unique") { return createIndex() }
            if peekWord("index") { return createIndex() }
            if word("type") {
                guard let name = qualifiedName() else { return .other }
                return .createType(name)
            }
            // CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE
            _ = word("global") || word("local")
            _ = word("temp") || word("temporary") || word("unlogged")
            if word("table") { return createTable() }
            return .other
        case "drop":
            i += 1
            if word("database") || word("tablespace") { return .databaseCommand("DROP " + tokens[i - 1].text.uppercased()) }
            if word("index") {
                let concurrently = word("concurrently")
                ifExists()
                return .dropIndex(names: nameList(), concurrently: concurrently)
            }
            if word("table") {
                ifExists()
                return .dropTable(nameList())
            }
            return .other
        case "reindex":
            i += 1
            if let t = current, t.isSymbol("(") {
                while let t = current, !(t.isSymbol(")") && t.depth == 0) { i += 1 }
                i += 1
            }
            guard let kind = identifier() else { return .other }
            let concurrently = word("concurrently")
            let target = qualifiedName()
            return .reindex(target: target, isTable: kind == "table", concurrently: concurrently)
        case "truncate":
            i += 1
            _ = word("table")
            _ = word("only")
            return .truncate(nameList())
        case "set":
            i += 1
            let local = word("local")
            _ = word("session")
            guard let name = dottedName() else { return .other }
            if word("to") || (current?.isSymbol("=") ?? false) {
                if current?.isSymbol("=") ?? false { i += 1 }
            }
            return .setting(name: name, value: current.map(\.text), local: local)
        case "reset":
            i += 1
            return .resetSetting(name: dottedName() ?? "")
        case "update":
            i += 1
            _ = word("only")
            guard let table = qualifiedName() else { return .other }
            return .dml(table: table, hasWhere: tokens.contains { $0.depth == 0 && $0.isWord("where") }, command: "UPDATE")
        case "delete":
            i += 1
            guard word("from") else { return .other }
            _ = word("only")
            guard let table = qualifiedName() else { return .other }
            return .dml(table: table, hasWhere: tokens.contains { $0.depth == 0 && $0.isWord("where") }, command: "DELETE")
        case "lock":
            i += 1
            _ = word("table")
            _ = word("only")
            let names = nameList()
            let rest = tokens[i...].map(\.text)
            let exclusive = !rest.contains("mode") || (rest.contains("access") && rest.contains("exclusive") && !rest.contains("share"))
            return .lockTable(names, accessExclusive: exclusive)
        case "refresh":
            i += 1
            guard word("materialized", "view") else { return .other }
            let concurrently = word("concurrently")
            guard let name = qualifiedName() else { return .other }
            return .refreshMaterializedView(name, concurrently: concurrently)
        case "cluster":
            return .cluster
        case "comment":
            return .comment
        case "select":
            // SELECT set_config('lock_timeout', '0', false)
            for (k, t) in tokens.enumerated() where t.isWord("set_config") {
                if k + 2 < tokens.count, tokens[k + 1].isSymbol("("), tokens[k + 2].kind == .string {
                    let value = k + 4 < tokens.count && tokens[k + 4].kind == .string ? tokens[k + 4].text : nil
                    return .setConfig(name: tokens[k + 2].text.lowercased(), value: value)
                }
            }
            return .other
        default:
            return .other
        }
    }

    mutating func dottedName() -> String? {
        guard var name = identifier() else { return nil }
        while let t = current, t.isSymbol(".") {
            i += 1
            guard let next = identifier() else { return nil }
            name += "." + next
        }
        return name
    }

    mutating func createIndex() -> StatementShape {
        guard word("index") else { return .other }
        let concurrently = word("concurrently")
        ifExists()
        var name: LintName?
        if !peekWord("on") { name = qualifiedName() }
        guard word("on") else { return .other }
        _ = word("only")
        guard let table = qualifiedName() else { return .other }
        // An unqualified index name lives in its table's schema.
        if let n = name, n.schema == "public", table.schema != "public" {
            name = LintName(schema: table.schema, name: n.name)
        }
        return .createIndex(name: name, table: table, concurrently: concurrently)
    }

    mutating func createTable() -> StatementShape {
        ifExists()
        guard let table = qualifiedName() else { return .other }
        var columns: [(String, LintColumnType?)] = []
        var checks: [(name: String?, column: String)] = []
        guard let open = current, open.isSymbol("(") else { return .createTable(table, columns: [], checks: []) }
        i += 1
        // Elements separated by commas at depth 1.
        var elements: [ArraySlice<LintToken>] = []
        var start = i
        while i < tokens.count {
            let t = tokens[i]
            if t.depth == 1, t.isSymbol(",") { elements.append(tokens[start..<i]); start = i + 1 }
            if t.depth == 0, t.isSymbol(")") { elements.append(tokens[start..<i]); break }
            i += 1
        }
        for element in elements {
            guard let head = element.first, head.isIdentifier else { continue }
            if head.kind == .word, ["constraint", "check", "primary", "unique", "foreign", "exclude", "like"].contains(head.text) {
                if let check = Self.notNullCheck(element) { checks.append(check) }
                continue
            }
            columns.append((head.text, LintColumnType(element.dropFirst())))
        }
        return .createTable(table, columns: columns, checks: checks)
    }

    /// `[CONSTRAINT name] CHECK (col IS NOT NULL)`: the check that proves a column not null.
    static func notNullCheck(_ element: ArraySlice<LintToken>) -> (name: String?, column: String)? {
        var r = ShapeReader(Array(element))
        var name: String?
        if r.word("constraint") { name = r.identifier() }
        guard r.word("check"), let open = r.current, open.isSymbol("(") else { return nil }
        r.i += 1
        guard let column = r.identifier(), r.word("is", "not", "null"), let close = r.current, close.isSymbol(")") else { return nil }
        return (name, column)
    }

    mutating func alterTable() -> StatementShape {
        ifExists()
        _ = word("only")
        guard let table = qualifiedName() else { return .other }
        _ = current?.isSymbol("*")
        var actions: [(offset: Int, action: AlterAction)] = []
        var start = i
        var slices: [ArraySlice<LintToken>] = []
        while i < tokens.count {
            if tokens[i].depth == 0, tokens[i].isSymbol(",") { slices.append(tokens[start..<i]); start = i + 1 }
            i += 1
        }
        slices.append(tokens[start..<tokens.count])
        for slice in slices where !slice.isEmpty {
            guard let head = slice.first else { continue }
            actions.append((head.offset, Self.alterAction(Array(slice))))
        }
        return .alterTable(table, actions: actions)
    }

    static let volatileFunctions: Set<String> = [
        "random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp",
        "timeofday", "nextval", "setseed", "random_normal", "uuidv7", "uuidv4", "gen_random_bytes",
    ]

    static func alterAction(_ tokens: [LintToken]) -> AlterAction {
        var r = ShapeReader(tokens)
        if r.word("add") {
            if r.peekWord("constraint") || r.peekWord("check") || r.peekWord("foreign") || r.peekWord("unique")
                || r.peekWord("primary") || r.peekWord("exclude")
            {
                var name: String?
                if r.word("constraint") { name = r.identifier() }
                var kind = AlterAction.ConstraintKind.other
                var checked: String?
                if r.peekWord("check") {
                    kind = .check
                    if let c = notNullCheck(tokens[r.i...]) { checked = c.column }
                } else if r.peekWord("foreign") {
                    kind = .foreignKey
                } else if r.peekWord("unique") {
                    kind = .unique
                } else if r.peekWord("primary") {
                    kind = .primaryKey
                } else if r.peekWord("exclude") {
                    kind = .exclude
                }
                let rest = tokens[r.i...]
                let notValid = zip(rest, rest.dropFirst()).contains { $0.depth == 0 && $0.isWord("not") && $1.isWord("valid") }
                let usingIndex = zip(rest, rest.dropFirst()).contains { $0.depth == 0 && $0.isWord("using") && $1.isWord("index") }
                return .addConstraint(name: name, kind: kind, checkedColumn: checked, notValid: notValid, usingIndex: usingIndex)
            }
            _ = r.word("column")
            r.ifExists()
            guard let name = r.identifier() else { return .other(weakLock: false, rewrites: false) }
            let rest = Array(tokens[r.i...])
            let type = LintColumnType(rest[...])
            var defaultTokens: [LintToken]?
            if let k = rest.firstIndex(where: { $0.depth == 0 && $0.isWord("default") }) {
                let stops: Set<String> = ["not", "null", "constraint", "primary", "unique", "check", "references", "generated", "collate"]
                var end = k + 1
                while end < rest.count, !(rest[end].depth == 0 && rest[end].kind == .word && stops.contains(rest[end].text)) { end += 1 }
                defaultTokens = Array(rest[(k + 1)..<end])
            }
            let pairs = zip(rest, rest.dropFirst())
            let notNull = pairs.contains { $0.depth == 0 && $0.isWord("not") && $1.isWord("null") }
                || pairs.contains { $0.depth == 0 && $0.isWord("primary") && $1.isWord("key") }
            let identity = rest.contains { $0.depth == 0 && $0.isWord("identity") }
            let stored = rest.contains { $0.depth == 0 && $0.isWord("stored") }
            let serial = ["serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"].contains(type?.base ?? "")
            let index = rest.contains { $0.depth == 0 && ($0.isWord("unique") || $0.isWord("primary")) }
            return .addColumn(
                name: name, type: type, defaultTokens: defaultTokens, notNull: notNull,
                rewritesByItself: identity || stored || serial, buildsIndex: index)
        }
        if r.word("validate", "constraint"), let name = r.identifier() { return .validateConstraint(name: name) }
        if r.word("alter") {
            _ = r.word("column")
            guard let column = r.identifier() else { return .other(weakLock: false, rewrites: false) }
            if r.word("set", "not", "null") { return .setNotNull(column: column) }
            if r.word("type") || r.word("set", "data", "type") {
                let rest = tokens[r.i...]
                let type = LintColumnType(rest)
                var hasUsing = false
                if let using = rest.firstIndex(where: { $0.depth == 0 && $0.isWord("using") }) {
                    // `TYPE T USING col::T` (the same tokens) is what no USING does.
                    let target = tokens[r.i..<using].map(\.text)
                    let expression = tokens[(using + 1)...]
                    let sameCast = expression.count > 2 && expression.first?.isIdentifier == true && expression.first?.text == column
                        && expression.dropFirst().first?.isSymbol("::") == true && Array(expression.dropFirst(2).map(\.text)) == target
                    hasUsing = !sameCast
                }
                return .alterType(column: column, type: type, hasUsing: hasUsing)
            }
            if r.word("set", "statistics") || r.word("set") && r.current?.isSymbol("(") == true || r.word("reset") {
                return .other(weakLock: true, rewrites: false)
            }
            return .other(weakLock: false, rewrites: false)
        }
        if r.word("drop") {
            if r.word("constraint") { return .other(weakLock: false, rewrites: false) }
            _ = r.word("column")
            r.ifExists()
            guard let name = r.identifier() else { return .other(weakLock: false, rewrites: false) }
            return .dropColumn(name: name)
        }
        if r.word("rename") { return .rename(newName: r.word("to") ? r.identifier() : nil) }
        // Subcommands that take less than ACCESS EXCLUSIVE.
        if r.word("enable") || r.word("disable") {
            if r.peekWord("trigger") || r.peekWord("replica") || r.peekWord("always") { return .other(weakLock: true, rewrites: false) }
            return .other(weakLock: false, rewrites: false)
        }
        if r.word("set", "statistics") || r.word("cluster", "on") || r.word("set", "without", "cluster") {
            return .other(weakLock: true, rewrites: false)
        }
        if r.word("set") {
            if r.peekWord("tablespace") || r.peekWord("logged") || r.peekWord("unlogged") || r.peekWord("access") {
                return .other(weakLock: false, rewrites: true)
            }
            if r.current?.isSymbol("(") == true { return .other(weakLock: true, rewrites: false) }
        }
        return .other(weakLock: false, rewrites: false)
    }
}
