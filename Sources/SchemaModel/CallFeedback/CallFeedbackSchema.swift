/// The storage of the AI phone-call feedback system
/// (`shared/seeds/000_088a15177456cdf3.txt`): six tables, their enum types,
/// validation rules as named constraints, foreign keys and indexes.
///
/// Choices a DBA should know about (also in the README):
/// - every id is `uuid DEFAULT gen_random_uuid()`, every timestamp `timestamptz`;
/// - `businesses` and `customer_verifications` belong to the host
///   application: created as `(id uuid PRIMARY KEY)` only if absent;
/// - deleting a business or a verification is refused while call data
///   references it (`ON DELETE RESTRICT`); deleting a call session removes its
///   events, responses and provider logs (`ON DELETE CASCADE`); deleting a
///   question that has responses is refused (retire it with `is_active`);
/// - every foreign-key column leads some index.
public enum CallFeedbackSchema {
    public static let defaultSchema = "public"

    /// The model: tables plus the rules expanded into functions, triggers,
    /// policies, roles and grants.
    public static func catalog(schema: String = defaultSchema, target: DeploymentTarget = .postgres) -> Catalog {
        let names = Names(schema: schema)
        var catalog = Catalog(
            schemas: [schema],
            extensions: [Extension("pgcrypto", schema: pgcryptoSchema)],
            enums: enums(names),
            tables: [
                external(names.businesses),
                external(names.customerVerifications),
                callSessions(names),
                questionConfigurations(names),
                callEvents(names),
                callResponses(names),
                questionSelectionLogs(names),
                telephonyProviderLogs(names),
                callEventsArchive(names),
                erasureLog(names),
                phoneKeyCheck(names),
            ]
        )
        catalog.origin = "The call-feedback schema, generated from the Swift model in Sources/SchemaModel."
        rules(schema: schema).apply(to: &catalog, target: target)
        if target == .citus {
            citusLayout(names).apply(to: &catalog)
            catalog.origin = "The call-feedback schema for a Citus cluster (--target citus), generated from the Swift model in Sources/SchemaModel."
        }
        return catalog
    }

    /// The Citus placement: every tenant table distributed by business_id and
    /// co-located with call_sessions; the host application's tables and the
    /// phone key check (read by the phone trigger on the workers) replicated
    /// to every node; the erasure audit on the coordinator.
    static func citusLayout(_ n: Names) -> CitusLayout {
        CitusLayout(
            distributionColumn: "business_id", colocateWith: n.callSessions,
            referenceTables: [n.businesses, n.customerVerifications, n.phoneKeyCheck],
            coordinatorTables: [n.erasureLog],
            tenantSetting: "app.current_business_id", currentTenantFunction: n.qualified("get_current_business_id"),
            setTenantFunction: n.qualified("set_current_business"), setTenantGrantees: [serviceRole, tenantRole],
            forwardedSettings: [phoneKeySetting, newPhoneKeySetting])
    }

    /// pgcrypto's schema; the generated functions call it by this name.
    public static let pgcryptoSchema = "public"

    /// The seed's call status values, in state-machine order.
    public static let callStatuses = ["initiated", "connecting", "in_progress", "completed", "failed", "timeout"]
    public static let questionPriorities = ["high", "medium", "low"]
    public static let callEventTypes = [
        "initiated", "connecting", "answered", "ai_connected", "question_asked", "response_received",
        "warning_sent", "timeout", "completed", "failed",
    ]
    public static let callEventSources = ["system", "telephony", "ai", "customer"]
    public static let telephonyProviders = ["46elks", "twilio"]
    public static let telephonyOperations = ["initiate", "connect", "record", "hangup", "webhook"]

    struct Names {
        let schema: String
        func qualified(_ name: String) -> QualifiedName { QualifiedName(schema, name) }
        var businesses: QualifiedName { qualified("businesses") }
        var customerVerifications: QualifiedName { qualified("customer_verifications") }
        var callSessions: QualifiedName { qualified("call_sessions") }
        var questionConfigurations: QualifiedName { qualified("question_configurations") }
        var callEvents: QualifiedName { qualified("call_events") }
        var callResponses: QualifiedName { qualified("call_responses") }
        var questionSelectionLogs: QualifiedName { qualified("question_selection_logs") }
        var telephonyProviderLogs: QualifiedName { qualified("telephony_provider_logs") }
        var callEventsArchive: QualifiedName { qualified("call_events_archive") }
        var erasureLog: QualifiedName { qualified("gdpr_erasure_log") }
        var phoneKeyCheck: QualifiedName { qualified("phone_encryption_key_check") }
        var callStatus: QualifiedName { qualified("call_status") }
        var questionPriority: QualifiedName { qualified("question_priority") }
        var callEventType: QualifiedName { qualified("call_event_type") }
        var callEventSource: QualifiedName { qualified("call_event_source") }
        var telephonyProvider: QualifiedName { qualified("telephony_provider") }
        var telephonyOperation: QualifiedName { qualified("telephony_operation") }
    }

