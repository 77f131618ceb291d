/// The call-feedback rules as data. `apply(to:)` expands them into the
/// functions, triggers, policies, roles and grants Postgres enforces.
public struct CallFeedbackRules: Hashable, Sendable {
    public var stateMachine: StateMachine
    public var events: EventRules
    public var phone: EncryptedHashedColumn
    public var tenancy: TenantIsolation
    public var inheritedTenant: InheritedTenant
    public var updatedAt: UpdatedAtRule
    public var retention: [RetentionRule]
    public var anonymizer: QualifiedName
    public var erasure: Erasure

    /// Adds every generated object to the catalog. On Citus the events'
    /// lookups are also filtered by the tenant (the distribution column).
    public func apply(to catalog: inout Catalog, target: DeploymentTarget = .postgres) {
        catalog.roles += tenancy.roles()
        catalog.usageGrantees = [tenancy.serviceRole, tenancy.tenantRole]
        catalog.functions += [tenancy.function(), updatedAt.function(), inheritedTenant.function()]
            + phone.functions()
            + [stateMachine.function(lockKeyColumn: "id"), events.function(
                tenantColumn: inheritedTenant.column, currentTenant: tenancy.currentTenantFunction, shardLocal: target == .citus)]
            + [anonymizeTextFunction(anonymizer, executeGrantees: [tenancy.serviceRole])]
        for rule in retention {
            let table = catalog.table(rule.table)
            let columns = table?.columns.map(\.name) ?? []
            catalog.functions.append(rule.function(
                columns: columns, executeGrantees: [tenancy.serviceRole], partitioned: table?.isPartitioned ?? false,
                tenantColumn: target == .citus ? tenancy.column : nil))
        }
        catalog.functions.append(erasure.function(
            executeGrantees: [tenancy.serviceRole], tenantColumn: target == .citus ? tenancy.column : nil))
        for index in catalog.tables.indices where !catalog.tables[index].isExternal {
            var table = catalog.tables[index]
            if table.name == stateMachine.table { table.triggers.append(stateMachine.trigger()) }
            if table.name == phone.table { table.triggers.append(phone.trigger()) }
            // call_events: its rules trigger fills the tenant from the same lookup.
            if inheritedTenant.children.contains(table.name) && table.name != events.events {
                table.triggers.append(inheritedTenant.trigger(for: table.name))
            }
            if table.name == events.events { table.triggers.append(events.trigger()) }
            if table.column(updatedAt.column) != nil { table.triggers.append(updatedAt.trigger(for: table.name)) }
            if tenancy.tables.contains(table.name) {
                table.rowSecurity = tenancy.rowSecurity
                table.policies += tenancy.policies(for: table.name)
                table.grants += tenancy.grants()
            }
            if table.name == erasure.log {
                table.rowSecurity = tenancy.rowSecurity
                table.policies.append(Policy(
                    "\(table.name.name)_system_access", to: [tenancy.serviceRole], using: "true", withCheck: "true",
                    comment: "Only the system service reads or writes the erasure audit."))
                table.grants.append(TableGrant(tenancy.serviceRole, [.select, .insert]))
            }
            if table.name == phone.keyCheckTable {
                // Read and written only by phone_encryption_key() (SECURITY DEFINER,
                // the owner): no grants, and row-level security with no policy,
                // so a grant added by hand still shows nothing.
                table.rowSecurity = tenancy.rowSecurity
            }
            table.triggers.sort { $0.name < $1.name }  // the order Postgres fires them in
            catalog.tables[index] = table
        }
    }
}

extension CallFeedbackSchema {
    /// Key separation and rotation of the phone key (`pgmigrate rotate-phone-key`).
    static func phoneKeyRotation(_ n: Names) -> EncryptedHashedColumn.Rotation {
        EncryptedHashedColumn.Rotation(
            newKeySetting: newPhoneKeySetting, generationColumn: "customer_phone_key_generation",
            encryptionLabel: "pgmigrate phone encryption v2", lookupLabel: "pgmigrate phone lookup v2",
            deriveFunction: n.qualified("phone_key_derive"), sessionKeysFunction: n.qualified("phone_encryption_session_keys"),
            lookupHashesFunction: n.qualified("customer_phone_lookup_hashes"),
            beginFunction: n.qualified("phone_key_rotation_begin"), batchFunction: n.qualified("phone_key_rotation_batch"),
            finishFunction: n.qualified("phone_key_rotation_finish"))
    }

