import Foundation
import SchemaModel
import XCTest

/// The call-feedback model against the seed
/// (`shared/seeds/000_088a15177456cdf3.txt`), and the committed migration.
final class CallFeedbackModelTests: XCTestCase {
    private let catalog = CallFeedbackSchema.catalog()

    /// Every managed table and its columns, in order: the seed's, plus the
    /// tenant key on child tables (`business_id`), the phone lookup hash,
    /// the anonymisation mark, the event archive and the erasure audit.
    static let seedColumns: [String: [String]] = [
        "call_sessions": [
            "id", "business_id", "customer_phone", "customer_phone_hash", "verification_id", "status", "started_at",
            "connected_at", "ended_at", "duration_seconds", "questions_asked", "ai_session_id", "telephony_call_id",
            "cost_estimate", "recording_url", "transcript", "transcript_anonymized_at", "created_at", "updated_at",
            "customer_phone_key_generation",
        ],
        "question_configurations": [
            "id", "business_id", "question_text", "frequency", "priority", "department_tags", "active_from",
            "active_until", "is_active", "max_response_time", "follow_up_prompts", "created_at", "updated_at",
        ],
        "call_events": ["id", "call_session_id", "business_id", "event_type", "event_data", "timestamp", "source", "metadata"],
        "call_responses": [
            "id", "call_session_id", "business_id", "question_id", "question_text", "response_text", "response_duration",
            "confidence_score", "sentiment_score", "asked_at", "responded_at", "ai_analysis", "created_at",
        ],
        "question_selection_logs": [
            "id", "business_id", "customer_count", "selected_questions", "selection_algorithm",
            "selection_criteria", "time_budget_seconds", "estimated_duration", "created_at",
        ],
        "telephony_provider_logs": [
            "id", "call_session_id", "business_id", "provider", "provider_call_id", "operation", "request_payload",
            "response_payload", "status_code", "latency_ms", "success", "error_message", "created_at",
        ],
        "call_events_archive": [
            "id", "call_session_id", "business_id", "event_type", "event_data", "timestamp", "source", "metadata", "archived_at",
        ],
        "gdpr_erasure_log": [
            "id", "erased_at", "erased_by", "sessions", "responses", "events", "archived_events", "provider_logs",
        ],
        "phone_encryption_key_check": [
            "id", "check_value", "registered_at", "registered_by", "generation", "scheme", "retiring_check_value",
            "retiring_generation", "retiring_scheme",
        ],
    ]

    // MARK: - Tables and columns

    func testTheManagedTablesHaveExactlyTheirColumns() throws {
        XCTAssertEqual(
            catalog.managedTables.map(\.name.name),
            ["call_sessions", "question_configurations", "call_events", "call_responses", "question_selection_logs",
             "telephony_provider_logs", "call_events_archive", "gdpr_erasure_log", "phone_encryption_key_check"])
        for (name, columns) in Self.seedColumns {
            let table = try XCTUnwrap(catalog.table(QualifiedName("public", name)), name)
            XCTAssertEqual(table.columns.map(\.name), columns, name)
            XCTAssertFalse(table.isExternal, name)
            // A time-partitioned table's primary key includes its partition key.
            XCTAssertEqual(table.primaryKey?.columns, ["id"] + (table.partitioning.map { [$0.column] } ?? []), name)
        }
    }

    func testBusinessesAndCustomerVerificationsAreExternal() throws {
        for name in ["businesses", "customer_verifications"] {
            let table = try XCTUnwrap(catalog.table(QualifiedName("public", name)), name)
            XCTAssertTrue(table.isExternal, name)
            XCTAssertEqual(table.columns.map(\.name), ["id"], name)
        }
        XCTAssertEqual(catalog.tables.filter(\.isExternal).map(\.name.name), ["businesses", "customer_verifications"])
    }

