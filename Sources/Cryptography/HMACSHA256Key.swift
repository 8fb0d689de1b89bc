internal import COpenSSL

/// HMAC-SHA256 under one key, with the key schedule done once: the SHA-256 states after the
/// inner and outer padded key blocks are kept, and each code continues from copies of them
/// (no digest lookup, no hashing of the padded key, no allocation). For the vault's
/// per-reading digests.
///
/// Not `Sendable` (its key state is passed to C by address); use one instance per thread. The
/// key states are wiped when it is released.
public final class HMACSHA256Key {
    private var state = vg_hmac_sha256_key()

    public init(key: [UInt8]) {
        let result = key.withUnsafeBufferPointer { vg_hmac_sha256_set_key(&state, $0.baseAddress, $0.count) }
        mustSucceed { () throws(CryptoError) in try check(result, "HMAC-SHA256 key schedule") }
    }

    deinit { withUnsafeMutableBytes(of: &state) { OPENSSL_cleanse($0.baseAddress, $0.count) } }

    /// HMAC-SHA256 of the concatenation of `parts` (no concatenated copy is made).
    public func authenticationCode(_ parts: [UInt8]...) -> [UInt8] {
        var context = SHA256_CTX()
        vg_hmac_sha256_begin(&state, &context)
        return mustSucceed { () throws(CryptoError) in
            for part in parts {
                try part.withUnsafeBufferPointer { bytes throws(CryptoError) in
                    try check(SHA256_Update(&context, bytes.baseAddress, bytes.count), "SHA256_Update")
                }
            }
            return try makeBytes(count: HMACSHA256.byteCount) { output throws(CryptoError) in
                try check(vg_hmac_sha256_finish(&state, &context, output), "HMAC-SHA256 final")
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