    public static func rules(schema: String = defaultSchema) -> CallFeedbackRules {
        let n = Names(schema: schema)
        return CallFeedbackRules(
            stateMachine: callStatusMachine(n),
            events: EventRules(
                events: n.callEvents, sessions: n.callSessions, sessionColumn: "call_session_id",
                typeColumn: "event_type", timestampColumn: "timestamp", statusColumn: "status",
                sessionKey: "id", sessionNoun: "call session", allowed: eventTypesByStatus),
            phone: EncryptedHashedColumn(
                table: n.callSessions, column: "customer_phone", hashColumn: "customer_phone_hash",
                keySetting: phoneKeySetting, keyCheckTable: n.phoneKeyCheck, pgcryptoSchema: pgcryptoSchema,
                serviceRoles: [serviceRole], writerRoles: [serviceRole, tenantRole],
                normalizer: swedishPhoneNormalizer(
                    n.qualified("normalize_swedish_phone"), column: "customer_phone",
                    constraint: "call_sessions_customer_phone_swedish", executeGrantees: [serviceRole, tenantRole]),
                keyFunction: n.qualified("phone_encryption_key"), decryptFunction: n.qualified("decrypt_customer_phone"),
                lookupHashFunction: n.qualified("customer_phone_lookup_hash"),
                keyCheckMessage: "pgmigrate phone encryption key check", lookupArgument: "phone",
                wording: .init(
                    storedValues: "customer phone numbers", values: "phone numbers", key: "phone encryption key",
                    value: "number", lookupInput: "a phone number in any accepted format",
                    trigger: "the customer phone number"),
                rotation: phoneKeyRotation(n)),
            tenancy: TenantIsolation(
                schema: schema, column: "business_id", setting: "app.current_business_id",
                tenantRole: tenantRole, serviceRole: serviceRole,
                tables: [n.callSessions, n.questionConfigurations, n.callEvents, n.callResponses,
                         n.questionSelectionLogs, n.telephonyProviderLogs, n.callEventsArchive],
                forceRowSecurity: false, currentTenantFunction: n.qualified("get_current_business_id"),
                tenantPolicySuffix: "_business_isolation", servicePolicySuffix: "_system_access", tenantNoun: "business"),
            inheritedTenant: InheritedTenant(
                parent: n.callSessions, parentKey: "id", column: "business_id", foreignKey: "call_session_id",
                children: [n.callEvents, n.callResponses, n.telephonyProviderLogs, n.callEventsArchive]),
            updatedAt: UpdatedAtRule(schema: schema),
            retention: retentionRules(n),
            anonymizer: n.qualified("anonymize_text"),
            erasure: customerErasure(n))
    }

    /// Days after which transcripts are anonymised for long-term storage: the
    /// same window as recordings, so after 30 days no session holds a raw
    /// recording or a raw transcript.
    public static let transcriptAnonymizationDays = 30

    /// The seed's data retention rules.
    static func retentionRules(_ n: Names) -> [RetentionRule] {
        [
            RetentionRule(
                name: "call_events_archive", table: n.callEvents, ageColumn: "timestamp", olderThanDays: 90,
                action: .archive(into: n.callEventsArchive, archivedAtColumn: "archived_at"),
                comment: "Call events older than 90 days are archived."),
            RetentionRule(
                name: "telephony_provider_logs_purge", table: n.telephonyProviderLogs, ageColumn: "created_at",
                olderThanDays: 30, action: .delete,
                comment: "Telephony provider logs older than 30 days are purged."),
            RetentionRule(
                name: "failed_call_sessions_purge", table: n.callSessions, ageColumn: "created_at", olderThanDays: 7,
                condition: SQLExpression("status = 'failed'::\(n.callStatus.sql)"), action: .delete,
                comment: "Failed call sessions older than 7 days are purged with their dependents."),
            RetentionRule(
                name: "call_recordings_clear", table: n.callSessions, ageColumn: "created_at", olderThanDays: 30,
                condition: "recording_url IS NOT NULL", action: .clear(columns: ["recording_url"], reportColumn: "recording_url"),
                comment: "Call recordings are deleted after 30 days (GDPR): the URL is cleared and reported."),
            RetentionRule(
                name: "call_transcripts_anonymize", table: n.callSessions, ageColumn: "created_at",
                olderThanDays: transcriptAnonymizationDays,
                condition: "transcript IS NOT NULL AND transcript_anonymized_at IS NULL",
                action: .anonymize(column: "transcript", markColumn: "transcript_anonymized_at", function: n.qualified("anonymize_text")),
                comment: "Transcripts are anonymised for long-term storage (e-mail, personnummer and phone numbers masked)."),
        ]
    }

