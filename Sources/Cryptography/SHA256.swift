internal import COpenSSL

/// SHA-256 (FIPS 180-4) over OpenSSL's libcrypto.
///
/// It calls libcrypto's low-level `SHA256_*` functions rather than `EVP_Digest*`: the same
/// assembly, without the provider dispatch that cost more than hashing a short input
/// (DECISIONS 25).
public enum SHA256 {
    /// The length of a SHA-256 digest: 32 bytes.
    public static let byteCount = 32

    /// Hashes `data` in one call and returns the 32-byte digest.
    ///
    /// Contiguous inputs (`[UInt8]`, `ArraySlice<UInt8>`, `String.UTF8View` of a native
    /// string, ...) are hashed without copying. Traps only if OpenSSL itself fails, which
    /// cannot happen for SHA-256 short of memory exhaustion.
    public static func hash(_ data: some Sequence<UInt8>) -> [UInt8] {
        mustSucceed { () throws(CryptoError) in
            try withContiguousBytes(data) { input throws(CryptoError) in try digest(input) }
        }
    }

    /// Hashes an array (the hot path: commitments, Merkle nodes), without generic dispatch.
    public static func hash(_ data: [UInt8]) -> [UInt8] {
        mustSucceed { () throws(CryptoError) in
            try data.withUnsafeBytes { input in Result { () throws(CryptoError) in try digest(input) } }.get()
        }
    }

    /// Hashes an array slice, without generic dispatch.
    public static func hash(_ data: ArraySlice<UInt8>) -> [UInt8] {
        mustSucceed { () throws(CryptoError) in
            try data.withUnsafeBytes { input in Result { () throws(CryptoError) in try digest(input) } }.get()
        }
    }

    /// Hashes `input` into the first 32 bytes of `output`, allocating nothing (for loops that
    /// hash many small inputs, such as Merkle tree levels).
    /// - Precondition: `output.count >= 32`.
    public static func hash(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= byteCount, "SHA-256 output buffer too small")
        let result = vg_sha256(input.baseAddress, input.count, output.baseAddress!.assumingMemoryBound(to: UInt8.self))
        mustSucceed { () throws(CryptoError) in try check(result, "SHA256") }
    }

    private static func digest(_ input: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        try makeBytes(count: byteCount) { output throws(CryptoError) in
            try check(vg_sha256(input.baseAddress, input.count, output), "SHA256")
        }
    }

    /// An incremental SHA-256 computation: `update` any number of times, then `finalize`.
    ///
    /// `Hasher` has value semantics: copying it and updating the copies separately gives
    /// independent digests (the hash state is a plain C struct, copied with the value).
    public struct Hasher {
        private var context = SHA256_CTX()

        /// Starts a new, empty SHA-256 computation.
        public init() {
            let result = SHA256_Init(&context)
            mustSucceed { () throws(CryptoError) in try check(result, "SHA256_Init") }
        }

        /// Feeds more bytes into the hash.
        public mutating func update(_ data: some Sequence<UInt8>) {
            mustSucceed { () throws(CryptoError) in
                try withContiguousBytes(data) { input throws(CryptoError) in
                    try check(SHA256_Update(&context, input.baseAddress, input.count), "SHA256_Update")
                }
            }
        }

        /// Returns the digest of everything passed to `update`. Finishing one copy of a
        /// hasher does not affect other copies, which can still be updated and finalized.
        public consuming func finalize() -> [UInt8] {
            mustSucceed { () throws(CryptoError) in
                try makeBytes(count: SHA256.byteCount) { output throws(CryptoError) in
                    try check(SHA256_Final(output, &context), "SHA256_Final")
                }
            }
        }
    }
}
