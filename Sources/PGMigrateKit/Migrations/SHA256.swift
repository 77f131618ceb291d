import CLibCrypto

/// SHA-256 from the system's libcrypto (OpenSSL's `EVP_Digest`), the library
/// libpq already links: migration checksums need one digest, not a second
/// cryptography stack compiled from source.
enum SHA256 {
    /// The 32-byte digest of `bytes`.
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        // EVP_Digest fails only when OpenSSL cannot allocate; there is no
        // sensible checksum to return then.
        precondition(ok == 1 && length == 32, "libcrypto EVP_Digest(SHA-256) failed")
        return Array(out.prefix(32))
    }

    /// Lowercase hex of the digest.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in digest(bytes) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
