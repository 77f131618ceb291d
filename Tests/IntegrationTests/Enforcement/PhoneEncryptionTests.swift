import Foundation
import PQClient
import SchemaModel
import XCTest

/// `call_sessions.customer_phone`: validated as Swedish, normalised to +46,
/// stored encrypted with a keyed lookup hash beside it.
final class PhoneEncryptionTests: XCTestCase {
    private typealias F = EnforcementFixtures

    /// (as written, normalised, another way of writing the same number)
    private static let validNumbers: [(written: String, normalized: String, alternative: String)] = [
        ("+46701234567", "+46701234567", "070-123 45 67"),
        ("0046 70 123 45 67", "+46701234567", "+46701234567"),
        ("070-123 45 67", "+46701234567", "0046701234567"),
        ("0701234567", "+46701234567", "+46 70 123 45 67"),
        ("+46 8 123 456 78", "+46812345678", "08-123 456 78"),  // Stockholm landline, 9-digit NSN
        ("0812345 67", "+4681234567", "+46 8 12 34 56 7"),  // 8-digit NSN
        ("08-123 456", "+468123456", "+468123456"),  // 7-digit NSN
        ("031-711 22 33", "+46317112233", "0046317112233"),  // Gothenburg
        ("0920-123 45", "+4692012345", "+46 920 12 345"),  // Luleå, 8-digit NSN
    ]

    private static let invalidNumbers = [
        "12345", "+4670123", "+47701234567", "0046 0701234567", "070-ABC", "+46 70 123 45 67 89 0", "",
        "070123456789", "+46 0701234567", "0",
    ]

