/// A retention rule: rows of `table` whose `ageColumn` is older than
/// `olderThanDays` (and that match `condition`) are archived, deleted,
/// cleared or anonymised, a batch at a time.
///
/// Each rule renders into a SQL function `retention_<name>(batch_size)` that
/// processes one batch in one statement and returns the affected ids (and,
/// for cleared columns, the old value), so pgmigrate, pg_cron or any client
/// can run it:
///
///     SELECT count(*) FROM public.retention_call_events_archive(5000);
public struct RetentionRule: Hashable, Sendable {
    public enum Action: Hashable, Sendable {
        /// Move rows into an archive table with the same columns plus `archivedAtColumn`.
        case archive(into: QualifiedName, archivedAtColumn: String)
        /// Delete rows (foreign keys cascade to dependents).
        case delete
        /// Set the columns to NULL; the old value of `reportColumn` is returned.
        case clear(columns: [String], reportColumn: String?)
        /// Rewrite `column` through `function` and stamp `markColumn` with now().
        case anonymize(column: String, markColumn: String, function: QualifiedName)

        public var verb: String {
            switch self {
            case .archive: return "archived"
            case .delete: return "deleted"
            case .clear: return "cleared"
            case .anonymize: return "anonymised"
            }
        }
    }

    public var name: String
    public var table: QualifiedName
    public var ageColumn: String
    public var olderThanDays: Int
    /// Extra condition on candidate rows, already satisfied by rows the rule
    /// has processed (so a rule converges: a second run finds nothing).
    public var condition: SQLExpression?
    public var action: Action
    public var comment: String

    public init(
        name: String, table: QualifiedName, ageColumn: String, olderThanDays: Int,
        condition: SQLExpression? = nil, action: Action, comment: String
    ) {
        self.name = name
        self.table = table
        self.ageColumn = ageColumn
        self.olderThanDays = olderThanDays
        self.condition = condition
        self.action = action
        self.comment = comment
    }

    public var functionName: QualifiedName { QualifiedName(table.schema, "retention_\(name)") }

    /// The WHERE clause selecting candidate rows.
    public var predicate: String {
        var sql = "\(quoteIdentifierIfNeeded(ageColumn)) < pg_catalog.now() - interval '\(olderThanDays) days'"
        if let condition { sql += " AND \(condition.sql)" }
        return sql
    }

    /// Counts what a run would change (for `purge --dry-run`).
    public var countSQL: String { "SELECT count(*) FROM \(table.sql) WHERE \(predicate)" }

