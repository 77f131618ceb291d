// Rules are declared as data and expanded into catalog objects (functions,
// triggers, policies, grants), so Postgres enforces them for every client.
// Each expansion is pure: the same rule value always renders the same SQL.

/// The advisory-lock namespace (first key of `pg_advisory_xact_lock(int, int)`)
/// the generated triggers use to serialise work on one call session.
public let sessionLockNamespace: Int32 = 0x7067_6D31  // "pgm1"

/// A status column whose changes must follow listed transitions.
public struct StateMachine: Hashable, Sendable {
    public struct Transition: Hashable, Sendable {
        public var from: String
        public var to: String
        public var reason: String
        public init(_ from: String, _ to: String, _ reason: String) {
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    public var table: QualifiedName
    public var column: String
    public var states: [String]
    public var initial: String
    public var transitions: [Transition]

    public init(table: QualifiedName, column: String, states: [String], initial: String, transitions: [Transition]) {
        self.table = table
        self.column = column
        self.states = states
        self.initial = initial
        self.transitions = transitions
    }

    /// Whether an UPDATE may change the status from `from` to `to`
    /// (keeping the same status is always allowed).
    public func allows(_ from: String, _ to: String) -> Bool {
        from == to || transitions.contains { $0.from == from && $0.to == to }
    }

    public func targets(from state: String) -> [String] {
        transitions.filter { $0.from == state }.map(\.to)
    }

    /// States with no way out.
    public var terminalStates: [String] { states.filter { targets(from: $0).isEmpty } }

    /// The shortest way from the initial state to `state` through listed
    /// transitions: the states passed through after the initial one (empty
    /// for the initial state itself), `nil` when `state` cannot be reached.
    /// Ties go to the transition listed first.
    public func path(to state: String) -> [String]? {
        var paths: [String: [String]] = [initial: []]
        var queue = [initial]
        while !queue.isEmpty {
            let current = queue.removeFirst()
            guard let here = paths[current] else { continue }
            for next in targets(from: current) where paths[next] == nil {
                paths[next] = here + [next]
                queue.append(next)
            }
        }
        return paths[state]
    }

    public var constraintName: String { "\(table.name)_\(column)_transition" }
    public var functionName: QualifiedName { QualifiedName(table.schema, "\(table.name)_\(column)_transition") }

    /// A Mermaid state diagram of the machine (the README shows it).
    public var mermaid: String {
        var lines = ["stateDiagram-v2", "    [*] --> \(initial)"]
        for t in transitions { lines.append("    \(t.from) --> \(t.to): \(t.reason)") }
        for state in terminalStates { lines.append("    \(state) --> [*]") }
        return lines.joined(separator: "\n")
    }

    /// The trigger function: INSERT must use the initial state; UPDATE may
    /// keep the state or follow a listed transition; anything else raises
    /// 23514 naming both states. A change also takes the session's advisory
    /// lock, so it serialises with event inserts for the same session.
    public func function(lockKeyColumn: String?) -> Function {
        let col = quoteIdentifierIfNeeded(column)
        let where_ = "\(table.name).\(column)"
        var conditions: [String] = []
        for state in states {
            let targets = self.targets(from: state)
            guard !targets.isEmpty else { continue }
            conditions.append("(OLD.\(col) = \(quoteLiteral(state)) AND NEW.\(col) IN (\(targets.map(quoteLiteral).joined(separator: ", "))))")
        }
        let allowed = transitions.map { "\($0.from) -> \($0.to)" }.joined(separator: ", ")
        let errorFields = "ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = \(quoteLiteral(column)), CONSTRAINT = \(quoteLiteral(constraintName))"
        let lock = lockKeyColumn.map {
            "\n        PERFORM pg_catalog.pg_advisory_xact_lock(\(sessionLockNamespace), pg_catalog.hashtext(NEW.\(quoteIdentifierIfNeeded($0))::text));"
        } ?? ""
        let body = """
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    IF NEW.\(col) IS DISTINCT FROM \(quoteLiteral(initial)) THEN
                        RAISE EXCEPTION \(quoteLiteral("invalid \(raiseText(where_)) on insert: % (a new row starts as \(raiseText(initial)))")), NEW.\(col)
                            USING \(errorFields);
                    END IF;
                    RETURN NEW;
                END IF;
                IF NEW.\(col) IS NOT DISTINCT FROM OLD.\(col) THEN
                    RETURN NEW;
                END IF;
                IF \(conditions.joined(separator: "\n       OR ")) THEN\(lock)
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION \(quoteLiteral("invalid \(raiseText(where_)) transition: % -> %")), OLD.\(col), NEW.\(col)
                    USING \(errorFields),
                          HINT = \(quoteLiteral("allowed transitions: " + allowed));
            END
            """
        return Function(
            functionName, returns: "trigger", language: .plpgsql, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: [], comment: "Enforces the \(where_) state machine (generated from the model).",
            body: body)
    }

    public func trigger() -> Trigger {
        Trigger(
            "\(table.name)_\(column)_transition", .before, [.insert, .update(of: [column])],
            execute: functionName, comment: "Status changes must follow the state machine.")
    }
}

/// Which event types a session in each status accepts, and the ordering rule
/// for event timestamps.
public struct EventRules: Hashable, Sendable {
    public var events: QualifiedName
    public var sessions: QualifiedName
    public var sessionColumn: String
    public var typeColumn: String
    public var timestampColumn: String
    public var statusColumn: String
    /// The sessions' key column (the one `sessionColumn` references).
    public var sessionKey: String
    /// What a session is called in error messages ("call session").
    public var sessionNoun: String
    /// Per session status, the event types allowed; every status appears once.
    public var allowed: [(status: String, eventTypes: [String])] {
        get { allowedPairs.map { ($0.status, $0.eventTypes) } }
        set { allowedPairs = newValue.map { Allowed(status: $0.status, eventTypes: $0.eventTypes) } }
    }
    private var allowedPairs: [Allowed]

