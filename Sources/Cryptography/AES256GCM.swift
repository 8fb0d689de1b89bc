internal import COpenSSL

// The AES-256-GCM implementation, fetched once. EVP_CIPHER objects are immutable after
// fetching and safe to share between threads; every encryption and decryption uses a fresh EVP_CIPHER_CTX.
nonisolated(unsafe) let aes256GCMCipher: OpaquePointer =
    fetchOnce({ EVP_CIPHER_fetch(nil, cString("AES-256-GCM"), nil) }, "AES-256-GCM")

/// AES-256 in Galois/Counter Mode (NIST SP 800-38D): authenticated encryption with
/// associated data, 32-byte keys, 12-byte nonces and 16-byte tags.
///
/// Never reuse a nonce with the same key: pass `nonce: nil` (the default) to get a fresh
/// random one for every message.
public enum AES256GCM {
    /// Key length: 32 bytes.
    public static let keyByteCount = 32
    /// Nonce length: 12 bytes (96 bits, the length GCM is designed for).
    public static let nonceByteCount = 12
    /// Tag length: 16 bytes.
    public static let tagByteCount = 16

    /// The output of ``AES256GCM/encrypt(_:key:nonce:associatedData:)``: nonce, ciphertext and tag.
    public struct EncryptedBox: Sendable, Hashable {
        /// The 12-byte nonce the message was encrypted with.
        public let nonce: [UInt8]
        /// The encrypted message; as long as the plaintext.
        public let ciphertext: [UInt8]
        /// The 16-byte authentication tag.
        public let tag: [UInt8]

        /// Assembles a box from its parts.
        /// - Throws: ``CryptoError`` `.invalidNonceLength` or `.invalidLength` (tag).
        public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws(CryptoError) {
            guard nonce.count == AES256GCM.nonceByteCount else {
                throw CryptoError(code: .invalidNonceLength,
                                  reason: "nonce is \(nonce.count) bytes, expected \(AES256GCM.nonceByteCount)")
            }
            guard tag.count == AES256GCM.tagByteCount else {
                throw CryptoError(code: .invalidLength,
                                  reason: "tag is \(tag.count) bytes, expected \(AES256GCM.tagByteCount)")
            }
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }

        /// Splits `nonce ‖ ciphertext ‖ tag` as produced by ``combined``.
        /// - Throws: ``CryptoError`` `.invalidLength` if shorter than 28 bytes.
        public init(combined: [UInt8]) throws(CryptoError) {
            let overhead = AES256GCM.nonceByteCount + AES256GCM.tagByteCount
            guard combined.count >= overhead else {
                throw CryptoError(code: .invalidLength,
                                  reason: "combined box is \(combined.count) bytes, minimum is \(overhead)")
            }
            let tagStart = combined.count - AES256GCM.tagByteCount
            try self.init(nonce: Array(combined[..<AES256GCM.nonceByteCount]),
                          ciphertext: Array(combined[AES256GCM.nonceByteCount..<tagStart]),
                          tag: Array(combined[tagStart...]))
        }

        /// `nonce ‖ ciphertext ‖ tag`, the usual storage format.
        public var combined: [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(nonce.count + ciphertext.count + tag.count)
            bytes += nonce
            bytes += ciphertext
            bytes += tag
            return bytes
        }
    }