    static func enums(_ n: Names) -> [EnumType] {
        [
            EnumType(n.callStatus, labels: callStatuses, comment: "Lifecycle of a call session; transitions are enforced by a trigger."),
            EnumType(n.questionPriority, labels: questionPriorities, comment: "Priority of a business question."),
            EnumType(n.callEventType, labels: callEventTypes, comment: "Kinds of events in a call's lifecycle."),
            EnumType(n.callEventSource, labels: callEventSources, comment: "Where a call event came from."),
            EnumType(n.telephonyProvider, labels: telephonyProviders, comment: "Telephony providers in use."),
            EnumType(n.telephonyOperation, labels: telephonyOperations, comment: "Operations performed with a telephony provider."),
        ]
    }

    static func external(_ name: QualifiedName) -> Table {
        Table(
            name, columns: [Column("id", .uuid)],
            primaryKey: PrimaryKey(name: "\(name.name)_pkey", columns: ["id"]),
            comment: "Owned by the host application; created minimally only if absent.",
            isExternal: true)
    }

    // MARK: - The six tables

    static func callSessions(_ n: Names) -> Table {
        let t = "call_sessions"
        return Table(
            n.callSessions,
            columns: [
                id(),
                Column("business_id", .uuid, comment: "The business the call is made for."),
                Column("customer_phone", .text, nullable: true, comment: "Customer's Swedish phone number: written in plain text, stored encrypted (pgcrypto, base64); NULL only after GDPR erasure."),
                Column("customer_phone_hash", .bytea, nullable: true, comment: "HMAC-SHA256 of the normalised number under the encryption key: finds a customer's rows without decrypting."),
                Column("verification_id", .uuid, comment: "The customer verification that led to this call."),
                Column("status", .enumType(n.callStatus), default: .literal("initiated", as: .enumType(n.callStatus)), comment: "Call status; follows the state machine."),
                Column("started_at", .timestamptz, default: .now, comment: "Call initiation time."),
                Column("connected_at", .timestamptz, nullable: true, comment: "When the customer answered."),
                Column("ended_at", .timestamptz, nullable: true, comment: "Call completion time."),
                Column("duration_seconds", .integer, nullable: true, comment: "Total call duration, at most 120 seconds."),
                Column("questions_asked", .jsonb, default: "'[]'::jsonb", comment: "JSON array of the question ids asked during the call."),
                Column("ai_session_id", .varchar(255), nullable: true, comment: "OpenAI session identifier."),
                Column("telephony_call_id", .varchar(255), nullable: true, comment: "Telephony provider's call identifier."),
                Column("cost_estimate", .numeric(precision: 10, scale: 4), nullable: true, comment: "Estimated call cost (SEK), never negative."),
                Column("recording_url", .varchar(2048), nullable: true, comment: "Call recording location; cleared after 30 days."),
                Column("transcript", .text, nullable: true, comment: "Full conversation transcript; anonymised for long-term storage."),
                Column("transcript_anonymized_at", .timestamptz, nullable: true, comment: "When the transcript was anonymised by retention (NULL: not yet)."),
                createdAt(), updatedAt(),
                Column("customer_phone_key_generation", .integer, default: "1", comment: "Generation of the phone key the number and its hash are under (phone_encryption_key_check.generation); set by the trigger."),
            ],
            primaryKey: pkey(t),
            foreignKeys: [
                ForeignKey(name: "\(t)_business_id_fkey", columns: ["business_id"], references: n.businesses, ["id"], onDelete: .restrict),
                ForeignKey(name: "\(t)_verification_id_fkey", columns: ["verification_id"], references: n.customerVerifications, ["id"], onDelete: .restrict),
            ],
            uniques: [UniqueConstraint(name: "\(t)_id_business_id_key", columns: ["id", "business_id"])],
            checks: [
                CheckConstraint(name: "\(t)_duration_seconds_range", columns: ["duration_seconds"],
                    "duration_seconds >= 0 AND duration_seconds <= 120", comment: "A call lasts at most 2 minutes."),
                CheckConstraint(name: "\(t)_cost_estimate_non_negative", columns: ["cost_estimate"],
                    "cost_estimate >= 0", comment: "Cost estimate must be non-negative."),
                CheckConstraint(name: "\(t)_questions_asked_is_array", columns: ["questions_asked"],
                    "jsonb_typeof(questions_asked) = 'array'", comment: "questions_asked is a JSON array."),
                CheckConstraint(name: "\(t)_connected_after_start", columns: ["connected_at", "started_at"],
                    "connected_at >= started_at", comment: "A call cannot connect before it started."),
                CheckConstraint(name: "\(t)_ended_after_start", columns: ["ended_at", "started_at"],
                    "ended_at >= started_at", comment: "A call cannot end before it started."),
                CheckConstraint(name: "\(t)_ended_after_connect", columns: ["ended_at", "connected_at"],
                    "ended_at >= connected_at", comment: "A call cannot end before it connected."),
                CheckConstraint(name: "\(t)_customer_phone_hash_present", columns: ["customer_phone", "customer_phone_hash"],
                    "(customer_phone IS NULL) = (customer_phone_hash IS NULL)", comment: "An encrypted number always has its lookup hash, and erasure removes both."),
            ],
            indexes: [
                Index("idx_call_sessions_business_status", on: ["business_id", "status"]),
                Index("idx_call_sessions_created_at", on: ["created_at"]),
                Index("idx_call_sessions_verification_id", on: ["verification_id"], comment: "Covers the foreign key to customer_verifications."),
                Index("idx_call_sessions_customer_phone_hash", on: ["customer_phone_hash"], where: "customer_phone_hash IS NOT NULL",
                    predicateColumns: ["customer_phone_hash"], comment: "GDPR erasure finds a customer's sessions by the keyed hash."),
                Index("idx_call_sessions_customer_phone_key_generation", on: ["customer_phone_key_generation"], where: "customer_phone IS NOT NULL",
                    predicateColumns: ["customer_phone"], comment: "A key rotation finds the numbers still under the retiring key."),
                Index("idx_call_sessions_failed_created_at", on: ["created_at"], where: SQLExpression("status = 'failed'::\(n.callStatus.sql)"),
                    predicateColumns: ["status"], comment: "Retention: failed sessions by age."),
                Index("idx_call_sessions_recording_created_at", on: ["created_at"], where: "recording_url IS NOT NULL",
                    predicateColumns: ["recording_url"], comment: "Retention: sessions with a recording by age."),
                Index("idx_call_sessions_transcript_pending_created_at", on: ["created_at"],
                    where: "transcript IS NOT NULL AND transcript_anonymized_at IS NULL",
                    predicateColumns: ["transcript", "transcript_anonymized_at"], comment: "Retention: transcripts not yet anonymised, by age."),
            ],
            comment: "An individual AI-powered call session.")
    }