    private struct Allowed: Hashable, Sendable {
        var status: String
        var eventTypes: [String]
    }

    public init(
        events: QualifiedName, sessions: QualifiedName, sessionColumn: String, typeColumn: String,
        timestampColumn: String, statusColumn: String, sessionKey: String = "id", sessionNoun: String = "session",
        allowed: [(status: String, eventTypes: [String])]
    ) {
        self.events = events
        self.sessions = sessions
        self.sessionColumn = sessionColumn
        self.typeColumn = typeColumn
        self.timestampColumn = timestampColumn
        self.statusColumn = statusColumn
        self.sessionKey = sessionKey
        self.sessionNoun = sessionNoun
        self.allowedPairs = allowed.map { Allowed(status: $0.status, eventTypes: $0.eventTypes) }
    }

    public func allows(eventType: String, whenStatus status: String) -> Bool {
        allowedPairs.first { $0.status == status }?.eventTypes.contains(eventType) ?? false
    }

    public var typeConstraintName: String { "\(events.name)_\(typeColumn)_allowed" }
    public var orderConstraintName: String { "\(events.name)_\(timestampColumn)_chronological" }
    public var functionName: QualifiedName { QualifiedName(events.schema, "\(events.name)_rules") }

    /// The trigger function. It takes a transaction-scoped advisory lock per
    /// session (the same one status changes take), so two connections
    /// inserting events for one session run one after the other: the second
    /// sees the first's event before it compares timestamps.
    ///
    /// With `tenantColumn`, the same session lookup also fills the event's
    /// tenant column when the insert omits it (one trigger instead of two on
    /// the hottest table), and an unknown session raises 23503 naming the
    /// foreign key.
    ///
    /// The function is SECURITY DEFINER (owned by the migration role, with a
    /// pinned search_path): "the session's latest event" must mean all of its
    /// events, not the ones the caller's policies let it see, and the lookup
    /// then costs no policy evaluation. A caller whose tenant differs from the
    /// session's learns nothing: the row is passed on for row-level security
    /// to reject.
    ///
    /// With `shardLocal` (Citus: the tenant column is the distribution
    /// column), both lookups are also filtered by the row's tenant, so they
    /// are routed to the shards co-located with the row's.
    public func function(tenantColumn: String? = nil, currentTenant: QualifiedName? = nil, shardLocal: Bool = false) -> Function {
        let session = quoteIdentifierIfNeeded(sessionColumn)
        let type = quoteIdentifierIfNeeded(typeColumn)
        let ts = quoteIdentifierIfNeeded(timestampColumn)
        let status = quoteIdentifierIfNeeded(statusColumn)
        let key = quoteIdentifierIfNeeded(sessionKey)
        let conditions = allowedPairs.map {
            "(session_status = \(quoteLiteral($0.status)) AND NEW.\(type) IN (\($0.eventTypes.map(quoteLiteral).joined(separator: ", "))))"
        }
        // One lookup after the lock: the session's status (and tenant) and the
        // time of its latest event, in a single query. Only events later than
        // the new one can break the order, so only those are read: the same
        // answer (the latest, or NULL when none is later), and on a table
        // partitioned by time the bound skips every older partition.
        var latestEvent = "(SELECT max(e.\(ts)) FROM \(events.sql) e WHERE e.\(session) = s.\(key) AND e.\(ts) > NEW.\(ts))"
        let lookup: String
        if let tenantColumn, let currentTenant {
            let tenant = quoteIdentifierIfNeeded(tenantColumn)
            var sameShard = ""
            if shardLocal {
                latestEvent = "(SELECT max(e.\(ts)) FROM \(events.sql) e WHERE e.\(session) = s.\(key) AND e.\(tenant) = NEW.\(tenant) AND e.\(ts) > NEW.\(ts))"
                sameShard = " AND s.\(tenant) = NEW.\(tenant)"
            }
            lookup = """
                SELECT s.\(status)::text, s.\(tenant), \(latestEvent) INTO session_status, session_tenant, latest
            FROM \(sessions.sql) s WHERE s.\(key) = NEW.\(session)\(sameShard);
                IF NOT FOUND THEN
                    IF NEW.\(tenant) IS NULL AND NEW.\(session) IS NOT NULL THEN
                        \(missingParentError(foreignKey: sessionColumn, parent: sessions, indent: "            "))
                    END IF;
                    RETURN NEW; -- the foreign key (or row-level security) rejects the row
                END IF;
                IF NEW.\(tenant) IS NULL THEN
                    NEW.\(tenant) := session_tenant;
                END IF;
                IF session_tenant IS DISTINCT FROM COALESCE(\(currentTenant.sql)(), session_tenant) THEN
                    RETURN NEW; -- another tenant's session: row-level security rejects the row; nothing about the session is told
                END IF;
            """
        } else {
            lookup = """
                SELECT s.\(status)::text, \(latestEvent) INTO session_status, latest
            FROM \(sessions.sql) s WHERE s.\(key) = NEW.\(session);
                IF NOT FOUND THEN
                    RETURN NEW; -- the foreign key (or row-level security) rejects the row
                END IF;
            """
        }
        let body = """
            DECLARE
                session_status text;
                session_tenant uuid;
                latest timestamp with time zone;
            BEGIN
                -- The rules must see events and status changes committed while this
                -- insert waited for the lock; only READ COMMITTED takes a new snapshot
                -- per statement, so other isolation levels are refused.
                IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
                    RAISE EXCEPTION \(quoteLiteral("writes to \(raiseText(events.name)) need READ COMMITTED isolation; this transaction is %")), pg_catalog.current_setting('transaction_isolation')
                        USING ERRCODE = 'feature_not_supported',
                              HINT = 'the ordering and status rules compare against events committed by other sessions, which an older snapshot cannot see';
                END IF;
                PERFORM pg_catalog.pg_advisory_xact_lock(\(sessionLockNamespace), pg_catalog.hashtext(NEW.\(session)::text));
            \(lookup)
                IF NOT (\(conditions.joined(separator: "\n                     OR "))) THEN
                    RAISE EXCEPTION \(quoteLiteral("invalid \(raiseText(events.name)).\(raiseText(typeColumn)): % is not allowed while the \(raiseText(sessionNoun)) is %")), NEW.\(type), session_status
                        USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                              COLUMN = \(quoteLiteral(typeColumn)), CONSTRAINT = \(quoteLiteral(typeConstraintName));
                END IF;
                IF latest IS NOT NULL AND NEW.\(ts) < latest THEN
                    RAISE EXCEPTION \(quoteLiteral("invalid \(raiseText(events.name)).\(raiseText(timestampColumn)): % is earlier than the session's latest event (%)")), NEW.\(ts), latest
                        USING ERRCODE = 'check_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,
                              COLUMN = \(quoteLiteral(timestampColumn)), CONSTRAINT = \(quoteLiteral(orderConstraintName));
                END IF;
                RETURN NEW;
            END
            """
        return Function(
            functionName, returns: "trigger", language: .plpgsql, securityDefiner: true,
            searchPath: ["pg_catalog", "pg_temp"], executeGrantees: [],
            comment: "Event type must suit the session status; timestamps never go backwards within a session.",
            body: body)
    }

