internal import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

// The SHA-256 implementation, fetched from the default provider once per process.
// EVP_MD objects are immutable after fetching and OpenSSL documents them as safe to use from
// many threads at once, so one shared pointer serves every hash and HMAC in the process
// (fetching per call would cost a locked lookup in the provider store each time).
nonisolated(unsafe) let sha256Digest: OpaquePointer = fetchOnce({ EVP_MD_fetch(nil, cString("SHA256"), nil) }, "SHA256")

/// SHA-256 (FIPS 180-4) over OpenSSL's libcrypto.
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
        mustSucceed { () throws(CryptoError) in
            let context = try threadDigestContext()
            var length: UInt32 = 0
            try check(EVP_DigestInit_ex2(context, sha256Digest, nil), "EVP_DigestInit_ex2")
            try check(EVP_DigestUpdate(context, nonNull(input), input.count), "EVP_DigestUpdate")
            try check(EVP_DigestFinal_ex(context, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &length),
                      "EVP_DigestFinal_ex")
            precondition(length == byteCount, "SHA-256 produced \(length) bytes")
        }
    }

    private static func digest(_ input: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        // One context per thread, re-initialised per hash: `EVP_Digest` allocates, initialises
        // and frees a context on every call, which cost more than hashing a short input.
        let context = try threadDigestContext()
        return try makeBytes(count: byteCount) { output throws(CryptoError) in
            var length: UInt32 = 0
            try check(EVP_DigestInit_ex2(context, sha256Digest, nil), "EVP_DigestInit_ex2")
            try check(EVP_DigestUpdate(context, nonNull(input), input.count), "EVP_DigestUpdate")
            try check(EVP_DigestFinal_ex(context, output, &length), "EVP_DigestFinal_ex")
            precondition(length == byteCount, "SHA-256 produced \(length) bytes")
        }
    }

    /// An incremental SHA-256 computation: `update` any number of times, then `finalize`.
    ///
    /// `Hasher` has value semantics: copying it and updating the copies separately gives
    /// independent digests (the OpenSSL context is duplicated on the first write to a copy).
    public struct Hasher {
        private var context: DigestContext

        /// Starts a new, empty SHA-256 computation.
        public init() {
            context = mustSucceed { () throws(CryptoError) in try DigestContext() }
        }

        /// Feeds more bytes into the hash.
        public mutating func update(_ data: some Sequence<UInt8>) {
            if !isKnownUniquelyReferenced(&context) {
                let original = context
                context = mustSucceed { () throws(CryptoError) in try DigestContext(copying: original) }
            }
            let context = self.context
            mustSucceed { () throws(CryptoError) in
                try withContiguousBytes(data) { input throws(CryptoError) in
                    try check(EVP_DigestUpdate(context.pointer, input.baseAddress, input.count), "EVP_DigestUpdate")
                }
            }
        }

        /// Returns the digest of everything passed to `update`. Finishing one copy of a
        /// hasher does not affect other copies, which can still be updated and finalized.
        public consuming func finalize() -> [UInt8] {
            // Finalizing mutates the OpenSSL context, so work on a private duplicate if
            // another copy of this hasher shares it.
            let context: DigestContext
            if isKnownUniquelyReferenced(&self.context) {
                context = self.context
            } else {
                let original = self.context
                context = mustSucceed { () throws(CryptoError) in try DigestContext(copying: original) }
            }
            return mustSucceed { () throws(CryptoError) in
                try makeBytes(count: SHA256.byteCount) { output throws(CryptoError) in
                    var length: UInt32 = 0
                    try check(EVP_DigestFinal_ex(context.pointer, output, &length), "EVP_DigestFinal_ex")
                    precondition(length == SHA256.byteCount, "SHA-256 produced \(length) bytes")
                }
            }
        }
    }
}

/// The calling thread's `EVP_MD_CTX` for one-shot hashes, created on first use and freed when
/// the thread exits. Only its own thread ever touches it, so no locking is needed.
private let digestContextKey: pthread_key_t = {
    var key = pthread_key_t()
    let rc = pthread_key_create(&key) { context in EVP_MD_CTX_free(OpaquePointer(context)) }
    precondition(rc == 0, "pthread_key_create failed")
    return key
}()

private func threadDigestContext() throws(CryptoError) -> OpaquePointer {
    if let existing = pthread_getspecific(digestContextKey) { return OpaquePointer(existing) }
    let context = try checkNotNil(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
    pthread_setspecific(digestContextKey, UnsafeRawPointer(context))
    return context
}

/// Owns one `EVP_MD_CTX` initialised for SHA-256.
final class DigestContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        let pointer = try checkNotNil(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
        do throws(CryptoError) {
            try check(EVP_DigestInit_ex2(pointer, sha256Digest, nil), "EVP_DigestInit_ex2")
        } catch {
            EVP_MD_CTX_free(pointer)
            throw error
        }
        self.pointer = pointer
    }

    init(copying other: DigestContext) throws(CryptoError) {
        let pointer = try checkNotNil(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
        do throws(CryptoError) {
            try check(EVP_MD_CTX_copy_ex(pointer, other.pointer), "EVP_MD_CTX_copy_ex")
        } catch {
            EVP_MD_CTX_free(pointer)
            throw error
        }
        self.pointer = pointer
    }

    deinit {
        EVP_MD_CTX_free(pointer)
    }
}