    static func questionConfigurations(_ n: Names) -> Table {
        let t = "question_configurations"
        return Table(
            n.questionConfigurations,
            columns: [
                id(),
                Column("business_id", .uuid, comment: "The business that asks the question."),
                Column("question_text", .text, comment: "The question in Swedish, 10 to 500 characters."),
                Column("frequency", .integer, comment: "Ask every Nth customer (1 to 100)."),
                Column("priority", .enumType(n.questionPriority), default: .literal("medium", as: .enumType(n.questionPriority)), comment: "Question priority."),
                Column("department_tags", .jsonb, comment: "Non-empty JSON array of department/area tags (strings)."),
                Column("active_from", .date, nullable: true, comment: "First day the question is active."),
                Column("active_until", .date, nullable: true, comment: "Last day the question is active."),
                Column("is_active", .boolean, default: .true, comment: "Whether the question is currently active."),
                Column("max_response_time", .integer, default: .integer(30), comment: "Maximum seconds for a response (1 to 60)."),
                Column("follow_up_prompts", .jsonb, nullable: true, comment: "JSON array of prompts for clarification."),
                createdAt(), updatedAt(),
            ],
            primaryKey: pkey(t),
            foreignKeys: [
                ForeignKey(name: "\(t)_business_id_fkey", columns: ["business_id"], references: n.businesses, ["id"], onDelete: .restrict),
            ],
            uniques: [UniqueConstraint(name: "\(t)_id_business_id_key", columns: ["id", "business_id"])],
            checks: [
                CheckConstraint(name: "\(t)_question_text_length", columns: ["question_text"],
                    "char_length(question_text) >= 10 AND char_length(question_text) <= 500", comment: "Question text must be 10-500 characters."),
                CheckConstraint(name: "\(t)_frequency_range", columns: ["frequency"],
                    "frequency >= 1 AND frequency <= 100", comment: "Frequency must be 1-100."),
                CheckConstraint(name: "\(t)_active_period_valid", columns: ["active_from", "active_until"],
                    "active_from <= active_until", comment: "The active period must not end before it starts."),
                CheckConstraint(name: "\(t)_department_tags_non_empty_array", columns: ["department_tags"],
                    "jsonb_typeof(department_tags) = 'array' AND jsonb_array_length(department_tags) > 0 AND NOT jsonb_path_exists(department_tags, 'strict $[*] ? (@.type() != \"string\")')",
                    comment: "Department tags must be a non-empty array of strings."),
                CheckConstraint(name: "\(t)_max_response_time_range", columns: ["max_response_time"],
                    "max_response_time >= 1 AND max_response_time <= 60", comment: "A response may take 1 to 60 seconds."),
                CheckConstraint(name: "\(t)_follow_up_prompts_is_array", columns: ["follow_up_prompts"],
                    "jsonb_typeof(follow_up_prompts) = 'array'", comment: "follow_up_prompts is a JSON array."),
            ],
            indexes: [
                Index("idx_question_configs_business_active", on: ["business_id", "is_active"]),
            ],
            comment: "Business-defined questions with frequency and targeting settings.")
    }