    public func trigger() -> Trigger {
        Trigger(
            "\(events.name)_rules", .before, [.insert, .update(of: [sessionColumn, typeColumn, timestampColumn])],
            execute: functionName, comment: "Event type and ordering rules (generated from the model).")
    }
}

/// A column encrypted at rest with pgcrypto, with a keyed hash beside it for
/// lookups without decryption (the call-feedback model uses it for customer
/// phone numbers). Every function name, and the words its errors use, are
/// parameters; `normalizer` validates and normalises a plain value before it
/// is encrypted and hashed.
public struct EncryptedHashedColumn: Hashable, Sendable {
    /// How the errors and comments name the protected values.
    public struct Wording: Hashable, Sendable {
        /// "customer phone numbers": what cannot be used without the key.
        public var storedValues: String
        /// "phone numbers": what a database's key encrypts.
        public var values: String
        /// "phone encryption key"
        public var key: String
        /// "number": one stored value.
        public var value: String
        /// "a phone number in any accepted format": what the lookup hash takes.
        public var lookupInput: String
        /// "the customer phone number": what the trigger encrypts.
        public var trigger: String

        public init(storedValues: String, values: String, key: String, value: String, lookupInput: String, trigger: String) {
            self.storedValues = storedValues
            self.values = values
            self.key = key
            self.value = value
            self.lookupInput = lookupInput
            self.trigger = trigger
        }
    }

