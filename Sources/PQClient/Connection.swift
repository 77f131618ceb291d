import CLibPQ
import Foundation

/// A notice or warning the server sent (`RAISE NOTICE`, `RAISE WARNING`, …).
public struct PQNotice: Sendable, Hashable {
    public let severity: String
    public let sqlState: SQLState?
    public let message: String
    public let detail: String?
    public let hint: String?
}

/// One libpq connection.
///
/// **Threading:** a connection must be used by one thread at a time (libpq's
/// rule); it is deliberately not `Sendable`. Open one connection per task.
///
/// **Ownership:** the connection owns its `PGconn`; `PQfinish` is called once,
/// in `deinit` (or, after a failed connect, before the initialiser throws).
/// Every `PGresult` is cleared in the call that receives it; results are
/// copied into Swift values first.
public final class Connection {
    private let conn: OpaquePointer
    private let noticeBox: NoticeBox

    /// Default seconds to wait for a connection when neither the connection
    /// string nor `PGCONNECT_TIMEOUT` sets `connect_timeout`.
    public static let defaultConnectTimeout = 10

    /// Opens a connection.
    ///
    /// - Parameter conninfo: a `postgres://` / `postgresql://` URL or a
    ///   `key=value` connection string; libpq parses both. Empty or `nil`
    ///   leaves everything to libpq's `PG*` environment variables.
    /// - Parameter applicationName: used unless the string or `PGAPPNAME` sets one.
    /// - Parameter startupSettings: server settings sent in the startup
    ///   packet (libpq's `options=-c name=value`), after any `options` the
    ///   connection string or `PGOPTIONS` carries. Unlike `SET` or
    ///   `set_config(…)`, a value sent this way is never statement text: it
    ///   appears in no server log line and in no `pg_stat_activity.query`,
    ///   which is how secrets (the phone key) reach a session.
    public init(
        _ conninfo: String? = nil, applicationName: String = "pgmigrate",
        startupSettings: [StartupSetting] = []
    ) throws {
        let info = conninfo ?? ""
        if !info.isEmpty {
            try Self.validate(conninfo: info)
        }
        // Keywords are processed in order and the last value wins, so our
        // defaults come first and the caller's string (expanded from dbname) may
        // override them.
        var keywords = ["fallback_application_name"]
        var values = [applicationName]
        if ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil {
            keywords.append("connect_timeout")
            values.append(String(Self.defaultConnectTimeout))
        }
        if !info.isEmpty {
            keywords.append("dbname")
            values.append(info)
        }
        if !startupSettings.isEmpty {
            // Later keywords win, so the caller's own options are repeated first.
            let inherited = (info.isEmpty ? nil : Self.option("options", in: info))
                ?? ProcessInfo.processInfo.environment["PGOPTIONS"] ?? ""
            keywords.append("options")
            values.append(StartupSetting.options(startupSettings, after: inherited))
        }
        let handle: OpaquePointer? = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let handle else {
            throw PQError(kind: .connection, message: "out of memory allocating a libpq connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle))
            PQfinish(handle)
            throw PQError(kind: .connection, message: PQError.oneLine(message))
        }
        self.conn = handle
        self.noticeBox = NoticeBox()
        PQsetNoticeReceiver(handle, noticeReceiver, Unmanaged.passUnretained(noticeBox).toOpaque())
        try ensureISODateStyle()
    }

    deinit {
        PQfinish(conn)
    }

    /// Rejects a malformed connection string before libpq tries to use it,
    /// with libpq's own explanation (a `.usage` error: the string is wrong,
    /// not the server).
    public static func validate(conninfo: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let options = PQconninfoParse(conninfo, &errorMessage)
        defer {
            if let options { PQconninfoFree(options) }
            if let errorMessage { PQfreemem(errorMessage) }
        }
        if options == nil {
            let reason = errorMessage.map { String(cString: $0) } ?? "cannot parse it"
            throw PQError(kind: .usage, message: "invalid connection string: " + PQError.oneLine(reason))
        }
    }

    /// The value of one keyword in a connection string or URL, as libpq parses it.
    static func option(_ keyword: String, in conninfo: String) -> String? {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var index = 0
        while let name = options[index].keyword {
            if String(cString: name) == keyword { return options[index].val.map { String(cString: $0) } }
            index += 1
        }
        return nil
    }

    // MARK: - Server facts

    /// `server_version_num`, e.g. 150004.
    public var serverVersionNumber: Int { Int(PQserverVersion(conn)) }
    /// A `ParameterStatus` value the server reported (`server_version`, `TimeZone`, …).
    public func parameterStatus(_ name: String) -> String? {
        PQparameterStatus(conn, name).map { String(cString: $0) }
    }
    public var database: String { PQdb(conn).map { String(cString: $0) } ?? "" }
    public var user: String { PQuser(conn).map { String(cString: $0) } ?? "" }
    public var host: String { PQhost(conn).map { String(cString: $0) } ?? "" }
    public var port: String { PQport(conn).map { String(cString: $0) } ?? "" }
    public var backendPID: Int32 { PQbackendPID(conn) }

    public enum TransactionStatus: Sendable { case idle, active, inTransaction, inFailedTransaction, unknown }
    public var transactionStatus: TransactionStatus {
        switch PQtransactionStatus(conn) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .inFailedTransaction
        default: return .unknown
        }
    }

