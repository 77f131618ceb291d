import CLibCrypto

/// SHA-256 from the system's libcrypto (OpenSSL's provider-free
/// `SHA256_Init`/`Update`/`Final`, see `Sources/CLibCrypto/shim.h`), the
/// library libpq already links: migration checksums need one digest, not a
/// second cryptography stack compiled from source.
enum SHA256 {
    /// The 32-byte digest of `bytes`.
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                pgmigrate_sha256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        // SHA-256 over memory cannot fail in OpenSSL; there is no sensible
        // checksum to return if it ever did.
        precondition(ok == 1, "libcrypto SHA-256 failed")
        return out
    }

    /// Lowercase hex of the digest.
    static func hex(_ bytes: [UInt8]) -> String {
        let digest = digest(bytes)
        return String(unsafeUninitializedCapacity: 64) { text in
            for (index, byte) in digest.enumerated() {
                text[2 * index] = hexDigit(byte >> 4)
                text[2 * index + 1] = hexDigit(byte & 0x0f)
            }
            return 64
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