    static func callEvents(_ n: Names) -> Table {
        let t = "call_events"
        return Table(
            n.callEvents,
            columns: [
                id(),
                Column("call_session_id", .uuid, comment: "The call session the event belongs to."),
                businessOfSession(),
                Column("event_type", .enumType(n.callEventType), comment: "What happened."),
                Column("event_data", .jsonb, default: "'{}'::jsonb", comment: "Event-specific JSON object."),
                Column("timestamp", .timestamptz, default: .now, comment: "When the event occurred; never earlier than the session's previous event."),
                Column("source", .enumType(n.callEventSource), comment: "Where the event came from."),
                Column("metadata", .jsonb, nullable: true, comment: "Additional event metadata (JSON object)."),
            ],
            primaryKey: pkey(t, partitionKey: "timestamp"),
            foreignKeys: [
                sessionForeignKey(t, n),
            ],
            checks: [
                CheckConstraint(name: "\(t)_event_data_is_object", columns: ["event_data"],
                    "jsonb_typeof(event_data) = 'object'", comment: "event_data is a JSON object."),
                CheckConstraint(name: "\(t)_metadata_is_object", columns: ["metadata"],
                    "jsonb_typeof(metadata) = 'object'", comment: "metadata is a JSON object."),
            ],
            indexes: [
                Index("idx_call_events_session_timestamp", on: ["call_session_id", "timestamp"]),
                Index("idx_call_events_business_timestamp", on: ["business_id", "timestamp"], comment: "A tenant's events through row-level security."),
                Index("idx_call_events_timestamp", on: ["timestamp"], comment: "Retention: events by age."),
            ],
            comment: "Log of events during a call's lifecycle.",
            partitioning: partitioning(by: "timestamp"))
    }