    public var table: QualifiedName
    public var column: String
    public var hashColumn: String
    /// The setting holding the key: `SET app.secret_key = '…'`.
    public var keySetting: String
    /// The one-row table recording which key the values are stored with.
    public var keyCheckTable: QualifiedName
    /// The schema pgcrypto is installed in.
    public var pgcryptoSchema: String
    public var serviceRoles: [String]
    public var writerRoles: [String]
    /// Validates and normalises a plain value (one text argument, returns text).
    public var normalizer: Function
    /// Returns the key, refusing a missing or wrong one.
    public var keyFunction: QualifiedName
    /// Decrypts a stored value.
    public var decryptFunction: QualifiedName
    /// The keyed hash of a plain value.
    public var lookupHashFunction: QualifiedName
    /// The HMAC message whose keyed hash identifies the key in `keyCheckTable`.
    public var keyCheckMessage: String
    /// The lookup hash function's argument name.
    public var lookupArgument: String
    public var wording: Wording
    /// Key separation and online rotation (KeyRotation.swift); nil renders
    /// the single-key functions of the first release.
    public var rotation: Rotation?

    public init(
        table: QualifiedName, column: String, hashColumn: String, keySetting: String, keyCheckTable: QualifiedName,
        pgcryptoSchema: String, serviceRoles: [String], writerRoles: [String], normalizer: Function,
        keyFunction: QualifiedName, decryptFunction: QualifiedName, lookupHashFunction: QualifiedName,
        keyCheckMessage: String, lookupArgument: String, wording: Wording, rotation: Rotation? = nil
    ) {
        self.table = table
        self.column = column
        self.hashColumn = hashColumn
        self.keySetting = keySetting
        self.keyCheckTable = keyCheckTable
        self.pgcryptoSchema = pgcryptoSchema
        self.serviceRoles = serviceRoles
        self.writerRoles = writerRoles
        self.normalizer = normalizer
        self.keyFunction = keyFunction
        self.decryptFunction = decryptFunction
        self.lookupHashFunction = lookupHashFunction
        self.keyCheckMessage = keyCheckMessage
        self.lookupArgument = lookupArgument
        self.wording = wording
        self.rotation = rotation
    }

