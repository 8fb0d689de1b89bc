public import Cryptography

/// A batch header with the gateway's Ed25519 signature over its encoding.
public struct SignedBatchHeader: Sendable, Hashable {
    /// The header.
    public let header: BatchHeader
    /// Ed25519 signature (64 bytes) of ``BatchHeader/encoded`` by the gateway identity key.
    public let signature: [UInt8]

    /// Pairs a header with a signature (not checked; see ``verify(publicKey:)``).
    public init(header: BatchHeader, signature: [UInt8]) {
        self.header = header
        self.signature = signature
    }

    /// Whether the signature is valid for the header under `publicKey`.
    public func isValid(publicKey: Ed25519.PublicKey) -> Bool {
        publicKey.isValidSignature(signature, for: header.encoded)
    }

    /// Checks the signature under the gateway's pinned public key.
    /// - Throws: ``SealingError`` `.invalidSignature`.
    public func verify(publicKey: Ed25519.PublicKey) throws(SealingError) {
        guard isValid(publicKey: publicKey) else {
            throw SealingError(code: .invalidSignature,
                               reason: "signature of batch header \(header.sequence) does not verify under the pinned key")
        }
    }
}