    func testNullableColumnsAreExactlyTheSeedsNullableOnes() {
        // The seed marks these nullable; customer_phone (and its hash) is nullable only for GDPR erasure
        // (see its comment); transcript_anonymized_at stays NULL until retention anonymises the transcript.
        let expected: [String: Set<String>] = [
            "call_sessions": [
                "customer_phone", "customer_phone_hash", "connected_at", "ended_at", "duration_seconds", "ai_session_id",
                "telephony_call_id", "cost_estimate", "recording_url", "transcript", "transcript_anonymized_at",
            ],
            "question_configurations": ["active_from", "active_until", "follow_up_prompts"],
            "call_events": ["metadata"],
            "call_responses": ["confidence_score", "sentiment_score", "responded_at", "ai_analysis"],
            "question_selection_logs": [],
            "telephony_provider_logs": ["error_message"],
            "call_events_archive": ["metadata"],
            "gdpr_erasure_log": [],
            "phone_encryption_key_check": ["retiring_check_value", "retiring_generation", "retiring_scheme"],
        ]
        XCTAssertEqual(Set(catalog.managedTables.map(\.name.name)), Set(expected.keys))
        for table in catalog.managedTables {
            XCTAssertEqual(Set(table.columns.filter(\.isNullable).map(\.name)), expected[table.name.name], table.name.name)
        }
    }

    // MARK: - Enums

    func testEnumLabelsAreExactlyTheSeeds() throws {
        let expected: [(String, String, String, [String])] = [
            ("call_sessions", "status", "call_status", ["initiated", "connecting", "in_progress", "completed", "failed", "timeout"]),
            ("question_configurations", "priority", "question_priority", ["high", "medium", "low"]),
            ("call_events", "event_type", "call_event_type", [
                "initiated", "connecting", "answered", "ai_connected", "question_asked", "response_received",
                "warning_sent", "timeout", "completed", "failed",
            ]),
            ("call_events", "source", "call_event_source", ["system", "telephony", "ai", "customer"]),
            ("telephony_provider_logs", "provider", "telephony_provider", ["46elks", "twilio"]),
            ("telephony_provider_logs", "operation", "telephony_operation", ["initiate", "connect", "record", "hangup", "webhook"]),
        ]
        XCTAssertEqual(catalog.enums.map(\.name.name), expected.map(\.2))
        for (tableName, columnName, typeName, labels) in expected {
            let typeQualified = QualifiedName("public", typeName)
            XCTAssertEqual(catalog.enumType(typeQualified)?.labels, labels, typeName)
            let column = try XCTUnwrap(catalog.table(QualifiedName("public", tableName))?.column(columnName), "\(tableName).\(columnName)")
            XCTAssertEqual(column.type, .enumType(typeQualified), "\(tableName).\(columnName)")
        }
    }

    // MARK: - Indexes

    func testTheSeedsSixIndexesExistOnTheRightTablesAndColumns() throws {
        let expected: [(String, String, [String])] = [
            ("idx_call_sessions_business_status", "call_sessions", ["business_id", "status"]),
            ("idx_call_sessions_created_at", "call_sessions", ["created_at"]),
            ("idx_question_configs_business_active", "question_configurations", ["business_id", "is_active"]),
            ("idx_call_events_session_timestamp", "call_events", ["call_session_id", "timestamp"]),
            ("idx_call_responses_session", "call_responses", ["call_session_id"]),
            ("idx_question_selection_business_time", "question_selection_logs", ["business_id", "created_at"]),
        ]
        for (indexName, tableName, columns) in expected {
            let table = try XCTUnwrap(catalog.table(QualifiedName("public", tableName)), tableName)
            let index = try XCTUnwrap(table.indexes.first { $0.name == indexName }, "\(indexName) on \(tableName)")
            XCTAssertEqual(index.keys, columns.map(Index.Key.column), indexName)
            XCTAssertFalse(index.isUnique, indexName)
            XCTAssertNil(index.predicate, indexName)
            XCTAssertEqual(index.method, .btree, indexName)
        }
    }

    /// Deletes and updates on the referenced table find the referencing rows
    /// through an index leading with the foreign key's first column; for the
    /// composite `(call_session_id, business_id)` and `(question_id,
    /// business_id)` keys that column alone narrows to a handful of rows.
    func testEveryForeignKeyColumnLeadsAnIndex() throws {
        var foreignKeys = 0
        for table in catalog.managedTables {
            for fk in table.foreignKeys {
                foreignKeys += 1
                let first = try XCTUnwrap(fk.columns.first, fk.name)
                let covered = table.indexes.contains { index in
                    index.predicate == nil && index.leadingColumns.first == first
                }
                XCTAssertTrue(covered, "\(table.name) \(fk.name) on \(fk.columns)")
            }
        }
        XCTAssertEqual(foreignKeys, 9)
    }