    public var normalizeFunction: QualifiedName { normalizer.name }
    public var triggerFunction: QualifiedName { QualifiedName(table.schema, "\(table.name)_\(column)_protect") }
    var crypto: String { quoteIdentifierIfNeeded(pgcryptoSchema) }

    public func functions() -> [Function] {
        if let rotation { return rotatingFunctions(rotation) }
        let col = quoteIdentifierIfNeeded(column)
        let hash = quoteIdentifierIfNeeded(hashColumn)
        let w = wording
        // SECURITY DEFINER to read (and, on first use, write) the check table,
        // which no role is granted; VOLATILE because of that first write.
        let key = Function(
            keyFunction, returns: "text", language: .plpgsql, volatility: .volatile, securityDefiner: true,
            searchPath: ["pg_catalog", "pg_temp"], executeGrantees: writerRoles,
            comment: "The key in \(keySetting): raises 55000 when it is not set and 22023 when it is not the key the stored \(w.value)s use (the first key used is recorded in \(keyCheckTable.name)).",
            body: """
                DECLARE
                    key text := pg_catalog.current_setting(\(quoteLiteral(keySetting)), true);
                    computed bytea;
                    recorded bytea;
                BEGIN
                    IF key IS NULL OR key = '' THEN
                        RAISE EXCEPTION \(quoteLiteral("\(raiseText(keySetting)) is not set: \(raiseText(w.storedValues)) cannot be encrypted, decrypted or looked up"))
                            USING ERRCODE = 'object_not_in_prerequisite_state',
                                  HINT = \(quoteLiteral("send \(keySetting) in the connection's startup options (libpq options='-c \(keySetting)=...'); never ALTER ROLE or ALTER DATABASE ... SET it (every role can read those) nor SET it in a statement (logged)"));
                    END IF;
                    computed := \(crypto).hmac(\(quoteLiteral(keyCheckMessage)), key, 'sha256');
                    SELECT c.check_value INTO recorded FROM \(keyCheckTable.sql) c;
                    IF recorded IS NULL THEN
                        -- Numbers already stored (before the record, or after the owner
                        -- removed it) must open with the key about to be recorded.
                        BEGIN
                            PERFORM \(crypto).pgp_sym_decrypt(pg_catalog.decode(t.\(col), 'base64'), key)
                            FROM \(table.sql) t WHERE t.\(col) IS NOT NULL LIMIT 1;
                        EXCEPTION WHEN external_routine_invocation_exception THEN
                            RAISE EXCEPTION \(quoteLiteral("\(raiseText(keySetting)) is not the key this database's \(raiseText(w.values)) are encrypted with (a stored \(raiseText(w.value)) does not decrypt: %)")), SQLERRM
                                USING ERRCODE = 'invalid_parameter_value',
                                      HINT = \(quoteLiteral("set the key the \(w.value)s were stored with"));
                        END;
                        -- The first key used becomes the database's key; a concurrent
                        -- first use with another key waits here and is then refused.
                        INSERT INTO \(keyCheckTable.sql) (check_value) VALUES (computed) ON CONFLICT DO NOTHING;
                        SELECT c.check_value INTO recorded FROM \(keyCheckTable.sql) c;
                    END IF;
                    IF recorded IS DISTINCT FROM computed THEN
                        RAISE EXCEPTION \(quoteLiteral("\(raiseText(keySetting)) is not the key this database's \(raiseText(w.values)) are encrypted with"))
                            USING ERRCODE = 'invalid_parameter_value',
                                  HINT = \(quoteLiteral("set the key the \(w.value)s were stored with; \(keyCheckTable.name) records it (as an HMAC) since the first \(w.value) was stored"));
                    END IF;
                    RETURN key;
                END
                """)
        let decrypt = Function(
            decryptFunction, arguments: [.init("ciphertext", .text)], returns: "text", language: .sql,
            volatility: .stable, strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: serviceRoles,
            comment: "Decrypts a stored \(table.name).\(column) with the key in \(keySetting).",
            body: "SELECT \(crypto).pgp_sym_decrypt(pg_catalog.decode(ciphertext, 'base64'), \(keyFunction.sql)())")
        let lookup = Function(
            lookupHashFunction, arguments: [.init(lookupArgument, .text)], returns: "bytea", language: .sql,
            volatility: .stable, strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: serviceRoles,
            comment: "The keyed hash stored in \(table.name).\(hashColumn) for \(w.lookupInput).",
            body: "SELECT \(crypto).hmac(\(normalizeFunction.sql)(\(quoteIdentifierIfNeeded(lookupArgument))), \(keyFunction.sql)(), 'sha256')")
        let protect = Function(
            triggerFunction, returns: "trigger", language: .plpgsql, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: [],
            comment: "Normalises, validates and encrypts \(table.name).\(column); keeps its keyed hash in \(hashColumn).",
            body: """
                DECLARE
                    normalized text;
                    key text;
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.\(col) IS NOT DISTINCT FROM OLD.\(col) THEN
                        NEW.\(hash) := OLD.\(hash); -- the hash only ever follows the number
                        RETURN NEW;
                    END IF;
                    IF NEW.\(col) IS NULL THEN
                        IF TG_OP = 'INSERT' THEN
                            RAISE EXCEPTION \(quoteLiteral("null value in column \"\(raiseText(column))\" of relation \"\(raiseText(table.name))\" violates not-null constraint"))
                                USING ERRCODE = 'not_null_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = \(quoteLiteral(column));
                        END IF;
                        NEW.\(hash) := NULL; -- erasure
                        RETURN NEW;
                    END IF;
                    normalized := \(normalizeFunction.sql)(NEW.\(col));
                    key := \(keyFunction.sql)();
                    NEW.\(col) := pg_catalog.translate(pg_catalog.encode(\(crypto).pgp_sym_encrypt(normalized, key, 'cipher-algo=aes256'), 'base64'), E'\\n', '');
                    NEW.\(hash) := \(crypto).hmac(normalized, key, 'sha256');
                    RETURN NEW;
                END
                """)
        return [normalizer, key, decrypt, lookup, protect]
    }

