internal import CSecp256k1

/// A secp256k1 private key: a 32-byte scalar in `1..<n`.
///
/// The secret lives in memory owned by a private final class that zeroes it when the last copy
/// of the key goes away. Descriptions and mirrors never show it. ``rawRepresentation`` returns
/// a copy for key stores; the caller is responsible for that copy.
///
/// Thread safety: keys are immutable and every operation in this module (key creation, signing,
/// verification, recovery) may run concurrently. They share one libsecp256k1 context that is
/// randomized once before first use and afterwards only passed to calls taking a const context,
/// which libsecp256k1 documents as safe from many threads at once.
public struct PrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Length of a raw private key: 32 bytes.
    public static let byteCount = 32

    private let secret: SecretBytes
    /// The matching public key, derived once at creation.
    public let publicKey: PublicKey

    /// Generates a new random key from the operating system's random generator.
    public init() {
        while true {
            let candidate = SecretBytes(count: Self.byteCount) { SystemRandom.fill($0) }
            // A random 256-bit value is outside 1..<n with probability about 2^-128.
            if let key = try? PrivateKey(secret: candidate) {
                self = key
                return
            }
        }
    }

    /// Restores a key from its 32 big-endian bytes.
    /// - Throws: ``Secp256k1Error`` `.invalidPrivateKey` unless exactly 32 bytes encoding a
    ///   value in `1..<n`.
    public init(rawRepresentation bytes: some Collection<UInt8>) throws(Secp256k1Error) {
        guard bytes.count == Self.byteCount else {
            throw Secp256k1Error(.invalidPrivateKey, "private key is \(bytes.count) bytes, expected 32")
        }
        try self.init(secret: SecretBytes(copying: bytes))
    }

    private init(secret: SecretBytes) throws(Secp256k1Error) {
        let context = Secp256k1Context.shared.pointer
        var key = secp256k1_pubkey()
        let created: Bool = secret.withUnsafePointer { scalar in
            secp256k1_ec_seckey_verify(context, scalar) == 1
                && secp256k1_ec_pubkey_create(context, &key, scalar) == 1
        }
        guard created else {
            throw Secp256k1Error(.invalidPrivateKey, "private key is zero or not below the group order")
        }
        self.secret = secret
        self.publicKey = PublicKey(key: key)
    }

    /// A copy of the 32 secret bytes. Treat it as secret and overwrite it when done.
    public var rawRepresentation: [UInt8] {
        secret.withUnsafeBytes { Array($0) }
    }

    /// Signs a 32-byte message hash.
    ///
    /// Nonces are deterministic (RFC 6979 with HMAC-SHA256, no extra entropy), so the same key and
    /// hash always give the same signature, and `s` is always in the low half (`isLowS`).
    /// - Throws: ``Secp256k1Error`` `.invalidHashLength`, or `.signingFailed` (not expected).
    public func signRecoverable(hash: [UInt8]) throws(Secp256k1Error) -> RecoverableSignature {
        try PublicKey.checkHash(hash)
        let context = Secp256k1Context.shared.pointer
        var signature = secp256k1_ecdsa_recoverable_signature()
        let signed = secret.withUnsafePointer { scalar in
            secp256k1_ecdsa_sign_recoverable(context, &signature, hash, scalar, secp256k1_nonce_function_rfc6979, nil)
        }
        guard signed == 1 else {
            throw Secp256k1Error(.signingFailed, "secp256k1_ecdsa_sign_recoverable failed")
        }
        var compact = [UInt8](repeating: 0, count: 64)
        var recoveryID: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(context, &compact, &recoveryID, &signature)
        return try RecoverableSignature(r: compact[0..<32], s: compact[32..<64], recoveryID: UInt8(recoveryID))
    }

    /// `PrivateKey(redacted)`: never the key itself.
    public var description: String { "PrivateKey(redacted)" }
    /// `PrivateKey(redacted)`: never the key itself.
    public var debugDescription: String { description }
    /// An empty mirror, so `dump` and debuggers do not reach the secret.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