    // MARK: - Notices

    /// Called for every notice the server sends. The default keeps them for
    /// `takeNotices()`.
    public var noticeHandler: ((PQNotice) -> Void)? {
        get { noticeBox.handler }
        set { noticeBox.handler = newValue }
    }

    /// The notices received since the last call (when no handler is set).
    public func takeNotices() -> [PQNotice] {
        defer { noticeBox.buffer.removeAll() }
        return noticeBox.buffer
    }

    // MARK: - Statements

    /// Runs one statement with text parameters `$1…$n` through `PQexecParams`.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PQParameter] = []) throws -> QueryResult {
        let texts = parameters.map { $0.pqText }
        for (i, text) in texts.enumerated() where text?.utf8.contains(0) == true {
            throw PQError(kind: .usage, message: "parameter $\(i + 1) contains a NUL byte, which PostgreSQL text cannot hold")
        }
        let result: OpaquePointer? = withOptionalCStringArray(texts) { pointers in
            PQexecParams(conn, sql, Int32(texts.count), nil, pointers, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Convenience for `execute(sql, [p1, p2, …])`.
    @discardableResult
    public func execute(_ sql: String, _ first: any PQParameter, _ rest: any PQParameter...) throws -> QueryResult {
        try execute(sql, [first] + rest)
    }

    /// Runs a multi-statement script through `PQexec` (simple query protocol)
    /// and returns the last statement's result. Without an explicit
    /// BEGIN/COMMIT the server runs the whole string as one transaction.
    @discardableResult
    public func executeScript(_ sql: String) throws -> QueryResult {
        guard !sql.utf8.contains(0) else {
            throw PQError(kind: .usage, message: "script contains a NUL byte")
        }
        return try consume(PQexec(conn, sql))
    }

    /// Runs `body` inside BEGIN … COMMIT; rolls back and rethrows when it throws.
    @discardableResult
    public func transaction<T>(_ begin: String = "BEGIN", _ body: (Connection) throws -> T) throws -> T {
        try executeScript(begin)
        let value: T
        do {
            value = try body(self)
        } catch {
            if transactionStatus != .idle {
                _ = try? executeScript("ROLLBACK")
            }
            throw error
        }
        try executeScript("COMMIT")
        return value
    }

    /// Asks the server to cancel the statement running on this connection.
    /// Safe to call from a signal-handling thread through a `CancelToken`.
    public func cancelToken() -> CancelToken? {
        PQgetCancel(conn).map(CancelToken.init)
    }

    /// Quotes an identifier with libpq's rules (`PQescapeIdentifier`). pgmigrate's
    /// own SQL uses `SchemaModel.quoteIdentifier`, the one quoting function; this
    /// stays for PQClient users without SchemaModel.
    public func escapeIdentifier(_ name: String) throws -> String {
        guard let escaped = PQescapeIdentifier(conn, name, name.utf8.count) else {
            throw PQError(kind: .usage, message: PQError.oneLine(String(cString: PQerrorMessage(conn))))
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Copies a `PGresult` into a `QueryResult` (or a `PQError`) and clears it.
    private func consume(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else {
            let message = String(cString: PQerrorMessage(conn))
            let kind: PQError.Kind = PQstatus(conn) == CONNECTION_OK ? .server : .connection
            throw PQError(kind: kind, message: PQError.oneLine(message))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return Self.copy(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            throw PQError(kind: .usage, message: "COPY FROM STDIN / TO STDOUT is not supported here; use a file-less INSERT or \\copy in psql")
        default:
            throw Self.error(from: result, connection: conn)
        }
    }

    static func copy(_ result: OpaquePointer) -> QueryResult {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var names = [String]()
        names.reserveCapacity(columnCount)
        for c in 0..<columnCount {
            names.append(PQfname(result, Int32(c)).map { String(cString: $0) } ?? "?column?")
        }
        let columns = ColumnNames(names)
        var rows = [Row]()
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var values = [String?]()
            values.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    values.append(nil)
                } else if let raw = PQgetvalue(result, Int32(r), Int32(c)) {
                    let length = Int(PQgetlength(result, Int32(r), Int32(c)))
                    let buffer = UnsafeRawBufferPointer(start: raw, count: length)
                    values.append(String(decoding: buffer, as: UTF8.self))
                } else {
                    values.append(nil)
                }
            }
            rows.append(Row(values: values, columns: columns))
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        return QueryResult(columns: names, rows: rows, commandTag: tag, rowsAffected: affected)
    }

    static func error(from result: OpaquePointer, connection: OpaquePointer) -> PQError {
        var fields = [PQError.Field: String]()
        for field in PQError.Field.allCases {
            if let value = PQresultErrorField(result, field.code) {
                fields[field] = String(cString: value)
            }
        }
        let message = fields[.messagePrimary]
            ?? PQError.oneLine(String(cString: PQresultErrorMessage(result)))
        let lost = PQstatus(connection) != CONNECTION_OK
        return PQError(kind: lost ? .connection : .server, message: message, fields: fields)
    }

    /// The server's DateStyle is ISO by default; make sure `Date` decoding can rely on it.
    private func ensureISODateStyle() throws {
        if let style = parameterStatus("DateStyle"), style.hasPrefix("ISO") { return }
        try executeScript("SET DateStyle = ISO, YMD")
    }
}

/// A handle that can cancel the running statement of a connection from
/// another thread (e.g. on SIGINT). Owns its `PGcancel`.
public final class CancelToken: @unchecked Sendable {
    // PQcancel is documented as safe to call from another thread or a
    // signal handler; the PGcancel object is never mutated after creation.
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQfreeCancel(handle) }

    @discardableResult
    public func cancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(handle, &buffer, Int32(buffer.count)) == 1
    }
}

/// Holds the notice handler; the receiver callback gets an unretained
/// pointer to it, valid for the life of the connection that owns it.
private final class NoticeBox {
    var handler: ((PQNotice) -> Void)?
    var buffer: [PQNotice] = []