    public func trigger() -> Trigger {
        Trigger(
            "\(table.name)_\(column)_protect", .before, [.insert, .update(of: [column, hashColumn] + (rotation.map { [$0.generationColumn] } ?? []))],
            execute: triggerFunction, comment: "Encrypts \(wording.trigger) at rest.")
    }
}

/// The encrypted column kit under the name the call-feedback model first gave it.
public typealias PhoneProtection = EncryptedHashedColumn

/// Row-level security by tenant: a tenant role sees only rows whose
/// `column` equals the current tenant setting; a service role sees all.
/// The tenant function, the policy names and the roles are parameters.
public struct TenantIsolation: Hashable, Sendable {
    public var schema: String
    public var column: String
    public var setting: String
    public var tenantRole: String
    public var serviceRole: String
    public var tables: [QualifiedName]
    public var forceRowSecurity: Bool
    /// The function returning the session's tenant (from `setting`).
    public var currentTenantFunction: QualifiedName
    /// `<table>` + this names the tenant's policy (`_tenant_isolation`).
    public var tenantPolicySuffix: String
    /// `<table>` + this names the service role's policy (`_system_access`).
    public var servicePolicySuffix: String
    /// What a tenant is called in comments ("business").
    public var tenantNoun: String

    public init(
        schema: String, column: String, setting: String, tenantRole: String, serviceRole: String,
        tables: [QualifiedName], forceRowSecurity: Bool, currentTenantFunction: QualifiedName,
        tenantPolicySuffix: String = "_tenant_isolation", servicePolicySuffix: String = "_system_access",
        tenantNoun: String = "tenant"
    ) {
        self.schema = schema
        self.column = column
        self.setting = setting
        self.tenantRole = tenantRole
        self.serviceRole = serviceRole
        self.tables = tables
        self.forceRowSecurity = forceRowSecurity
        self.currentTenantFunction = currentTenantFunction
        self.tenantPolicySuffix = tenantPolicySuffix
        self.servicePolicySuffix = servicePolicySuffix
        self.tenantNoun = tenantNoun
    }