    static func callResponses(_ n: Names) -> Table {
        let t = "call_responses"
        return Table(
            n.callResponses,
            columns: [
                id(),
                Column("call_session_id", .uuid, comment: "The call session the response was given in."),
                businessOfSession(),
                Column("question_id", .uuid, comment: "The question configuration that was asked."),
                Column("question_text", .text, comment: "The question as asked, for historical accuracy."),
                Column("response_text", .text, comment: "The customer's transcribed response."),
                Column("response_duration", .integer, comment: "Response duration in seconds (0 to 60)."),
                Column("confidence_score", .numeric(precision: 4, scale: 3), nullable: true, comment: "Transcription confidence, 0 to 1."),
                Column("sentiment_score", .numeric(precision: 4, scale: 3), nullable: true, comment: "Response sentiment, -1 to 1."),
                Column("asked_at", .timestamptz, comment: "When the question was asked."),
                Column("responded_at", .timestamptz, nullable: true, comment: "When the response was received."),
                Column("ai_analysis", .jsonb, nullable: true, comment: "AI analysis of the response (JSON object)."),
                createdAt(),
            ],
            primaryKey: pkey(t),
            foreignKeys: [
                sessionForeignKey(t, n),
                ForeignKey(name: "\(t)_question_id_fkey", columns: ["question_id", "business_id"], references: n.questionConfigurations, ["id", "business_id"], onDelete: .restrict),
            ],
            checks: [
                CheckConstraint(name: "\(t)_response_duration_range", columns: ["response_duration"],
                    "response_duration >= 0 AND response_duration <= 60", comment: "Response duration must be at most 60 seconds."),
                CheckConstraint(name: "\(t)_confidence_score_range", columns: ["confidence_score"],
                    "confidence_score >= 0 AND confidence_score <= 1", comment: "Confidence score must be 0-1."),
                CheckConstraint(name: "\(t)_sentiment_score_range", columns: ["sentiment_score"],
                    "sentiment_score >= -1 AND sentiment_score <= 1", comment: "Sentiment score must be -1 to 1."),
                CheckConstraint(name: "\(t)_responded_after_asked", columns: ["asked_at", "responded_at"],
                    "asked_at <= responded_at", comment: "A response cannot come before its question."),
                CheckConstraint(name: "\(t)_ai_analysis_is_object", columns: ["ai_analysis"],
                    "jsonb_typeof(ai_analysis) = 'object'", comment: "ai_analysis is a JSON object."),
            ],
            indexes: [
                Index("idx_call_responses_session", on: ["call_session_id"]),
                Index("idx_call_responses_question_id", on: ["question_id"], comment: "Covers the foreign key to question_configurations."),
                Index("idx_call_responses_business_created", on: ["business_id", "created_at"], comment: "A tenant's responses through row-level security."),
            ],
            comment: "Customer responses to specific questions.")
    }

    static func questionSelectionLogs(_ n: Names) -> Table {
        let t = "question_selection_logs"
        return Table(
            n.questionSelectionLogs,
            columns: [
                id(),
                Column("business_id", .uuid, comment: "The business the selection was made for."),
                Column("customer_count", .integer, comment: "Customer number for the frequency calculation, positive."),
                Column("selected_questions", .jsonb, comment: "JSON array of the selected question ids."),
                Column("selection_algorithm", .varchar(64), comment: "Algorithm version used."),
                Column("selection_criteria", .jsonb, comment: "Criteria used for the selection (JSON object)."),
                Column("time_budget_seconds", .integer, comment: "Time available for questions, 60 to 120 seconds."),
                Column("estimated_duration", .integer, comment: "Estimated time for the selected questions, within the budget."),
                createdAt(),
            ],
            primaryKey: pkey(t),
            foreignKeys: [
                ForeignKey(name: "\(t)_business_id_fkey", columns: ["business_id"], references: n.businesses, ["id"], onDelete: .restrict),
            ],
            checks: [
                CheckConstraint(name: "\(t)_customer_count_positive", columns: ["customer_count"],
                    "customer_count > 0", comment: "Customer count must be positive."),
                CheckConstraint(name: "\(t)_selected_questions_is_array", columns: ["selected_questions"],
                    "jsonb_typeof(selected_questions) = 'array'", comment: "selected_questions is a JSON array."),
                CheckConstraint(name: "\(t)_selection_algorithm_not_blank", columns: ["selection_algorithm"],
                    "btrim(selection_algorithm) <> ''", comment: "The algorithm version must be named."),
                CheckConstraint(name: "\(t)_selection_criteria_is_object", columns: ["selection_criteria"],
                    "jsonb_typeof(selection_criteria) = 'object'", comment: "selection_criteria is a JSON object."),
                CheckConstraint(name: "\(t)_time_budget_range", columns: ["time_budget_seconds"],
                    "time_budget_seconds >= 60 AND time_budget_seconds <= 120", comment: "Time budget must be 60-120 seconds."),
                CheckConstraint(name: "\(t)_estimated_duration_within_budget", columns: ["estimated_duration", "time_budget_seconds"],
                    "estimated_duration >= 0 AND estimated_duration <= time_budget_seconds", comment: "Estimated duration must be between 0 and the time budget."),
            ],
            indexes: [
                Index("idx_question_selection_business_time", on: ["business_id", "created_at"]),
            ],
            comment: "Decisions of the question selection algorithm.")
    }

