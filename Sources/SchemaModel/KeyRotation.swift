/// Key separation and online key rotation for an `EncryptedHashedColumn`
/// (design/phone-key-rotation/README.md). Every row records the generation
/// of the key its value and hash are under; the one-row key-check table
/// records the current key and, during a rotation, the retiring one.
/// Scheme 1 is the legacy one (the secret is the pgp password and the HMAC
/// key); scheme 2 derives an encryption key and a lookup key from the secret
/// with HMAC under two labels and encrypts with `s2k-mode=1`.
extension EncryptedHashedColumn {
    public struct Rotation: Hashable, Sendable {
        /// The setting holding the new key during a rotation.
        public var newKeySetting: String
        /// The per-row key generation column of `table`.
        public var generationColumn: String
        /// The HMAC labels deriving the encryption and the lookup key.
        public var encryptionLabel: String
        public var lookupLabel: String
        public var deriveFunction: QualifiedName
        public var sessionKeysFunction: QualifiedName
        public var lookupHashesFunction: QualifiedName
        public var beginFunction: QualifiedName
        public var batchFunction: QualifiedName
        public var finishFunction: QualifiedName

        public init(
            newKeySetting: String, generationColumn: String, encryptionLabel: String, lookupLabel: String,
            deriveFunction: QualifiedName, sessionKeysFunction: QualifiedName, lookupHashesFunction: QualifiedName,
            beginFunction: QualifiedName, batchFunction: QualifiedName, finishFunction: QualifiedName
        ) {
            self.newKeySetting = newKeySetting
            self.generationColumn = generationColumn
            self.encryptionLabel = encryptionLabel
            self.lookupLabel = lookupLabel
            self.deriveFunction = deriveFunction
            self.sessionKeysFunction = sessionKeysFunction
            self.lookupHashesFunction = lookupHashesFunction
            self.beginFunction = beginFunction
            self.batchFunction = batchFunction
            self.finishFunction = finishFunction
        }
    }

    /// The columns the key-check table gains for rotation.
    public static func keyCheckRotationColumns() -> [Column] {
        [
            Column("generation", .integer, default: "1", comment: "Generation of the current key: rows record it in their key generation column."),
            Column("scheme", .smallint, default: "1", comment: "1: the secret is the pgp password and HMAC key (iterated S2K); 2: keys derived with HMAC under two labels, s2k-mode=1."),
            Column("retiring_check_value", .bytea, nullable: true, comment: "During a rotation: the HMAC identifying the old key; NULL otherwise."),
            Column("retiring_generation", .integer, nullable: true, comment: "During a rotation: the old key's generation."),
            Column("retiring_scheme", .smallint, nullable: true, comment: "During a rotation: the old key's scheme."),
        ]
    }