    public func roles() -> [Role] {
        [
            Role(serviceRole, comment: "The system service: all rows."),
            Role(tenantRole, comment: "A tenant: only rows of the \(tenantNoun) in \(setting)."),
        ]
    }

    public func function() -> Function {
        Function(
            currentTenantFunction, returns: "uuid", language: .sql, volatility: .stable,
            searchPath: nil, executeGrantees: [serviceRole, tenantRole],
            comment: "The tenant of this session: \(setting) as uuid, NULL when unset or empty. Every name in the body is schema-qualified (no SET search_path), so it is safe under any search_path and PostgreSQL inlines it into the policies.",
            body: """
                SELECT CASE WHEN pg_catalog.current_setting(\(quoteLiteral(setting)), true) OPERATOR(pg_catalog.=) ''
                            THEN NULL
                            ELSE pg_catalog.current_setting(\(quoteLiteral(setting)), true)::pg_catalog.uuid END
                """)
    }

    /// The tenant predicate, with the function call in a scalar subquery so
    /// the planner evaluates it once per statement (an InitPlan), not per row.
    public var predicate: SQLExpression {
        SQLExpression("\(quoteIdentifierIfNeeded(column)) = (SELECT \(currentTenantFunction.sql)())")
    }

    public func policies(for table: QualifiedName) -> [Policy] {
        [
            Policy(
                "\(table.name)\(tenantPolicySuffix)", to: [tenantRole], using: predicate, withCheck: predicate,
                comment: "A tenant reads and writes only rows of its own \(tenantNoun)."),
            Policy(
                "\(table.name)\(servicePolicySuffix)", to: [serviceRole], using: "true", withCheck: "true",
                comment: "The system service reads and writes all rows."),
        ]
    }

    public func grants() -> [TableGrant] {
        [TableGrant(serviceRole, [.select, .insert, .update, .delete]), TableGrant(tenantRole, [.select, .insert, .update, .delete])]
    }

    public var rowSecurity: RowSecurity { RowSecurity(enabled: true, forced: forceRowSecurity) }
}

/// Child rows carry their parent's tenant column, filled in by a trigger
/// when the insert omits it; a composite foreign key keeps it equal to the
/// parent's, so a policy on the child needs no join.
public struct InheritedTenant: Hashable, Sendable {
    public var parent: QualifiedName
    public var parentKey: String
    public var column: String
    /// The children's column referencing `parent.parentKey` (same name in all).
    public var foreignKey: String
    public var children: [QualifiedName]

