public import Cryptography
import Telemetry

/// A pinned operator public key.
public struct OperatorKey: Sendable, Equatable {
    /// A human name for the operator (audit only; never used for trust decisions).
    public let name: String
    /// The operator's Ed25519 public key.
    public let publicKey: Ed25519.PublicKey
    /// First 8 bytes of SHA-256 of the raw public key, as 16 lowercase hex digits.
    public let keyID: String

    /// Wraps a public key and derives its key id.
    public init(name: String, publicKey: Ed25519.PublicKey) {
        self.name = name
        self.publicKey = publicKey
        self.keyID = OperatorKey.keyID(of: publicKey)
    }

    /// The key id of `publicKey`: hex of the first 8 bytes of SHA-256(raw key).
    public static func keyID(of publicKey: Ed25519.PublicKey) -> String {
        Array(SHA256.hash(publicKey.rawRepresentation).prefix(8)).hexString
    }
}