    func rotatingFunctions(_ r: Rotation) -> [Function] {
        let col = quoteIdentifierIfNeeded(column)
        let hash = quoteIdentifierIfNeeded(hashColumn)
        let gen = quoteIdentifierIfNeeded(r.generationColumn)
        let check = keyCheckTable.sql
        let w = wording
        let keys = r.sessionKeysFunction.sql
        let derive = r.deriveFunction.sql
        let notSet = quoteLiteral("\(raiseText(keySetting)) is not set: \(raiseText(w.storedValues)) cannot be encrypted, decrypted or looked up")
        let hint = quoteLiteral("send \(keySetting) in the connection's startup options (libpq options='-c \(keySetting)=...'); never ALTER ROLE or ALTER DATABASE ... SET it (every role can read those) nor SET it in a statement (logged)")
        let derived = Function(
            r.deriveFunction, arguments: [.init("secret", .text), .init("scheme", .smallint), .init("label", .text)], returns: "text",
            language: .sql, volatility: .immutable, strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: writerRoles,
            comment: "The key a scheme uses for one purpose: the secret itself under scheme 1, hex(HMAC-SHA256(secret, label)) under scheme 2.",
            body: "SELECT CASE WHEN scheme = 1 THEN secret ELSE pg_catalog.encode(\(crypto).hmac(label, secret, 'sha256'), 'hex') END")
        let sessionKeys = Function(
            r.sessionKeysFunction, arguments: [.init("for_write", .boolean, default: "false")],
            returns: "TABLE(generation integer, scheme smallint, secret text, is_current boolean)",
            language: .plpgsql, volatility: .volatile, securityDefiner: true, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: writerRoles,
            comment: "The keys in \(keySetting) and \(r.newKeySetting), each with the generation and scheme it opens: 55000 when neither is set, 22023 for a key that is neither the current nor the retiring one. A write holds the key record FOR KEY SHARE until it commits.",
            body: """
                DECLARE
                    k text;
                    keys text[] := ARRAY[]::text[];
                    computed bytea;
                    r \(check);
                    first_scheme smallint := 2;
                    first_generation integer;
                    probe text;
                BEGIN
                    FOREACH k IN ARRAY ARRAY[pg_catalog.current_setting(\(quoteLiteral(keySetting)), true),
                                             pg_catalog.current_setting(\(quoteLiteral(r.newKeySetting)), true)] LOOP
                        IF k IS NOT NULL AND k <> '' AND NOT k = ANY (keys) THEN keys := keys || k; END IF;
                    END LOOP;
                    IF pg_catalog.cardinality(keys) = 0 THEN
                        RAISE EXCEPTION \(notSet)
                            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = \(hint);
                    END IF;
                    -- A write holds the record until it commits (as a foreign-key check
                    -- holds its parent row), so a rotation's begin and finish, which
                    -- lock it FOR UPDATE, wait for every write that chose its key
                    -- before them. Reads take no lock.
                    IF for_write THEN
                        SELECT * INTO r FROM \(check) FOR KEY SHARE;
                    ELSE
                        SELECT * INTO r FROM \(check);
                    END IF;
                    IF NOT FOUND THEN
                        -- First use, or the owner removed the record. Values already
                        -- stored must open with this key: the scheme and generation
                        -- recorded are those of a stored value (derived keys tried
                        -- first); an empty table starts on scheme 2.
                        SELECT t.\(col), t.\(gen) INTO probe, first_generation FROM \(table.sql) t WHERE t.\(col) IS NOT NULL LIMIT 1;
                        IF FOUND THEN
                            BEGIN
                                PERFORM \(crypto).pgp_sym_decrypt(pg_catalog.decode(probe, 'base64'), \(derive)(keys[1], 2::smallint, \(quoteLiteral(r.encryptionLabel))));
                            EXCEPTION WHEN external_routine_invocation_exception THEN
                                BEGIN
                                    PERFORM \(crypto).pgp_sym_decrypt(pg_catalog.decode(probe, 'base64'), keys[1]);
                                    first_scheme := 1;
                                EXCEPTION WHEN external_routine_invocation_exception THEN
                                    RAISE EXCEPTION \(quoteLiteral("\(raiseText(keySetting)) is not the key this database's \(raiseText(w.values)) are encrypted with (a stored \(raiseText(w.value)) does not decrypt: %)")), SQLERRM
                                        USING ERRCODE = 'invalid_parameter_value';
                                END;
                            END;
                        END IF;
                        INSERT INTO \(check) (check_value, generation, scheme)
                        VALUES (\(crypto).hmac(\(quoteLiteral(keyCheckMessage)), keys[1], 'sha256'), coalesce(first_generation, 1), first_scheme)
                        ON CONFLICT DO NOTHING;
                        SELECT * INTO r FROM \(check) FOR KEY SHARE;
                    END IF;
                    FOREACH k IN ARRAY keys LOOP
                        computed := \(crypto).hmac(\(quoteLiteral(keyCheckMessage)), k, 'sha256');
                        IF computed = r.check_value THEN
                            generation := r.generation; scheme := r.scheme; secret := k; is_current := true; RETURN NEXT;
                        END IF;
                        IF computed = r.retiring_check_value THEN
                            generation := r.retiring_generation; scheme := r.retiring_scheme; secret := k; is_current := false; RETURN NEXT;
                        END IF;
                        IF computed IS DISTINCT FROM r.check_value AND computed IS DISTINCT FROM r.retiring_check_value THEN
                            RAISE EXCEPTION \(quoteLiteral("a \(raiseText(w.key)) of this session is not the key this database's \(raiseText(w.values)) are encrypted with"))
                                USING ERRCODE = 'invalid_parameter_value',
                                      HINT = \(quoteLiteral("\(keyCheckTable.name) records the current key (and, during a rotation, the retiring one) as HMACs"));
                        END IF;
                    END LOOP;
                END
                """)
        let key = Function(
            keyFunction, returns: "text", language: .plpgsql, volatility: .volatile, securityDefiner: true,
            searchPath: ["pg_catalog", "pg_temp"], executeGrantees: writerRoles,
            comment: "The session's key for writing (the current one when it holds it); raises like \(r.sessionKeysFunction.name)().",
            body: "BEGIN\n    RETURN (SELECT k.secret FROM \(keys)() k ORDER BY k.is_current DESC LIMIT 1);\nEND")
        let decryptGeneration = Function(
            decryptFunction, arguments: [.init("ciphertext", .text), .init("generation", .integer)], returns: "text",
            language: .plpgsql, volatility: .stable, strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: serviceRoles,
            comment: "Decrypts a stored \(table.name).\(column) of the given key generation with the session's key for it.",
            body: """
                DECLARE
                    k record;
                BEGIN
                    FOR k IN SELECT * FROM \(keys)() s WHERE s.generation = \(decryptFunction.name).generation LOOP
                        RETURN \(crypto).pgp_sym_decrypt(pg_catalog.decode(ciphertext, 'base64'), \(derive)(k.secret, k.scheme, \(quoteLiteral(r.encryptionLabel))));
                    END LOOP;
                    RAISE EXCEPTION 'this session holds no key of generation %', generation
                        USING ERRCODE = 'invalid_parameter_value', HINT = \(quoteLiteral("during a rotation, send both \(keySetting) and \(r.newKeySetting)"));
                END
                """)
        let decrypt = Function(
            decryptFunction, arguments: [.init("ciphertext", .text)], returns: "text",
            language: .plpgsql, volatility: .stable, strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: serviceRoles,
            comment: "Decrypts a stored \(table.name).\(column) with whichever of the session's keys opens it (the current one first).",
            body: """
                DECLARE
                    k record;
                BEGIN
                    FOR k IN SELECT * FROM \(keys)() s ORDER BY s.is_current DESC LOOP
                        BEGIN
                            RETURN \(crypto).pgp_sym_decrypt(pg_catalog.decode(ciphertext, 'base64'), \(derive)(k.secret, k.scheme, \(quoteLiteral(r.encryptionLabel))));
                        EXCEPTION WHEN external_routine_invocation_exception THEN
                            NULL;
                        END;
                    END LOOP;
                    RAISE EXCEPTION \(quoteLiteral("no key of this session decrypts this \(raiseText(w.value))"))
                        USING ERRCODE = 'invalid_parameter_value', HINT = \(quoteLiteral("during a rotation, send both \(keySetting) and \(r.newKeySetting)"));
                END
                """)
        let arg = quoteIdentifierIfNeeded(lookupArgument)
        let lookups = Function(
            r.lookupHashesFunction, arguments: [.init(lookupArgument, .text)], returns: "bytea[]", language: .plpgsql,
            volatility: .stable, strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: serviceRoles,
            comment: "Every keyed hash \(table.name).\(hashColumn) may hold for \(w.lookupInput) under the session's keys (two during a rotation).",
            body: "BEGIN\n    RETURN (SELECT pg_catalog.array_agg(\(crypto).hmac(\(normalizeFunction.sql)(\(arg)), \(derive)(k.secret, k.scheme, \(quoteLiteral(r.lookupLabel))), 'sha256')) FROM \(keys)() k);\nEND")
        let lookup = Function(
            lookupHashFunction, arguments: [.init(lookupArgument, .text)], returns: "bytea", language: .plpgsql,
            volatility: .stable, strict: true, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: serviceRoles,
            comment: "The keyed hash stored in \(table.name).\(hashColumn) for \(w.lookupInput) under the session's current key (see \(r.lookupHashesFunction.name) during a rotation).",
            body: "BEGIN\n    RETURN (SELECT \(crypto).hmac(\(normalizeFunction.sql)(\(arg)), \(derive)(k.secret, k.scheme, \(quoteLiteral(r.lookupLabel))), 'sha256') FROM \(keys)() k ORDER BY k.is_current DESC LIMIT 1);\nEND")
        let protect = Function(
            triggerFunction, returns: "trigger", language: .plpgsql, searchPath: ["pg_catalog", "pg_temp"],
            executeGrantees: [],
            comment: "Normalises, validates and encrypts \(table.name).\(column) under the session's current key (else the retiring one); keeps its keyed hash in \(hashColumn) and the key generation in \(r.generationColumn).",
            body: """
                DECLARE
                    normalized text;
                    k record;
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.\(col) IS NOT DISTINCT FROM OLD.\(col) THEN
                        NEW.\(hash) := OLD.\(hash); -- the hash and the generation only ever follow the value
                        NEW.\(gen) := OLD.\(gen);
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
                    SELECT * INTO k FROM \(keys)(true) s ORDER BY s.is_current DESC LIMIT 1;
                    NEW.\(col) := pg_catalog.translate(pg_catalog.encode(
                        CASE WHEN k.scheme = 1 THEN \(crypto).pgp_sym_encrypt(normalized, k.secret, 'cipher-algo=aes256')
                             ELSE \(crypto).pgp_sym_encrypt(normalized, \(derive)(k.secret, k.scheme, \(quoteLiteral(r.encryptionLabel))), 'cipher-algo=aes256, s2k-mode=1') END,
                        'base64'), E'\\n', '');
                    NEW.\(hash) := \(crypto).hmac(normalized, \(derive)(k.secret, k.scheme, \(quoteLiteral(r.lookupLabel))), 'sha256');
                    NEW.\(gen) := k.generation;
                    RETURN NEW;
                END
                """)
        let begin = Function(
            r.beginFunction, returns: "TABLE(retiring_generation integer, current_generation integer, resumed boolean)",
            language: .plpgsql, volatility: .volatile, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: [],
            comment: "Starts (or resumes) a rotation from the key in \(keySetting) to the one in \(r.newKeySetting): 22023 and no change unless the old key is the current one (or, resuming, the retiring one and the new key the current one).",
            body: """
                DECLARE
                    old_key text := pg_catalog.current_setting(\(quoteLiteral(keySetting)), true);
                    new_key text := pg_catalog.current_setting(\(quoteLiteral(r.newKeySetting)), true);
                    old_check bytea;
                    new_check bytea;
                    r \(check);
                BEGIN
                    IF coalesce(old_key, '') = '' OR coalesce(new_key, '') = '' THEN
                        RAISE EXCEPTION \(quoteLiteral("a rotation needs \(raiseText(keySetting)) (the old key) and \(raiseText(r.newKeySetting)) (the new one)"))
                            USING ERRCODE = 'object_not_in_prerequisite_state';
                    END IF;
                    old_check := \(crypto).hmac(\(quoteLiteral(keyCheckMessage)), old_key, 'sha256');
                    new_check := \(crypto).hmac(\(quoteLiteral(keyCheckMessage)), new_key, 'sha256');
                    SELECT * INTO r FROM \(check) FOR UPDATE;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION \(quoteLiteral("no \(raiseText(w.key)) is recorded yet: nothing to rotate"))
                            USING ERRCODE = 'object_not_in_prerequisite_state';
                    END IF;
                    IF r.retiring_generation IS NOT NULL THEN
                        IF r.retiring_check_value = old_check AND r.check_value = new_check THEN
                            retiring_generation := r.retiring_generation; current_generation := r.generation; resumed := true;
                            RETURN NEXT;
                            RETURN;
                        END IF;
                        RAISE EXCEPTION 'another key rotation is in progress (its old and new keys are not these)'
                            USING ERRCODE = 'invalid_parameter_value', HINT = 'finish it with the same two keys';
                    END IF;
                    IF r.check_value IS DISTINCT FROM old_check THEN
                        RAISE EXCEPTION \(quoteLiteral("the old \(raiseText(w.key)) is not the key this database's \(raiseText(w.values)) are encrypted with"))
                            USING ERRCODE = 'invalid_parameter_value';
                    END IF;
                    UPDATE \(check)
                    SET retiring_check_value = check_value, retiring_generation = r.generation, retiring_scheme = r.scheme,
                        check_value = new_check, generation = r.generation + 1, scheme = 2,
                        registered_at = pg_catalog.now(), registered_by = CURRENT_USER;
                    retiring_generation := r.generation; current_generation := r.generation + 1; resumed := false;
                    RETURN NEXT;
                END
                """)
        let batch = Function(
            r.batchFunction, arguments: [.init("batch_size", .integer)], returns: "integer",
            language: .plpgsql, volatility: .volatile, searchPath: ["pg_catalog", "pg_temp"], executeGrantees: [],
            comment: "Re-encrypts up to batch_size values still under the retiring key (rows other transactions hold are skipped for a later batch); returns how many.",
            body: """
                DECLARE
                    done integer;
                    g integer;
                BEGIN
                    SELECT c.retiring_generation INTO g FROM \(check) c;
                    IF g IS NULL THEN
                        RETURN 0;
                    END IF;
                    -- Writing the plain value back lets the trigger encrypt and hash it
                    -- under the current key and record its generation in the same row
                    -- version: a row is never under two keys, so nothing is encrypted twice.
                    WITH batch AS (
                        SELECT t.ctid AS row_id FROM \(table.sql) t
                        WHERE t.\(col) IS NOT NULL AND t.\(gen) = g
                        LIMIT batch_size FOR UPDATE SKIP LOCKED)
                    UPDATE \(table.sql) t SET \(col) = \(decryptFunction.sql)(t.\(col), g)
                    FROM batch WHERE t.ctid = batch.row_id;
                    GET DIAGNOSTICS done = ROW_COUNT;
                    RETURN done;
                END
                """)
        let finish = Function(
            r.finishFunction, returns: "boolean", language: .plpgsql, volatility: .volatile,
            searchPath: ["pg_catalog", "pg_temp"], executeGrantees: [],
            comment: "Ends a rotation when no value is left under the retiring key (the retiring key is refused from then on); false while some are.",
            body: """
                DECLARE
                    r \(check);
                BEGIN
                    SELECT * INTO r FROM \(check) FOR UPDATE;
                    IF r.retiring_generation IS NULL THEN
                        RETURN true;
                    END IF;
                    IF EXISTS (SELECT 1 FROM \(table.sql) t WHERE t.\(col) IS NOT NULL AND t.\(gen) = r.retiring_generation) THEN
                        RETURN false;
                    END IF;
                    UPDATE \(check) SET retiring_check_value = NULL, retiring_generation = NULL, retiring_scheme = NULL;
                    RETURN true;
                END
                """)
        return [normalizer, derived, sessionKeys, key, decryptGeneration, decrypt, lookups, lookup, protect, begin, batch, finish]
    }
}