    /// Encrypts and authenticates `plaintext`, and authenticates (without encrypting)
    /// `associatedData`.
    ///
    /// - Parameters:
    ///   - key: exactly 32 bytes.
    ///   - nonce: exactly 12 bytes, unique per key; `nil` draws a random nonce.
    /// - Throws: ``CryptoError`` `.invalidKeyLength`, `.invalidNonceLength`, or
    ///   `.openSSLFailure`.
    public static func encrypt(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8]? = nil, associatedData: [UInt8]
    ) throws(CryptoError) -> EncryptedBox {
        try validate(key: key)
        let nonce = nonce ?? SecureRandom.bytes(nonceByteCount)
        try validate(nonce: nonce)

        let context = try checkNotNil(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
        defer { EVP_CIPHER_CTX_free(context) }

        try check(EVP_EncryptInit_ex2(context, aes256GCMCipher, key, nonce, nil), "EVP_EncryptInit_ex2")
        try authenticate(associatedData, context: context, update: EVP_EncryptUpdate)
        let ciphertext = try transform(plaintext, context: context, update: EVP_EncryptUpdate)
        try finish(context, EVP_EncryptFinal_ex, "EVP_EncryptFinal_ex")

        let tag = try makeBytes(count: tagByteCount) { output throws(CryptoError) in
            try check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagByteCount), output),
                      "EVP_CIPHER_CTX_ctrl(GET_TAG)")
        }
        return try EncryptedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// `encrypt(plaintext, key:, nonce:, associatedData:).combined`, written straight into one
    /// buffer: `nonce ‖ ciphertext ‖ tag` (no separate ciphertext and tag arrays).
    public static func encryptCombined(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        try KeyedEncryptor(key: key).encryptCombined(plaintext, nonce: nonce, associatedData: associatedData)
    }

    /// An encryption context that keeps one key's schedule, for encrypting many messages under
    /// the same key: setting the key up (the AES round keys and GHASH tables) costs about as
    /// much as encrypting a 300-byte reading, and here it is done once. Each message still
    /// takes its own nonce. Freeing the context wipes the key material (OpenSSL cleanses it).
    ///
    /// Not `Sendable`: it owns one mutable OpenSSL context. Use one instance per thread.
    public final class KeyedEncryptor {
        private let context: OpaquePointer

        /// - Throws: ``CryptoError`` `.invalidKeyLength` or `.openSSLFailure`.
        public init(key: [UInt8]) throws(CryptoError) {
            try AES256GCM.validate(key: key)
            let context = try checkNotNil(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
            do throws(CryptoError) {
                try check(EVP_EncryptInit_ex2(context, aes256GCMCipher, key, nil, nil), "EVP_EncryptInit_ex2")
            } catch {
                EVP_CIPHER_CTX_free(context)
                throw error
            }
            self.context = context
        }

        deinit { EVP_CIPHER_CTX_free(context) }

        /// `nonce ‖ ciphertext ‖ tag` of `plaintext` under this key, as
        /// ``AES256GCM/encryptCombined(_:key:nonce:associatedData:)``.
        /// - Throws: ``CryptoError`` `.invalidNonceLength` or `.openSSLFailure`.
        public func encryptCombined(_ plaintext: [UInt8], nonce: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
            try AES256GCM.validate(nonce: nonce)
            // A NULL cipher and key keep both and restart GCM with the new nonce.
            try check(EVP_EncryptInit_ex2(context, nil, nil, nonce, nil), "EVP_EncryptInit_ex2 (nonce)")
            try AES256GCM.authenticate(associatedData, context: context, update: EVP_EncryptUpdate)
            let count = AES256GCM.nonceByteCount + plaintext.count + AES256GCM.tagByteCount
            return try makeBytes(count: count) { [context] output throws(CryptoError) in
                nonce.withUnsafeBufferPointer { output.update(from: $0.baseAddress!, count: AES256GCM.nonceByteCount) }
                let body = output + AES256GCM.nonceByteCount
                try AES256GCM.transform(plaintext, into: body, context: context, update: EVP_EncryptUpdate)
                try AES256GCM.finish(context, EVP_EncryptFinal_ex, "EVP_EncryptFinal_ex")
                try check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(AES256GCM.tagByteCount),
                                              body + plaintext.count),
                          "EVP_CIPHER_CTX_ctrl(GET_TAG)")
            }
        }
    }

    /// Verifies and decrypts `box`.
    ///
    /// - Returns: the plaintext, only if the tag matches the nonce, ciphertext and
    ///   `associatedData` under `key`.
    /// - Throws: ``CryptoError`` `.authenticationFailure` if anything was modified or the key
    ///   or associated data differ; `.invalidKeyLength` for a key that is not 32 bytes.
    public static func decrypt(
        _ box: EncryptedBox, key: [UInt8], associatedData: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        try validate(key: key)
        let context = try checkNotNil(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
        defer { EVP_CIPHER_CTX_free(context) }

        try check(EVP_DecryptInit_ex2(context, aes256GCMCipher, key, box.nonce, nil), "EVP_DecryptInit_ex2")
        try authenticate(associatedData, context: context, update: EVP_DecryptUpdate)
        var plaintext = try transform(box.ciphertext, context: context, update: EVP_DecryptUpdate)
        var tag = box.tag
        try check(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagByteCount), &tag),
                  "EVP_CIPHER_CTX_ctrl(SET_TAG)")

        do throws(CryptoError) {
            try finish(context, EVP_DecryptFinal_ex, "EVP_DecryptFinal_ex")
        } catch {
            // Tag mismatch (`check` already drained OpenSSL's queue). Wipe the unauthenticated
            // plaintext; OPENSSL_cleanse is a real function the optimizer cannot drop.
            plaintext.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            throw CryptoError(code: .authenticationFailure,
                              reason: "AES-256-GCM tag does not match ciphertext, nonce and associated data")
        }
        return plaintext
    }

    // MARK: - Helpers

    fileprivate typealias Update = (
        OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?, UnsafePointer<UInt8>?, Int32
    ) -> Int32

    fileprivate static func validate(key: [UInt8]) throws(CryptoError) {
        guard key.count == keyByteCount else {
            throw CryptoError(code: .invalidKeyLength, reason: "key is \(key.count) bytes, expected \(keyByteCount)")
        }
    }

    fileprivate static func validate(nonce: [UInt8]) throws(CryptoError) {
        guard nonce.count == nonceByteCount else {
            throw CryptoError(code: .invalidNonceLength,
                              reason: "nonce is \(nonce.count) bytes, expected \(nonceByteCount)")
        }
    }

    /// Runs EVP_EncryptFinal_ex / EVP_DecryptFinal_ex. GCM is a stream mode, so the final
    /// step writes no bytes; it still wants an output buffer.
    fileprivate static func finish(
        _ context: OpaquePointer,
        _ final: (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?) -> Int32,
        _ function: StaticString
    ) throws(CryptoError) {
        var written: Int32 = 0
        let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { scratch in
            final(context, scratch.baseAddress, &written)
        }
        try check(result, function)
        precondition(written == 0, "GCM final step produced output")
    }

    /// EVP update calls take an `int` length; longer inputs are fed in chunks of this size.
    private static let chunkSize = 1 << 30

    /// Feeds associated data (update with a NULL output buffer).
    fileprivate static func authenticate(
        _ data: [UInt8], context: OpaquePointer, update: Update
    ) throws(CryptoError) {
        try data.withUnsafeBufferPointer { input throws(CryptoError) in
            var offset = 0
            while offset < input.count {
                let chunk = min(input.count - offset, chunkSize)
                var written: Int32 = 0
                try check(update(context, nil, &written, input.baseAddress! + offset, Int32(chunk)),
                          "EVP_CipherUpdate(AAD)")
                offset += chunk
            }
        }
    }

    /// Encrypts or decrypts `data`; GCM is a stream mode, so output length equals input length.
    private static func transform(
        _ data: [UInt8], context: OpaquePointer, update: Update
    ) throws(CryptoError) -> [UInt8] {
        try makeBytes(count: data.count) { output throws(CryptoError) in
            try transform(data, into: output, context: context, update: update)
        }
    }

    /// Encrypts or decrypts `data` into `output`, which has room for `data.count` bytes.
    fileprivate static func transform(
        _ data: [UInt8], into output: UnsafeMutablePointer<UInt8>, context: OpaquePointer, update: Update
    ) throws(CryptoError) {
        try data.withUnsafeBufferPointer { input throws(CryptoError) in
            var offset = 0
            while offset < input.count {
                let chunk = min(input.count - offset, chunkSize)
                var written: Int32 = 0
                try check(update(context, output + offset, &written, input.baseAddress! + offset, Int32(chunk)),
                          "EVP_CipherUpdate")
                guard Int(exactly: written) == chunk else {
                    throw CryptoError(code: .openSSLFailure,
                                      reason: "EVP_CipherUpdate wrote \(written) of \(chunk) bytes")
                }
                offset += chunk
            }
        }
    }
}
