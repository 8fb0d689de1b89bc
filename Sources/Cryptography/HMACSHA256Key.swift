internal import COpenSSL

/// HMAC-SHA256 under one key, with the key schedule done once: each code re-initialises the
/// keyed context with `EVP_MAC_init(ctx, NULL, 0, NULL)`, which restarts from the stored inner
/// and outer key states (no digest lookup by name, no hashing of the padded key, no context
/// allocation). For the vault's per-reading digests.
///
/// Not `Sendable`: it owns one mutable OpenSSL context. Use one instance per thread.
public final class HMACSHA256Key {
    private let context: OpaquePointer

    public init(key: [UInt8]) {
        context = mustSucceed { () throws(CryptoError) in
            let context = try checkNotNil(EVP_MAC_CTX_new(hmacAlgorithm), "EVP_MAC_CTX_new")
            let digestName = UnsafeMutablePointer(mutating: cString("SHA256"))
            var parameters = [
                OSSL_PARAM_construct_utf8_string(cString("digest"), digestName, 0),
                OSSL_PARAM_construct_end(),
            ]
            try withContiguousBytes(key) { keyBytes throws(CryptoError) in
                try check(EVP_MAC_init(context, nonNull(keyBytes), keyBytes.count, &parameters), "EVP_MAC_init")
            }
            return context
        }
    }

    deinit { EVP_MAC_CTX_free(context) }

    /// HMAC-SHA256 of the concatenation of `parts` (no concatenated copy is made).
    public func authenticationCode(_ parts: [UInt8]...) -> [UInt8] {
        mustSucceed { () throws(CryptoError) in
            // A NULL key keeps the key set at init and restarts the computation.
            try check(EVP_MAC_init(context, nil, 0, nil), "EVP_MAC_init (same key)")
            for part in parts {
                try withContiguousBytes(part) { bytes throws(CryptoError) in
                    try check(EVP_MAC_update(context, nonNull(bytes), bytes.count), "EVP_MAC_update")
                }
            }
            return try makeBytes(count: HMACSHA256.byteCount) { output throws(CryptoError) in
                var length = 0
                try check(EVP_MAC_final(context, output, &length, HMACSHA256.byteCount), "EVP_MAC_final")
                precondition(length == HMACSHA256.byteCount, "HMAC-SHA256 produced \(length) bytes")
            }
        }
    }
}

/// Random bytes handed out from a buffer refilled 4 KiB at a time: one DRBG call per ~340
/// AES-GCM nonces instead of one per nonce. Not `Sendable`; one instance per thread.
public final class RandomPool {
    private var buffer: [UInt8] = []
    private var offset = 0

    public init() {}

    public func bytes(_ count: Int) -> [UInt8] {
        Array(take(count))
    }

    /// Appends `count` fresh random bytes to `out` (no intermediate array).
    public func append(_ count: Int, to out: inout [UInt8]) {
        out.append(contentsOf: take(count))
    }

    private func take(_ count: Int) -> ArraySlice<UInt8> {
        precondition(count >= 0 && count <= 4096)
        if offset + count > buffer.count {
            buffer = SecureRandom.bytes(4096)
            offset = 0
        }
        defer { offset += count }
        return buffer[offset..<(offset + count)]
    }
}