    /// The batch function. Candidate rows are found through the age index
    /// and locked `FOR UPDATE SKIP LOCKED` (rows another transaction holds
    /// are left for the next run), then changed by `ctid` (a TID scan, never
    /// a join the planner could turn into a table scan) in the same
    /// statement, so an archived row is moved exactly once. The statement is
    /// planned for each call with the batch size as a constant (`EXECUTE`),
    /// so a generic plan with an unknown LIMIT is never used.
    public func function(columns: [String], executeGrantees: [String]) -> Function {
        // `%` is format()'s escape; only the batch size is substituted.
        let where_ = predicate.replacingAll("%", with: "%%")
        let age = quoteIdentifierIfNeeded(ageColumn)
        func batch(_ extra: String = "") -> String {
            """
            WITH batch AS (
                SELECT t.ctid AS row_id\(extra) FROM \(table.sql) t
                WHERE \(where_)
                ORDER BY t.\(age)
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            """
        }
        let rows = "t.ctid = ANY (ARRAY(SELECT row_id FROM batch))"
        let query: String
        switch action {
        case .archive(let archive, let archivedAt):
            let list = columns.map(quoteIdentifierIfNeeded).joined(separator: ", ")
            let moved = columns.map { "moved." + quoteIdentifierIfNeeded($0) }.joined(separator: ", ")
            query = """
                \(batch()), moved AS (
                    DELETE FROM \(table.sql) t WHERE \(rows)
                    RETURNING t.*
                )
                INSERT INTO \(archive.sql) (\(list), \(quoteIdentifierIfNeeded(archivedAt)))
                SELECT \(moved), pg_catalog.now() FROM moved
                RETURNING id, NULL::text
                """
        case .delete:
            query = """
                \(batch())
                DELETE FROM \(table.sql) t WHERE \(rows)
                RETURNING t.id, NULL::text
                """
        case .clear(let cleared, let report):
            let sets = cleared.map { "\(quoteIdentifierIfNeeded($0)) = NULL" }.joined(separator: ", ")
            let old = report.map { ", t.\(quoteIdentifierIfNeeded($0))::text AS old_value" } ?? ", NULL::text AS old_value"
            query = """
                \(batch(", t.id" + old)), changed AS (
                    UPDATE \(table.sql) t SET \(sets) WHERE \(rows)
                    RETURNING t.id
                )
                SELECT changed.id, batch.old_value FROM changed JOIN batch ON batch.id = changed.id
                """
        case .anonymize(let column, let mark, let function):
            let col = quoteIdentifierIfNeeded(column)
            query = """
                \(batch())
                UPDATE \(table.sql) t
                SET \(col) = \(function.sql)(t.\(col)), \(quoteIdentifierIfNeeded(mark)) = pg_catalog.now()
                WHERE \(rows)
                RETURNING t.id, NULL::text
                """
        }
        let tag = query.contains("$batch$") ? "$batch_query$" : "$batch$"
        let body = """
            BEGIN
                IF batch_size IS NULL OR batch_size < 1 THEN
                    RAISE EXCEPTION 'batch_size must be a positive integer' USING ERRCODE = 'invalid_parameter_value';
                END IF;
                RETURN QUERY EXECUTE pg_catalog.format(\(tag)
            \(query)
            \(tag), batch_size);
            END
            """
        return Function(
            functionName, arguments: [.init("batch_size", .integer, default: .integer(500))],
            returns: "TABLE(affected_id uuid, detail text)", language: .plpgsql, volatility: .volatile,
            searchPath: ["pg_catalog", "pg_temp"], executeGrantees: executeGrantees,
            comment: "Retention rule \(name): \(comment) One batch per call.", body: body)
    }
}

/// Masks personal data in free text: e-mail addresses, Swedish personal
/// identity numbers (personnummer, with or without century and separator)
/// and phone numbers, in that order. A phone number is +46 or 0046
/// (optionally followed by "(0)" or "0") or a leading 0, then a national
/// number of 7-9 digits not starting with 0, its digits separated by up to
/// three of space, hyphen, slash, dot or parenthesis: "070-123 45 67",
/// "+46 (0)70-123 45 67", "(08) 123 456 78", "070/123.45.67". A bare
/// 10-digit "0701234567" is also a valid personnummer shape and is masked
/// as one.
public func anonymizeTextFunction(_ name: QualifiedName, executeGrantees: [String]) -> Function {
    Function(
        name, arguments: [.init("input", .text)], returns: "text", language: .sql, volatility: .immutable,
        strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: executeGrantees,
        comment: "Masks e-mail addresses, personal identity numbers and phone numbers in free text.",
        body: """
            SELECT pg_catalog.regexp_replace(
                     pg_catalog.regexp_replace(
                       pg_catalog.regexp_replace(input,
                         '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', '[e-post]', 'g'),
                       '\\m(19|20)?[0-9]{6}[-+ ]?[0-9]{4}\\M', '[personnummer]', 'g'),
                     '(\\+46|\\m0046)[ -]?(\\(0\\)[ -]?|0[ -]?)?[1-9]([ /.()-]{0,3}[0-9]){6,8}\\M'
                     '|\\(?\\m0[1-9]([ /.()-]{0,3}[0-9]){6,8}\\M', '[telefon]', 'g')
            """)
}