    func receive(_ result: OpaquePointer) {
        func field(_ f: PQError.Field) -> String? {
            PQresultErrorField(result, f.code).map { String(cString: $0) }
        }
        let notice = PQNotice(
            severity: field(.severity) ?? field(.localizedSeverity) ?? "NOTICE",
            sqlState: field(.sqlState).map(SQLState.init(rawValue:)),
            message: field(.messagePrimary) ?? PQError.oneLine(String(cString: PQresultErrorMessage(result))),
            detail: field(.messageDetail),
            hint: field(.messageHint)
        )
        if let handler { handler(notice) } else { buffer.append(notice) }
    }
}

private let noticeReceiver: PQnoticeReceiver = { context, result in
    guard let context, let result else { return }
    Unmanaged<NoticeBox>.fromOpaque(context).takeUnretainedValue().receive(result)
}

/// Calls `body` with a NULL-terminated array of C strings that live only
/// for the duration of the call.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStringArray(strings.map { Optional($0) }) { pointers in
        body(pointers + [nil])
    }
}

/// Duplicates each string into C memory, calls `body`, and frees them all
/// before returning; `nil` stays a NULL pointer (SQL NULL for parameters).
private func withOptionalCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { owned.forEach { free($0) } }
    return body(owned.map { UnsafePointer($0) })
}
