internal import COpenSSL

/// Ed25519 signatures (RFC 8032, pure EdDSA over edwards25519): 32-byte keys, 64-byte
/// signatures, deterministic signing.
public enum Ed25519 {
    /// Length of a raw private key (the RFC 8032 seed) and of a raw public key: 32 bytes.
    public static let keyByteCount = 32
    /// Length of a signature: 64 bytes.
    public static let signatureByteCount = 64

    /// An Ed25519 signing key.
    public struct PrivateKey: Sendable {
        private let key: PKey

        /// Generates a new random key.
        ///
        /// Traps only if OpenSSL's key generation fails (random generator or provider broken).
        public init() {
            key = mustSucceed { () throws(CryptoError) in
                let context = try checkNotNil(EVP_PKEY_CTX_new_from_name(nil, cString("ED25519"), nil),
                                              "EVP_PKEY_CTX_new_from_name")
                defer { EVP_PKEY_CTX_free(context) }
                try check(EVP_PKEY_keygen_init(context), "EVP_PKEY_keygen_init")
                var generated: OpaquePointer?
                try check(EVP_PKEY_keygen(context, &generated), "EVP_PKEY_keygen")
                return PKey(try checkNotNil(generated, "EVP_PKEY_keygen"))
            }
        }

        /// Restores a key from its 32-byte seed (``rawRepresentation``).
        /// - Throws: ``CryptoError`` `.invalidKeyLength` unless exactly 32 bytes.
        public init(rawRepresentation: [UInt8]) throws(CryptoError) {
            guard rawRepresentation.count == Ed25519.keyByteCount else {
                throw CryptoError(code: .invalidKeyLength,
                                  reason: "Ed25519 private key is \(rawRepresentation.count) bytes, expected 32")
            }
            let pointer = try checkNotNil(
                EVP_PKEY_new_raw_private_key_ex(
                    nil, cString("ED25519"), nil, rawRepresentation, rawRepresentation.count),
                "EVP_PKEY_new_raw_private_key_ex")
            key = PKey(pointer)
        }

        /// The 32-byte seed. Treat it as secret.
        public var rawRepresentation: [UInt8] {
            mustSucceed { () throws(CryptoError) in
                try key.rawBytes(EVP_PKEY_get_raw_private_key, "EVP_PKEY_get_raw_private_key")
            }
        }

        /// The matching public key.
        public var publicKey: PublicKey {
            mustSucceed { () throws(CryptoError) in
                try PublicKey(rawRepresentation: key.rawBytes(EVP_PKEY_get_raw_public_key,
                                                              "EVP_PKEY_get_raw_public_key"))
            }
        }

        /// Signs `message` (any length, including empty) and returns the 64-byte signature.
        /// Ed25519 signing is deterministic: the same key and message give the same signature.
        /// - Throws: ``CryptoError`` `.openSSLFailure` (not expected for a valid key).
        public func signature(for message: [UInt8]) throws(CryptoError) -> [UInt8] {
            let context = try checkNotNil(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
            defer { EVP_MD_CTX_free(context) }
            // Pure Ed25519 hashes internally, so the digest must be NULL.
            try check(EVP_DigestSignInit_ex(context, nil, nil, nil, nil, key.pointer, nil), "EVP_DigestSignInit_ex")
            return try makeBytes(count: Ed25519.signatureByteCount) { output throws(CryptoError) in
                var length = Ed25519.signatureByteCount
                try withContiguousBytes(message) { input throws(CryptoError) in
                    try check(EVP_DigestSign(context, output, &length, nonNull(input), input.count), "EVP_DigestSign")
                }
                precondition(length == Ed25519.signatureByteCount, "Ed25519 signature is \(length) bytes")
            }
        }
    }

    /// An Ed25519 verification key.
    public struct PublicKey: Sendable, Equatable {
        private let key: PKey
        /// The 32-byte encoded point, kept for equality and ``rawRepresentation``.
        public let rawRepresentation: [UInt8]

        /// Imports a 32-byte encoded public key.
        /// - Throws: ``CryptoError`` `.invalidKeyLength` unless exactly 32 bytes, or
        ///   `.openSSLFailure` if OpenSSL rejects the encoding.
        public init(rawRepresentation: [UInt8]) throws(CryptoError) {
            guard rawRepresentation.count == Ed25519.keyByteCount else {
                throw CryptoError(code: .invalidKeyLength,
                                  reason: "Ed25519 public key is \(rawRepresentation.count) bytes, expected 32")
            }
            let pointer = try checkNotNil(
                EVP_PKEY_new_raw_public_key_ex(
                    nil, cString("ED25519"), nil, rawRepresentation, rawRepresentation.count),
                "EVP_PKEY_new_raw_public_key_ex")
            key = PKey(pointer)
            self.rawRepresentation = rawRepresentation
        }

        /// Returns whether `signature` is a valid signature of `message` under this key.
        /// Any malformed input (wrong length, bad encoding) is simply `false`.
        public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            guard let context = EVP_MD_CTX_new() else {
                ERR_clear_error()
                return false
            }
            defer { EVP_MD_CTX_free(context) }
            let valid = message.withUnsafeBytes { input in
                EVP_DigestVerifyInit_ex(context, nil, nil, nil, nil, key.pointer, nil) == 1
                    && EVP_DigestVerify(context, signature, signature.count, nonNull(input), input.count) == 1
            }
            // A failed verification queues an error; it is an answer here, not a failure.
            if !valid { ERR_clear_error() }
            return valid
        }

        public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
            lhs.rawRepresentation == rhs.rawRepresentation
        }
    }
}

/// Owns one `EVP_PKEY` and frees it when the last key value referring to it goes away.
// @unchecked Sendable: the EVP_PKEY is never modified after construction. Signing and
// verifying only read it, each through a fresh EVP_MD_CTX per call, and OpenSSL 3 supports
// concurrent read-only use of an EVP_PKEY (the key is created directly in the default
// provider, and the internal export cache is guarded by the key's own lock).
final class PKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Reads a raw key with `EVP_PKEY_get_raw_private_key` or `EVP_PKEY_get_raw_public_key`.
    func rawBytes(
        _ get: (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int>?) -> Int32,
        _ function: StaticString
    ) throws(CryptoError) -> [UInt8] {
        try makeBytes(count: Ed25519.keyByteCount) { output throws(CryptoError) in
            var length = Ed25519.keyByteCount
            try check(get(pointer, output, &length), function)
            precondition(length == Ed25519.keyByteCount, "raw Ed25519 key is \(length) bytes")
        }
    }
}