/// GDPR Article 17: erase one customer's personal data, found through the
/// keyed phone hash. Keeps non-personal aggregates (status, durations,
/// costs, scores, timestamps, event types) and records an audit row with
/// counts only.
public struct CustomerErasure: Hashable, Sendable {
    public var schema: String
    public var sessions: QualifiedName
    public var responses: QualifiedName
    public var events: QualifiedName
    public var archivedEvents: QualifiedName
    public var providerLogs: QualifiedName
    public var log: QualifiedName
    public var lookupHash: QualifiedName

    public init(
        schema: String, sessions: QualifiedName, responses: QualifiedName, events: QualifiedName,
        archivedEvents: QualifiedName, providerLogs: QualifiedName, log: QualifiedName, lookupHash: QualifiedName
    ) {
        self.schema = schema
        self.sessions = sessions
        self.responses = responses
        self.events = events
        self.archivedEvents = archivedEvents
        self.providerLogs = providerLogs
        self.log = log
        self.lookupHash = lookupHash
    }

    public var functionName: QualifiedName { QualifiedName(schema, "erase_customer_data") }

    /// What is erased, and what is kept, in words (the CLI prints it).
    public static let erased = [
        "call_sessions: customer_phone (cipher), customer_phone_hash, transcript, recording_url",
        "call_responses: response_text (emptied), ai_analysis",
        "call_events and call_events_archive: event_data (emptied), metadata",
        "telephony_provider_logs: request_payload and response_payload (emptied), error_message",
    ]
    public static let kept = [
        "status, timestamps, durations, cost estimates, questions asked",
        "question text as asked, response durations, confidence and sentiment scores",
        "event types, sources and timestamps; provider, operation, status codes and latencies",
    ]

    public func function(executeGrantees: [String]) -> Function {
        Function(
            functionName, arguments: [.init("phone", .text)],
            returns: "TABLE(sessions integer, responses integer, events integer, archived_events integer, provider_logs integer)",
            language: .plpgsql, volatility: .volatile, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: executeGrantees,
            comment: "GDPR Article 17: erases the personal data of the customer with this phone number (any accepted format); needs app.phone_encryption_key. Idempotent.",
            body: """
                DECLARE
                    target bytea := \(lookupHash.sql)(phone);
                    ids uuid[];
                BEGIN
                    SELECT coalesce(array_agg(s.id), '{}') INTO ids
                    FROM (SELECT id FROM \(sessions.sql) WHERE customer_phone_hash = target FOR UPDATE) s;
                    sessions := pg_catalog.cardinality(ids);
                    IF sessions = 0 THEN
                        -- (A wrong key never gets here: the lookup hash refuses it, 22023.)
                        responses := 0; events := 0; archived_events := 0; provider_logs := 0;
                        RETURN NEXT;
                        RETURN;
                    END IF;
                    UPDATE \(sessions.sql) SET customer_phone = NULL, transcript = NULL, recording_url = NULL
                    WHERE id = ANY (ids);
                    UPDATE \(responses.sql) SET response_text = '', ai_analysis = NULL
                    WHERE call_session_id = ANY (ids);
                    GET DIAGNOSTICS responses = ROW_COUNT;
                    UPDATE \(events.sql) SET event_data = '{}'::jsonb, metadata = NULL
                    WHERE call_session_id = ANY (ids);
                    GET DIAGNOSTICS events = ROW_COUNT;
                    UPDATE \(archivedEvents.sql) SET event_data = '{}'::jsonb, metadata = NULL
                    WHERE call_session_id = ANY (ids);
                    GET DIAGNOSTICS archived_events = ROW_COUNT;
                    UPDATE \(providerLogs.sql)
                    SET request_payload = '{}'::jsonb, response_payload = '{}'::jsonb,
                        error_message = CASE WHEN success THEN NULL ELSE '[erased]' END
                    WHERE call_session_id = ANY (ids);
                    GET DIAGNOSTICS provider_logs = ROW_COUNT;
                    INSERT INTO \(log.sql) (sessions, responses, events, archived_events, provider_logs)
                    VALUES (sessions, responses, events, archived_events, provider_logs);
                    RETURN NEXT;
                END
                """)
    }
}