    static func telephonyProviderLogs(_ n: Names) -> Table {
        let t = "telephony_provider_logs"
        return Table(
            n.telephonyProviderLogs,
            columns: [
                id(),
                Column("call_session_id", .uuid, comment: "The call session the interaction belongs to."),
                businessOfSession(),
                Column("provider", .enumType(n.telephonyProvider), comment: "Telephony provider used."),
                Column("provider_call_id", .varchar(255), comment: "The provider's call identifier."),
                Column("operation", .enumType(n.telephonyOperation), comment: "Operation performed."),
                Column("request_payload", .jsonb, comment: "Request sent to the provider."),
                Column("response_payload", .jsonb, comment: "Response from the provider."),
                Column("status_code", .integer, comment: "HTTP status code (100 to 599)."),
                Column("latency_ms", .integer, comment: "Operation latency in milliseconds, never negative."),
                Column("success", .boolean, comment: "Whether the operation succeeded."),
                Column("error_message", .text, nullable: true, comment: "Error message; required when success is false."),
                createdAt(),
            ],
            primaryKey: pkey(t, partitionKey: "created_at"),
            foreignKeys: [
                sessionForeignKey(t, n),
            ],
            checks: [
                CheckConstraint(name: "\(t)_status_code_valid_http", columns: ["status_code"],
                    "status_code >= 100 AND status_code <= 599", comment: "Status code must be a valid HTTP status."),
                CheckConstraint(name: "\(t)_latency_ms_non_negative", columns: ["latency_ms"],
                    "latency_ms >= 0", comment: "Latency must be non-negative."),
                CheckConstraint(name: "\(t)_error_message_required_on_failure", columns: ["success", "error_message"],
                    "success OR (error_message IS NOT NULL AND btrim(error_message) <> '')", comment: "An error message is required when success is false."),
            ],
            indexes: [
                Index("idx_telephony_provider_logs_session", on: ["call_session_id"], comment: "Covers the foreign key to call_sessions."),
                Index("idx_telephony_provider_logs_business_created", on: ["business_id", "created_at"], comment: "A tenant's provider logs through row-level security."),
                Index("idx_telephony_provider_logs_created_at", on: ["created_at"], comment: "Retention: provider logs by age."),
            ],
            comment: "Telephony provider interactions and metrics.",
            partitioning: partitioning(by: "created_at"))
    }

    /// Events older than the retention window, moved here by the
    /// `call_events_archive` rule: the columns of call_events plus archived_at.
    static func callEventsArchive(_ n: Names) -> Table {
        let t = "call_events_archive"
        var events = callEvents(n)
        events.name = n.callEventsArchive
        events.columns = events.columns.map { column in
            var column = column
            column.defaultValue = nil  // archived rows keep their values; no defaults
            return column
        } + [Column("archived_at", .timestamptz, default: .now, comment: "When the event was archived.")]
        return Table(
            n.callEventsArchive,
            columns: events.columns,
            primaryKey: pkey(t, partitionKey: "timestamp"),
            foreignKeys: [sessionForeignKey(t, n)],
            checks: events.checks.map { check in
                var check = check
                check.name = check.name.replacingPrefix("call_events_", with: "\(t)_")
                return check
            },
            indexes: [
                Index("idx_call_events_archive_session", on: ["call_session_id"], comment: "Covers the foreign key; erasure finds a session's archived events."),
                Index("idx_call_events_archive_business_timestamp", on: ["business_id", "timestamp"], comment: "A tenant's archived events through row-level security."),
            ],
            comment: "Call events older than 90 days, moved here by retention; same access rules as call_events.",
            partitioning: partitioning(by: "timestamp"))
    }

    /// One row per GDPR erasure: when, by whom, how many rows. Never the
    /// phone number or its hash.
    static func erasureLog(_ n: Names) -> Table {
        Table(
            n.erasureLog,
            columns: [
                id(),
                Column("erased_at", .timestamptz, default: .now, comment: "When the erasure ran."),
                Column("erased_by", .text, default: "CURRENT_USER", comment: "The database role that ran it."),
                Column("sessions", .integer, comment: "Call sessions whose personal data was erased."),
                Column("responses", .integer, comment: "Responses whose text and analysis were erased."),
                Column("events", .integer, comment: "Live events whose payloads were erased."),
                Column("archived_events", .integer, comment: "Archived events whose payloads were erased."),
                Column("provider_logs", .integer, comment: "Provider logs whose payloads were erased."),
            ],
            primaryKey: pkey("gdpr_erasure_log"),
            comment: "Audit of GDPR Article 17 erasures (counts only).")
    }

