// The call-feedback model's privacy rules: the Swedish phone normaliser,
// the free-text anonymiser and the erasure's column list. The generic kits
// (EncryptedHashedColumn, RetentionRule, Erasure) take them as parameters.

extension CallFeedbackSchema {
    /// Normalises a Swedish phone number to +46 and 7-9 digits; raises 23514
    /// (naming `constraint`) without echoing the number.
    static func swedishPhoneNormalizer(
        _ name: QualifiedName, column: String, constraint: String, executeGrantees: [String]
    ) -> Function {
        Function(
            name, arguments: [.init("raw", .text)], returns: "text", language: .plpgsql,
            volatility: .immutable, strict: true, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: executeGrantees,
            comment: "Normalises a Swedish phone number (+46, 0046 or leading 0; spaces and hyphens ignored) to +46 and 7-9 digits; raises 23514 without echoing the number.",
            body: """
                DECLARE
                    compact text := pg_catalog.translate(raw, ' -', '');
                    national text;
                BEGIN
                    IF compact LIKE '+46%' THEN
                        national := pg_catalog.substr(compact, 4);
                    ELSIF compact LIKE '0046%' THEN
                        national := pg_catalog.substr(compact, 5);
                    ELSIF compact LIKE '0%' THEN
                        national := pg_catalog.substr(compact, 2);
                    END IF;
                    IF national IS NULL OR national !~ '^[1-9][0-9]{6,8}$' THEN
                        RAISE EXCEPTION 'invalid Swedish phone number (% characters): expected +46, 0046 or 0 followed by 7 to 9 digits, the first not 0', pg_catalog.length(raw)
                            USING ERRCODE = 'check_violation', COLUMN = \(quoteLiteral(column)), CONSTRAINT = \(quoteLiteral(constraint));
                    END IF;
                    RETURN '+46' || national;
                END
                """)
    }

    /// GDPR Article 17 for a customer found by phone number: what each
    /// table loses. Keeps non-personal aggregates (status, durations, costs,
    /// scores, timestamps, event types) and records an audit row with counts only.
    static func customerErasure(_ n: Names) -> Erasure {
        Erasure(
            function: n.qualified("erase_customer_data"), argument: "phone",
            lookupHash: n.qualified("customer_phone_lookup_hash"), hashColumn: "customer_phone_hash",
            root: .init(
                table: n.callSessions, count: "sessions", matchColumn: "id",
                assignments: [.init("customer_phone", "NULL"), .init("transcript", "NULL"), .init("recording_url", "NULL")],
                noun: "call session"),
            children: [
                .init(
                    table: n.callResponses, count: "responses", matchColumn: "call_session_id",
                    assignments: [.init("response_text", "''"), .init("ai_analysis", "NULL")], noun: "response"),
                .init(
                    table: n.callEvents, count: "events", matchColumn: "call_session_id",
                    assignments: [.init("event_data", "'{}'::jsonb"), .init("metadata", "NULL")], noun: "event"),
                .init(
                    table: n.callEventsArchive, count: "archived_events", matchColumn: "call_session_id",
                    assignments: [.init("event_data", "'{}'::jsonb"), .init("metadata", "NULL")], noun: "archived event"),
                .init(
                    table: n.telephonyProviderLogs, count: "provider_logs", matchColumn: "call_session_id",
                    assignments: [
                        .init("request_payload", "'{}'::jsonb"), .init("response_payload", "'{}'::jsonb"),
                        .init("error_message", "CASE WHEN success THEN NULL ELSE '[erased]' END"),
                    ],
                    noun: "provider log"),
            ],
            log: n.erasureLog, keySetting: phoneKeySetting,
            comment: "GDPR Article 17: erases the personal data of the customer with this phone number (any accepted format); needs app.phone_encryption_key (during a key rotation also app.new_phone_encryption_key). Idempotent.",
            erased: [
                "call_sessions: customer_phone (cipher), customer_phone_hash, transcript, recording_url",
                "call_responses: response_text (emptied), ai_analysis",
                "call_events and call_events_archive: event_data (emptied), metadata",
                "telephony_provider_logs: request_payload and response_payload (emptied), error_message",
            ],
            kept: [
                "status, timestamps, durations, cost estimates, questions asked",
                "question text as asked, response durations, confidence and sentiment scores",
                "event types, sources and timestamps; provider, operation, status codes and latencies",
            ],
            argumentNoun: "phone number", lookupHashes: n.qualified("customer_phone_lookup_hashes"),
            newKeySetting: newPhoneKeySetting)
    }

    /// The setting holding the phone encryption key.
    public static let phoneKeySetting = "app.phone_encryption_key"
    /// The new key during a rotation (`PGMIGRATE_NEW_PHONE_ENCRYPTION_KEY`).
    public static let newPhoneKeySetting = "app.new_phone_encryption_key"
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

