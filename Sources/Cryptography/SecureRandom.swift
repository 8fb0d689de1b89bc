internal import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's default DRBG (seeded by the OS).
public enum SecureRandom {
    /// Returns `count` random bytes, suitable for keys and nonces.
    ///
    /// - Precondition: `count >= 0`.
    /// - Note: Traps if OpenSSL's random generator fails (for example, the OS entropy source
    ///   is unavailable). Continuing without randomness would produce predictable keys and
    ///   repeated nonces, which is worse than stopping.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes: negative count")
        if count == 0 { return [] }
        return mustSucceed { () throws(CryptoError) in
            try makeBytes(count: count) { output throws(CryptoError) in
                // RAND_bytes takes an `int` length, so fill large requests in chunks.
                var offset = 0
                while offset < count {
                    let chunk = min(count - offset, Int(Int32.max))
                    try check(RAND_bytes(output + offset, Int32(chunk)), "RAND_bytes")
                    offset += chunk
                }
            }
        }
    }
}