    func testValidSwedishNumbersAreStoredEncryptedWithALookupHash() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        for number in Self.validNumbers {
            let session = try F.session(conn, business: business, phone: number.written)
            let row = try XCTUnwrap(conn.execute(
                """
                SELECT customer_phone,
                       decrypt_customer_phone(customer_phone) AS plain,
                       customer_phone_hash = customer_phone_lookup_hash($2) AS same_hash_as_written,
                       customer_phone_hash = customer_phone_lookup_hash($3) AS same_hash_as_alternative,
                       customer_phone_hash = customer_phone_lookup_hash($4) AS same_hash_as_normalized
                FROM call_sessions WHERE id = $1
                """, [session, number.written, number.alternative, number.normalized]).first)
            let stored = try row.decode("customer_phone", as: String.self)
            let nationalDigits = String(number.normalized.dropFirst(3))
            XCTAssertFalse(stored.contains(nationalDigits), "\(number.written) stored in clear: \(stored)")
            XCTAssertFalse(stored.contains(number.written), number.written)
            XCTAssertEqual(try row.decode("plain", as: String.self), number.normalized, number.written)
            XCTAssertEqual(try row.decode("same_hash_as_written", as: Bool.self), true, number.written)
            XCTAssertEqual(try row.decode("same_hash_as_alternative", as: Bool.self), true, number.alternative)
            XCTAssertEqual(try row.decode("same_hash_as_normalized", as: Bool.self), true, number.normalized)
        }
        // The hash finds a customer's sessions without decrypting.
        XCTAssertEqual(try conn.execute(
            "SELECT count(*) FROM call_sessions WHERE customer_phone_hash = customer_phone_lookup_hash('0701234567')").scalar(Int.self), 4)
        // Encrypting the same number twice gives different ciphertexts (salted), one hash.
        XCTAssertEqual(try conn.execute(
            "SELECT count(DISTINCT customer_phone) FROM call_sessions WHERE customer_phone_hash = customer_phone_lookup_hash('0701234567')").scalar(Int.self), 4)
    }

    func testInvalidNumbersAreRejectedWithoutEchoingTheNumber() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        for number in Self.invalidNumbers {
            let error = assertSQLState(.checkViolation, constraint: "call_sessions_customer_phone_swedish", "'\(number)'") {
                _ = try F.session(conn, business: business, phone: number)
            }
            let digits = number.filter(\.isNumber)
            if let error, digits.count >= 4 {
                for text in [error.message, error.detail ?? "", error.context ?? "", error.hint ?? ""] {
                    XCTAssertFalse(text.contains(number), "'\(number)' echoed: \(text)")
                    XCTAssertFalse(text.contains(digits), "'\(number)' digits echoed: \(text)")
                }
            }
        }
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_sessions").scalar(Int.self), 0)
    }

    func testNormalizationFunctionRejectsTheSameInvalidNumbers() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        for number in Self.invalidNumbers {
            assertSQLState(.checkViolation, constraint: "call_sessions_customer_phone_swedish", "'\(number)'") {
                try conn.execute("SELECT normalize_swedish_phone($1)", [number])
            }
        }
        for number in Self.validNumbers {
            XCTAssertEqual(try conn.execute("SELECT normalize_swedish_phone($1)", [number.written]).scalar(String.self), number.normalized)
        }
    }

    func testInsertWithoutTheEncryptionKeyFailsAndStoresNothing() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        try conn.execute("RESET app.phone_encryption_key")
        let error = assertSQLState(SQLState("55000")) {
            _ = try F.session(conn, business: business, phone: "0701234567")
        }
        XCTAssertEqual(error?.message.contains("app.phone_encryption_key is not set"), true, error?.message ?? "")
        try conn.execute("SET app.phone_encryption_key = ''")
        assertSQLState(SQLState("55000")) {
            _ = try F.session(conn, business: business, phone: "0701234567")
        }
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_sessions").scalar(Int.self), 0)
        // Lookups and decryption need the key too.
        assertSQLState(SQLState("55000")) { try conn.execute("SELECT customer_phone_lookup_hash('0701234567')") }
    }

    func testUpdatingAnotherColumnKeepsTheCipherAndHash() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn), phone: "0701234567")
        let before = try XCTUnwrap(conn.execute("SELECT customer_phone, encode(customer_phone_hash, 'hex') AS hash FROM call_sessions WHERE id = $1", [session]).first)
        try conn.execute("UPDATE call_sessions SET status = 'connecting', transcript = 'hej' WHERE id = $1", [session])
        // Writing the hash directly is ignored: it only ever follows the number.
        try conn.execute("UPDATE call_sessions SET customer_phone_hash = '\\x00' WHERE id = $1", [session])
        // Without the key, unrelated updates still work.
        try conn.execute("RESET app.phone_encryption_key")
        try conn.execute("UPDATE call_sessions SET transcript = 'hej då' WHERE id = $1", [session])
        try TestModel.useKey(conn)
        let after = try XCTUnwrap(conn.execute("SELECT customer_phone, encode(customer_phone_hash, 'hex') AS hash FROM call_sessions WHERE id = $1", [session]).first)
        XCTAssertEqual(after["customer_phone"], before["customer_phone"])
        XCTAssertEqual(after["hash"], before["hash"])
        XCTAssertEqual(try conn.execute("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions WHERE id = $1", [session]).scalar(String.self), "+46701234567")
    }

    func testUpdatingThePhoneReEncryptsIt() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn), phone: "0701234567")
        let before = try XCTUnwrap(conn.execute("SELECT customer_phone, encode(customer_phone_hash, 'hex') AS hash FROM call_sessions WHERE id = $1", [session]).first)
        try conn.execute("UPDATE call_sessions SET customer_phone = '+46 73 987 65 43' WHERE id = $1", [session])
        let row = try XCTUnwrap(conn.execute(
            """
            SELECT customer_phone, encode(customer_phone_hash, 'hex') AS hash, decrypt_customer_phone(customer_phone) AS plain,
                   customer_phone_hash = customer_phone_lookup_hash('073-987 65 43') AS matches
            FROM call_sessions WHERE id = $1
            """, [session]).first)
        XCTAssertNotEqual(row["customer_phone"], before["customer_phone"])
        XCTAssertNotEqual(row["hash"], before["hash"])
        XCTAssertFalse(row["customer_phone"]?.contains("739876543") ?? true)
        XCTAssertEqual(row["plain"], "+46739876543")
        XCTAssertEqual(try row.decode("matches", as: Bool.self), true)
        // An invalid new number is rejected and the old one kept.
        assertSQLState(.checkViolation, constraint: "call_sessions_customer_phone_swedish") {
            try conn.execute("UPDATE call_sessions SET customer_phone = '12345' WHERE id = $1", [session])
        }
        XCTAssertEqual(try conn.execute("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions WHERE id = $1", [session]).scalar(String.self), "+46739876543")
    }

    func testSettingThePhoneToNullErasesItAndItsHash() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let session = try F.session(conn, business: try F.business(conn), phone: "0701234567")
        try conn.execute("UPDATE call_sessions SET customer_phone = NULL WHERE id = $1", [session])
        let row = try XCTUnwrap(conn.execute("SELECT customer_phone, customer_phone_hash FROM call_sessions WHERE id = $1", [session]).first)
        XCTAssertNil(row["customer_phone"])
        XCTAssertNil(row["customer_phone_hash"])
        XCTAssertEqual(try conn.execute(
            "SELECT count(*) FROM call_sessions WHERE customer_phone_hash = customer_phone_lookup_hash('0701234567')").scalar(Int.self), 0)
        // Restoring the hash without the number is not possible either.
        try conn.execute("UPDATE call_sessions SET customer_phone_hash = customer_phone_lookup_hash('0701234567') WHERE id = $1", [session])
        XCTAssertNil(try XCTUnwrap(conn.execute("SELECT customer_phone_hash FROM call_sessions WHERE id = $1", [session]).first)["customer_phone_hash"])
    }

    func testInsertingANullPhoneIsRejected() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let verification = try F.verification(conn)
        let error = assertSQLState(.notNullViolation) {
            try conn.execute("INSERT INTO call_sessions (business_id, customer_phone, verification_id) VALUES ($1, NULL, $2)", [business, verification])
        }
        XCTAssertEqual(error?.column, "customer_phone")
        assertSQLState(.notNullViolation) {
            try conn.execute("INSERT INTO call_sessions (business_id, verification_id) VALUES ($1, $2)", [business, verification])
        }
    }

    /// The first key a database stores a number with is recorded (as an
    /// HMAC); any other key is refused for writes, decryption and lookups,
    /// instead of storing numbers nobody can find again.
    func testAnotherKeyIsRefusedForWritesDecryptionAndLookups() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let session = try F.session(conn, business: business, phone: "0701234567")
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM phone_encryption_key_check").scalar(Int.self), 1)
        try conn.execute("SET app.phone_encryption_key = 'another-key'")
        let attempts: [(String, [any PQParameter])] = [
            ("INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES ($1, $2, '0707654321')",
             [business, try F.verification(conn)]),
            ("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions WHERE id = $1", [session]),
            ("SELECT customer_phone_lookup_hash('0701234567')", []),
        ]
        for (sql, parameters) in attempts {
            let error = assertSQLState(.invalidParameterValue, sql) { try conn.execute(sql, parameters) }
            XCTAssertTrue(error?.message.contains("is not the key") ?? false, "\(String(describing: error))")
        }
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_sessions").scalar(Int.self), 1)
        // Without the record (the owner deleted it), the cipher itself still refuses another key.
        try conn.execute("DELETE FROM phone_encryption_key_check")
        XCTAssertThrowsError(try conn.execute("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions WHERE id = $1", [session])) { error in
            XCTAssertTrue((error as? PQError)?.message.contains("Wrong key") ?? false, "\(error)")
        }
        // The right key still works, and records itself again.
        try TestModel.useKey(conn)
        XCTAssertEqual(try conn.execute("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions WHERE id = $1", [session])
            .scalar(String.self), "+46701234567")
        XCTAssertEqual(try conn.execute("SELECT count(*) FROM phone_encryption_key_check").scalar(Int.self), 1)
    }

    /// Two first writers with different keys: the second waits for the
    /// first's record, then is refused if the first commits, or records its
    /// own key if the first rolls back. Either way one key, and no number
    /// stored under the other.
    func testConcurrentFirstWritersWithDifferentKeysEndWithOneKey() throws {
        for end in ["COMMIT", "ROLLBACK"] {
            let database = try makeDatabase()
            let conn = try F.schemaConnection(database)
            let business = try F.business(conn)
            let verification = try F.verification(conn)
            let insert = "INSERT INTO call_sessions (business_id, verification_id, customer_phone) VALUES ($1, $2, '0701234567')"

            let connA = try database.connect()
            try connA.execute("SET app.phone_encryption_key = 'key-a'")
            try connA.execute("BEGIN")
            try connA.execute(insert, [business, verification])

            let writerB = BlockedWriter(database.settings) { connB in
                try connB.execute("SET app.phone_encryption_key = 'key-b'")
                try connB.execute(insert, [business, verification])
            }
            XCTAssertTrue(try writerB.waitsOnALock(observer: conn), "\(end): the second writer should wait for the first's key record")
            try connA.execute(end)
            let outcome = try XCTUnwrap(writerB.outcome(), "\(end): the second writer did not finish")
            XCTAssertEqual(outcome.sqlState, end == "COMMIT" ? "22023" : nil, "\(end): \(outcome)")

            let winner = end == "COMMIT" ? "key-a" : "key-b"
            XCTAssertEqual(try conn.execute("SELECT count(*) FROM call_sessions").scalar(Int.self), 1, end)
            XCTAssertEqual(try conn.execute(
                "SELECT check_value = hmac('pgmigrate phone encryption key check', $1::text, 'sha256') FROM phone_encryption_key_check",
                [winner]).scalar(Bool.self), true, end)
            try conn.execute("SET app.phone_encryption_key = '\(winner)'")
            XCTAssertEqual(try conn.execute("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions").scalar(String.self),
                           "+46701234567", end)
        }
    }

    func testTenantRoleWritesEncryptedPhonesButCannotDecryptOrLookUp() throws {
        let conn = try F.schemaConnection(try makeDatabase())
        let business = try F.business(conn)
        let verification = try F.verification(conn)
        try conn.execute("SET ROLE business_app")
        try conn.execute("SELECT set_config('app.current_business_id', $1, false)", [business.uuidString.lowercased()])
        let session = try conn.execute(
            "INSERT INTO call_sessions (business_id, customer_phone, verification_id) VALUES ($1, '0701234567', $2) RETURNING id",
            [business, verification]).scalar(UUID.self)
        assertSQLState(.insufficientPrivilege) {
            try conn.execute("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions WHERE id = $1", [session])
        }
        assertSQLState(.insufficientPrivilege) {
            try conn.execute("SELECT customer_phone_lookup_hash('0701234567')")
        }
        try conn.execute("RESET ROLE")
        XCTAssertEqual(try conn.execute("SELECT decrypt_customer_phone(customer_phone) FROM call_sessions WHERE id = $1", [session]).scalar(String.self), "+46701234567")
    }
}