    public static let serviceRole = "call_service"
    public static let tenantRole = "business_app"

    /// The seed's call status state machine.
    static func callStatusMachine(_ n: Names) -> StateMachine {
        StateMachine(
            table: n.callSessions, column: "status", states: callStatuses, initial: "initiated",
            transitions: [
                .init("initiated", "connecting", "call placed to customer"),
                .init("initiated", "failed", "unable to place call"),
                .init("connecting", "in_progress", "customer answered"),
                .init("connecting", "failed", "customer didn't answer"),
                .init("in_progress", "completed", "normal completion"),
                .init("in_progress", "timeout", "exceeded duration limit"),
                .init("in_progress", "failed", "technical failure"),
            ])
    }

    /// Which call events a session accepts in each status. A terminal session
    /// accepts only its own terminal event; questions, responses and
    /// warnings only while the call is in progress.
    public static let eventTypesByStatus: [(status: String, eventTypes: [String])] = [
        ("initiated", ["initiated", "connecting", "failed"]),
        ("connecting", ["connecting", "answered", "ai_connected", "failed"]),
        ("in_progress", ["answered", "ai_connected", "question_asked", "response_received", "warning_sent", "timeout", "completed", "failed"]),
        ("completed", ["completed"]),
        ("failed", ["failed"]),
        ("timeout", ["timeout"]),
    ]
}

extension CallFeedbackRules {
    /// The README's rules section, generated from the same data the triggers
    /// are generated from (a test keeps the README in step).
    public var markdown: String {
        var text = "```mermaid\n\(stateMachine.mermaid)\n```\n\n"
        text += "| session status | call events accepted |\n| --- | --- |\n"
        for (status, types) in events.allowed {
            text += "| `\(status)` | \(types.map { "`\($0)`" }.joined(separator: ", ")) |\n"
        }
        text += "\n| retention rule | table | age | action |\n| --- | --- | --- | --- |\n"
        for rule in retention {
            let condition = rule.condition.map { " where `\($0.sql)`" } ?? ""
            text += "| `\(rule.name)` | `\(rule.table.name)`\(condition) | `\(rule.ageColumn)` older than \(rule.olderThanDays) days | \(rule.action.verb) |\n"
        }
        return text
    }
}

/// The call-feedback model as the CLI sees it: the one provider of its
/// catalog, retention rules, erasure and rules Markdown.
public struct CallFeedbackModel: SchemaProvider {
    public init() {}
    public var defaultSchema: String { CallFeedbackSchema.defaultSchema }
    public func catalog(schema: String) -> Catalog { CallFeedbackSchema.catalog(schema: schema) }
    public func catalog(schema: String, target: DeploymentTarget) -> Catalog? { CallFeedbackSchema.catalog(schema: schema, target: target) }
    public func retention(schema: String) -> [RetentionRule] { CallFeedbackSchema.rules(schema: schema).retention }
    public func erasure(schema: String) -> Erasure? { CallFeedbackSchema.rules(schema: schema).erasure }
    public func keyRotation(schema: String) -> EncryptedHashedColumn? { CallFeedbackSchema.rules(schema: schema).phone }
    public func rulesMarkdown(schema: String) -> String { CallFeedbackSchema.rules(schema: schema).markdown }
    public func typeScriptRules(schema: String) -> TypeScriptRenderer.Rules {
        CallFeedbackSchema.rules(schema: schema).typeScriptRules
    }
    public var typeScriptFile: String { "types/call-feedback.ts" }
}