    func testForeignKeysReferenceTheSeedsTablesWithTheDocumentedDeleteActions() throws {
        // Child rows reference (id, business_id) of their parent, so they always share its business.
        let tenant = ["id", "business_id"]
        let expected: [(String, [String], String, [String], ReferentialAction)] = [
            ("call_sessions", ["business_id"], "businesses", ["id"], .restrict),
            ("call_sessions", ["verification_id"], "customer_verifications", ["id"], .restrict),
            ("question_configurations", ["business_id"], "businesses", ["id"], .restrict),
            ("call_events", ["call_session_id", "business_id"], "call_sessions", tenant, .cascade),
            ("call_responses", ["call_session_id", "business_id"], "call_sessions", tenant, .cascade),
            ("call_responses", ["question_id", "business_id"], "question_configurations", tenant, .restrict),
            ("question_selection_logs", ["business_id"], "businesses", ["id"], .restrict),
            ("telephony_provider_logs", ["call_session_id", "business_id"], "call_sessions", tenant, .cascade),
            ("call_events_archive", ["call_session_id", "business_id"], "call_sessions", tenant, .cascade),
        ]
        var count = 0
        for table in catalog.managedTables { count += table.foreignKeys.count }
        XCTAssertEqual(count, expected.count)
        for (tableName, columns, target, referenced, action) in expected {
            let label = "\(tableName)(\(columns.joined(separator: ", ")))"
            let table = try XCTUnwrap(catalog.table(QualifiedName("public", tableName)))
            let fk = try XCTUnwrap(table.foreignKeys.first { $0.columns == columns }, label)
            XCTAssertEqual(fk.referencedTable, QualifiedName("public", target), label)
            XCTAssertEqual(fk.referencedColumns, referenced, label)
            XCTAssertEqual(fk.onDelete, action, label)
        }
    }

    func testTheModelIsValid() {
        XCTAssertEqual(catalog.validationErrors(), [])
        XCTAssertEqual(CallFeedbackSchema.catalog(schema: "feedback").validationErrors(), [])
    }

    func testAnotherSchemaQualifiesEveryObject() throws {
        let other = CallFeedbackSchema.catalog(schema: "feedback")
        XCTAssertEqual(Set(other.tables.map(\.name.schema)), ["feedback"])
        XCTAssertEqual(Set(other.enums.map(\.name.schema)), ["feedback"])
        let contents = GeneratedMigration.initial(other).contents
        XCTAssertTrue(contents.contains("CREATE SCHEMA IF NOT EXISTS feedback;\n"), contents)
        XCTAssertTrue(contents.contains("CREATE TABLE feedback.call_sessions ("), contents)
        // Only pgcrypto, which lives in its own schema, is still named in public.
        let regex = try NSRegularExpression(pattern: #"public\.([A-Za-z_]+)"#)
        let range = NSRange(contents.startIndex..., in: contents)
        let publicNames = Set(regex.matches(in: contents, range: range).compactMap { match in
            Range(match.range(at: 1), in: contents).map { String(contents[$0]) }
        })
        XCTAssertEqual(CallFeedbackSchema.pgcryptoSchema, "public")
        XCTAssertEqual(publicNames, ["hmac", "pgp_sym_encrypt", "pgp_sym_decrypt"], contents)
    }

    // MARK: - Determinism and the committed file

    func testRenderingTheWholeModelTwiceGivesIdenticalBytes() {
        let first = PostgresRenderer().statements(for: CallFeedbackSchema.catalog())
        let second = PostgresRenderer().statements(for: CallFeedbackSchema.catalog())
        XCTAssertEqual(first, second)
        XCTAssertEqual(Array(first.script.utf8), Array(second.script.utf8))
        XCTAssertEqual(
            Array(GeneratedMigration.initial(CallFeedbackSchema.catalog()).contents.utf8),
            Array(GeneratedMigration.initial(CallFeedbackSchema.catalog()).contents.utf8))
    }

    func testMigrationHeaderCountsTheManagedObjects() {
        let migration = GeneratedMigration.initial(catalog)
        let statements = PostgresRenderer().statements(for: catalog)
        XCTAssertTrue(
            migration.contents.contains("-- Objects: 9 tables, 6 enum types, 24 functions, \(statements.count) statements.\n"),
            migration.contents)
        XCTAssertTrue(migration.contents.hasSuffix(";\n"))
        XCTAssertFalse(migration.contents.hasSuffix("\n\n"))
    }
}
