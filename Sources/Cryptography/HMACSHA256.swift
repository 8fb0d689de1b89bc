internal import COpenSSL

// The HMAC implementation, fetched once. Like EVP_MD, an EVP_MAC is immutable after fetching
// and safe to share between threads; each call below uses its own EVP_MAC_CTX.
nonisolated(unsafe) let hmacAlgorithm: OpaquePointer = fetchOnce({ EVP_MAC_fetch(nil, cString("HMAC"), nil) }, "HMAC")

/// HMAC-SHA256 (RFC 2104, FIPS 198-1) over OpenSSL's EVP_MAC interface.
///
/// Used for keyed pseudonyms: the same key and message always give the same 32-byte code,
/// and without the key the code reveals nothing about the message.
public enum HMACSHA256 {
    /// The length of an HMAC-SHA256 code: 32 bytes.
    public static let byteCount = 32

    /// Computes the HMAC-SHA256 of `message` under `key` (any length; keys longer than the
    /// 64-byte block are hashed first, as the standard says).
    ///
    /// Traps only if OpenSSL itself fails (memory exhaustion, missing default provider).
    public static func authenticationCode(key: [UInt8], message: some Sequence<UInt8>) -> [UInt8] {
        mustSucceed { () throws(CryptoError) in
            let context = try checkNotNil(EVP_MAC_CTX_new(hmacAlgorithm), "EVP_MAC_CTX_new")
            defer { EVP_MAC_CTX_free(context) }

            // OSSL_PARAM stores both pointers, so they must be static. The value is declared
            // `char *` but only read when setting a parameter.
            let digestName = UnsafeMutablePointer(mutating: cString("SHA256"))
            var parameters = [
                OSSL_PARAM_construct_utf8_string(cString("digest"), digestName, 0),
                OSSL_PARAM_construct_end(),
            ]
            try withContiguousBytes(key) { keyBytes throws(CryptoError) in
                // A NULL key would mean "keep the previous key", so an empty key gets a
                // valid pointer with length zero.
                try check(EVP_MAC_init(context, nonNull(keyBytes), keyBytes.count, &parameters), "EVP_MAC_init")
            }
            try withContiguousBytes(message) { input throws(CryptoError) in
                try check(EVP_MAC_update(context, nonNull(input), input.count), "EVP_MAC_update")
            }
            return try makeBytes(count: byteCount) { output throws(CryptoError) in
                var length = 0
                try check(EVP_MAC_final(context, output, &length, byteCount), "EVP_MAC_final")
                precondition(length == byteCount, "HMAC-SHA256 produced \(length) bytes")
            }
        }
    }
}
