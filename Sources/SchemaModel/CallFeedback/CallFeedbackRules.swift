/// The call-feedback rules as data. `apply(to:)` expands them into the
/// functions, triggers, policies, roles and grants Postgres enforces.
public struct CallFeedbackRules: Hashable, Sendable {
    public var stateMachine: StateMachine
    public var events: EventRules
    public var phone: PhoneProtection
    public var tenancy: TenantIsolation
    public var inheritedTenant: InheritedTenant
    public var updatedAt: UpdatedAtRule

    /// Adds every generated object to the catalog.
    public func apply(to catalog: inout Catalog) {
        catalog.roles += tenancy.roles()
        catalog.usageGrantees = [tenancy.serviceRole, tenancy.tenantRole]
        catalog.functions += [tenancy.function(), updatedAt.function(), inheritedTenant.function()]
            + phone.functions()
            + [stateMachine.function(lockKeyColumn: "id"), events.function()]
        for index in catalog.tables.indices where !catalog.tables[index].isExternal {
            var table = catalog.tables[index]
            if table.name == stateMachine.table { table.triggers.append(stateMachine.trigger()) }
            if table.name == phone.table { table.triggers.append(phone.trigger()) }
            if inheritedTenant.children.contains(table.name) {
                table.triggers.append(inheritedTenant.trigger(for: table.name))
            }
            if table.name == events.events { table.triggers.append(events.trigger()) }
            if table.column(updatedAt.column) != nil { table.triggers.append(updatedAt.trigger(for: table.name)) }
            if tenancy.tables.contains(table.name) {
                table.rowSecurity = tenancy.rowSecurity
                table.policies += tenancy.policies(for: table.name)
                table.grants += tenancy.grants()
            }
            table.triggers.sort { $0.name < $1.name }  // the order Postgres fires them in
            catalog.tables[index] = table
        }
    }
}

extension CallFeedbackSchema {
    public static func rules(schema: String = defaultSchema) -> CallFeedbackRules {
        let n = Names(schema: schema)
        return CallFeedbackRules(
            stateMachine: callStatusMachine(n),
            events: EventRules(
                events: n.callEvents, sessions: n.callSessions, sessionColumn: "call_session_id",
                typeColumn: "event_type", timestampColumn: "timestamp", statusColumn: "status",
                allowed: eventTypesByStatus),
            phone: PhoneProtection(
                table: n.callSessions, column: "customer_phone", hashColumn: "customer_phone_hash",
                keySetting: "app.phone_encryption_key", pgcryptoSchema: pgcryptoSchema,
                serviceRoles: [serviceRole], writerRoles: [serviceRole, tenantRole]),
            tenancy: TenantIsolation(
                schema: schema, column: "business_id", setting: "app.current_business_id",
                tenantRole: tenantRole, serviceRole: serviceRole,
                tables: [n.callSessions, n.questionConfigurations, n.callEvents, n.callResponses,
                         n.questionSelectionLogs, n.telephonyProviderLogs],
                forceRowSecurity: false),
            inheritedTenant: InheritedTenant(
                parent: n.callSessions, parentKey: "id", column: "business_id", foreignKey: "call_session_id",
                children: [n.callEvents, n.callResponses, n.telephonyProviderLogs]),
            updatedAt: UpdatedAtRule(schema: schema))
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