    public init(parent: QualifiedName, parentKey: String, column: String, foreignKey: String, children: [QualifiedName]) {
        self.parent = parent
        self.parentKey = parentKey
        self.column = column
        self.foreignKey = foreignKey
        self.children = children
    }

    public var functionName: QualifiedName { QualifiedName(parent.schema, "set_\(column)_from_\(parent.name)") }

    public func function() -> Function {
        let col = quoteIdentifierIfNeeded(column)
        return Function(
            functionName, returns: "trigger", language: .plpgsql, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: [],
            comment: "Fills \(column) from the parent \(parent.name) row when the insert omits it.",
            body: """
                BEGIN
                    IF NEW.\(col) IS NULL THEN
                        SELECT p.\(col) INTO NEW.\(col) FROM \(parent.sql) p WHERE p.\(quoteIdentifierIfNeeded(parentKey)) = NEW.\(quoteIdentifierIfNeeded(foreignKey));
                        IF NOT FOUND AND NEW.\(quoteIdentifierIfNeeded(foreignKey)) IS NOT NULL THEN
                            \(missingParentError(foreignKey: foreignKey, parent: parent, indent: "            "))
                        END IF;
                    END IF;
                    RETURN NEW;
                END
                """)
    }

    public func trigger(for table: QualifiedName) -> Trigger {
        Trigger(
            "\(table.name)_\(column)_default", .before, [.insert], execute: functionName,
            when: SQLExpression("NEW.\(quoteIdentifierIfNeeded(column)) IS NULL"),
            comment: "Fills \(column) from the \(parent.name) row when the insert omits it.")
    }
}

/// `updated_at` kept current by a trigger.
public struct UpdatedAtRule: Hashable, Sendable {
    public var schema: String
    public var column: String
    public init(schema: String, column: String = "updated_at") {
        self.schema = schema
        self.column = column
    }
    public var functionName: QualifiedName { QualifiedName(schema, "set_\(column)") }

    public func function() -> Function {
        Function(
            functionName, returns: "trigger", language: .plpgsql, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: [], comment: "Sets \(column) to now() on every update.",
            body: """
                BEGIN
                    NEW.\(quoteIdentifierIfNeeded(column)) := pg_catalog.now();
                    RETURN NEW;
                END
                """)
    }

    public func trigger(for table: QualifiedName) -> Trigger {
        Trigger("\(table.name)_set_\(column)", .before, [.update], execute: functionName, comment: "Maintains \(column).")
    }
}

/// A name inside a RAISE format string: `%` doubled, so it prints as
/// itself instead of taking a parameter's place.
func raiseText(_ name: String) -> String { name.replacingAll("%", with: "%%") }

/// The RAISE a trigger uses when the parent row of a child's foreign key is
/// missing: the same SQLSTATE (23503), constraint name (`<table>_<column>_fkey`,
/// from the trigger's table, or from its partitioned parent when the trigger
/// fires on a partition, as PostgreSQL names a partition's foreign key after
/// the parent's) and detail as the foreign key itself would give. The
/// catalogue is read only on this error path.
func missingParentError(foreignKey: String, parent: QualifiedName, indent: String) -> String {
    let column = quoteIdentifierIfNeeded(foreignKey)
    let suffix = quoteLiteral("_\(foreignKey)_fkey")
    let constraint = "coalesce((SELECT p.relname::text FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = TG_RELID), TG_TABLE_NAME) || \(suffix)"
    return [
        "RAISE EXCEPTION 'insert or update on table \"%\" violates foreign key constraint \"%\"', TG_TABLE_NAME, \(constraint)",
        "    USING ERRCODE = 'foreign_key_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME,",
        "          CONSTRAINT = \(constraint),",
        "          DETAIL = \(quoteLiteral("Key (\(foreignKey))=(")) || NEW.\(column) || \(quoteLiteral(") is not present in table \"\(parent.name)\"."));",
    ].joined(separator: "\n" + indent)
}