    /// One row: an HMAC of a constant under the phone encryption key the
    /// database's numbers are stored with, recorded by the first write, so
    /// that a different key is refused instead of storing numbers no one can
    /// find. Read and written only through phone_encryption_key() (SECURITY
    /// DEFINER); no role is granted anything on it.
    static func phoneKeyCheck(_ n: Names) -> Table {
        let t = n.phoneKeyCheck.name
        return Table(
            n.phoneKeyCheck,
            columns: [
                Column("id", .boolean, default: "true", comment: "Always true: the table holds one row."),
                Column("check_value", .bytea, comment: "HMAC-SHA256 of a fixed text under the key; not the key."),
                Column("registered_at", .timestamptz, default: .now, comment: "When the first phone number was stored with this key."),
                Column("registered_by", .text, default: "CURRENT_USER", comment: "The role whose write recorded it."),
            ] + EncryptedHashedColumn.keyCheckRotationColumns(),
            primaryKey: PrimaryKey(name: "\(t)_pkey", columns: ["id"]),
            checks: [
                CheckConstraint(name: "\(t)_one_row", columns: ["id"], "id", comment: "The table holds at most one row."),
                CheckConstraint(name: "\(t)_scheme_known", columns: ["scheme", "retiring_scheme"], "scheme IN (1, 2) AND retiring_scheme IN (1, 2)",
                    comment: "Scheme 1 (legacy) or 2 (derived keys)."),
                CheckConstraint(name: "\(t)_retiring_complete", columns: ["retiring_check_value", "retiring_generation", "retiring_scheme"],
                    "(retiring_check_value IS NULL) = (retiring_generation IS NULL) AND (retiring_generation IS NULL) = (retiring_scheme IS NULL)",
                    comment: "A retiring key has its check value, generation and scheme, or none of them."),
                CheckConstraint(name: "\(t)_retiring_older", columns: ["retiring_generation", "generation"], "retiring_generation < generation",
                    comment: "The retiring key is older than the current one."),
            ],
            comment: "Which phone encryption key this database's numbers are stored with (as an HMAC, not the key).")
    }

    // MARK: - Building blocks

    static func id() -> Column {
        Column("id", .uuid, default: .genRandomUUID, comment: "Primary key.")
    }

    static func createdAt() -> Column {
        Column("created_at", .timestamptz, default: .now, comment: "When the row was created.")
    }

    static func updatedAt() -> Column {
        Column("updated_at", .timestamptz, default: .now, comment: "When the row was last updated.")
    }

    /// The tenant column of a child of call_sessions: filled from the session
    /// by a trigger when omitted, kept equal to it by the composite key.
    static func businessOfSession() -> Column {
        Column("business_id", .uuid, comment: "The call session's business (filled in from the session; kept equal by the foreign key).")
    }

    /// (call_session_id, business_id) → call_sessions (id, business_id):
    /// deleting a session deletes the child rows; moving a session to another
    /// business moves them along.
    static func sessionForeignKey(_ table: String, _ n: Names) -> ForeignKey {
        ForeignKey(
            name: "\(table)_call_session_id_fkey", columns: ["call_session_id", "business_id"],
            references: n.callSessions, ["id", "business_id"], onDelete: .cascade, onUpdate: .cascade)
    }

    /// Daily partitions (the default interval: retention runs daily), a
    /// week made ahead by maintenance and already by the migration that
    /// creates the table, and a default partition.
    static func partitioning(by column: String) -> RangePartitioning {
        RangePartitioning(by: column, premakeOnCreate: true)
    }

    static func pkey(_ table: String) -> PrimaryKey {
        PrimaryKey(name: "\(table)_pkey", columns: ["id"])
    }

    /// The primary key of a time-partitioned table: the id and the partition
    /// key (PostgreSQL enforces uniqueness per partition, so every unique key
    /// of a partitioned table includes its partition key). No foreign key
    /// references these tables, so the wider key changes no other table.
    static func pkey(_ table: String, partitionKey: String) -> PrimaryKey {
        PrimaryKey(name: "\(table)_pkey", columns: ["id", partitionKey])
    }
}
