public import Cryptography

/// The cosignature/v1 format of c2sp.org/tlog-cosignature (Ed25519, signature type `0x04`).
///
/// A witness signs `cosignature/v1\ntime <T>\n` followed by the whole checkpoint body
/// (extension lines included). The signature line carries
/// `key ID (4) ‖ timestamp T (8, big-endian) ‖ Ed25519 signature (64)`, and the key ID is
/// `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]`.
public enum Cosignature {
    /// The length of a cosignature/v1 signature after the key ID: 8 + 64 = 72 bytes.
    public static let signatureByteCount = 8 + Ed25519.signatureByteCount
    /// The largest timestamp allowed, `2^63 - 1`.
    public static let maximumTimestamp = UInt64(Int64.max)

    /// The message a cosigner signs for checkpoint text `body` at POSIX time `timestamp`.
    public static func signedMessage(body: [UInt8], timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + body
    }

    /// Splits a cosignature/v1 signature into its timestamp and Ed25519 signature, or `nil`
    /// if it is not 72 bytes or the timestamp exceeds ``maximumTimestamp``.
    public static func split(_ signature: [UInt8]) -> (timestamp: UInt64, signature: [UInt8])? {
        guard signature.count == signatureByteCount else { return nil }
        let timestamp = signature[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard timestamp <= maximumTimestamp else { return nil }
        return (timestamp, Array(signature[8...]))
    }
}

/// A witness (cosigner) key that produces cosignature/v1 signatures.
public struct CosignatureSigner: Sendable {
    /// The cosigner's key name, e.g. `witness.example.com/w1`.
    public let name: String
    /// The matching verifier.
    public let verifier: CosignatureVerifier
    private let privateKey: Ed25519.PrivateKey

    /// The cosignature key ID (signature type `0x04`).
    public var keyID: UInt32 { verifier.keyID }

    /// The verifier key to publish (`<name>+<key ID>+<base64(0x04 ‖ key)>`).
    public var verifierKey: VerifierKey { verifier.verifierKey }

    /// Creates a cosigner named `name` using `privateKey`.
    /// - Throws: ``NoteError`` `.invalidKeyName`.
    public init(name: String, privateKey: Ed25519.PrivateKey) throws(NoteError) {
        verifier = try CosignatureVerifier(name: name, publicKey: privateKey.publicKey)
        self.name = name
        self.privateKey = privateKey
    }

    /// Cosigns a checkpoint body at POSIX time `timestamp` and returns the signature line.
    /// - Throws: ``NoteError`` `.malformedCosignature` if `timestamp` exceeds 2^63 - 1,
    ///   `.signingFailure`.
    public func cosign(_ checkpoint: Checkpoint, timestamp: UInt64) throws(NoteError) -> NoteSignature {
        guard timestamp <= Cosignature.maximumTimestamp else {
            throw NoteError(code: .malformedCosignature, reason: "timestamp exceeds 2^63 - 1")
        }
        let message = Cosignature.signedMessage(body: Array(checkpoint.body.utf8), timestamp: timestamp)
        let signature: [UInt8]
        do {
            signature = try privateKey.signature(for: message)
        } catch {
            throw NoteError(code: .signingFailure, reason: "cosigning for \(name) failed", underlying: error)
        }
        let timestampBytes = (0..<8).map { UInt8(truncatingIfNeeded: timestamp >> (56 - 8 * UInt64($0))) }
        return try NoteSignature(name: name, keyID: keyID, signature: timestampBytes + signature)
    }
}

/// Verifies cosignature/v1 signatures of one witness key.
public struct CosignatureVerifier: NoteVerifier {
    public let name: String
    public let keyID: UInt32
    /// The witness's public key.
    public let publicKey: Ed25519.PublicKey

    /// Creates a verifier for the witness key `publicKey` named `name`.
    /// - Throws: ``NoteError`` `.invalidKeyName`.
    public init(name: String, publicKey: Ed25519.PublicKey) throws(NoteError) {
        try NoteKeyName.validate(name)
        self.name = name
        self.publicKey = publicKey
        keyID = NoteKeyID.compute(name: name, signatureType: NoteKeyID.cosignatureV1,
                                  publicKey: publicKey.rawRepresentation)
    }

    /// Checks a 72-byte cosignature over `cosignature/v1\ntime <T>\n ‖ text`.
    public func verify(text: [UInt8], signature: [UInt8]) -> Bool {
        guard let (timestamp, ed25519) = Cosignature.split(signature) else { return false }
        return publicKey.isValidSignature(ed25519, for: Cosignature.signedMessage(body: text, timestamp: timestamp))
    }

    /// The timestamp of a cosignature (valid or not), or `nil` if malformed.
    public func timestamp(of signature: [UInt8]) -> UInt64? {
        Cosignature.split(signature)?.timestamp
    }

    /// The verifier key (signature type `0x04`).
    public var verifierKey: VerifierKey {
        VerifierKey(trustedName: name, keyID: keyID, signatureType: NoteKeyID.cosignatureV1,
                    publicKey: publicKey.rawRepresentation)
    }
}
