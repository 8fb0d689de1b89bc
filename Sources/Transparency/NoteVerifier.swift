public import Cryptography

/// Something that can check note signatures made by one key: the key's name, its key ID and
/// the signature algorithm.
public protocol NoteVerifier: Sendable {
    /// The key name that signature lines must carry.
    var name: String { get }
    /// The key ID that signature lines must carry.
    var keyID: UInt32 { get }
    /// Returns whether `signature` (the bytes after the key ID) is valid for the note `text`.
    func verify(text: [UInt8], signature: [UInt8]) -> Bool
    /// The timestamp a verified signature carries, for timestamped types (cosignatures);
    /// `nil` otherwise. The default returns `nil`.
    func timestamp(of signature: [UInt8]) -> UInt64?
}

extension NoteVerifier {
    public func timestamp(of signature: [UInt8]) -> UInt64? { nil }
}

/// Verifies plain Ed25519 note signatures (signature type `0x01`).
public struct Ed25519NoteVerifier: NoteVerifier {
    public let name: String
    public let keyID: UInt32
    /// The signer's public key.
    public let publicKey: Ed25519.PublicKey

    /// Creates a verifier for the key `publicKey` named `name`; the key ID is derived.
    /// - Throws: ``NoteError`` `.invalidKeyName`.
    public init(name: String, publicKey: Ed25519.PublicKey) throws(NoteError) {
        try NoteKeyName.validate(name)
        self.name = name
        self.publicKey = publicKey
        keyID = NoteKeyID.compute(name: name, signatureType: NoteKeyID.ed25519, publicKey: publicKey.rawRepresentation)
    }

    public func verify(text: [UInt8], signature: [UInt8]) -> Bool {
        publicKey.isValidSignature(signature, for: text)
    }

    /// The verifier key string (`<name>+<key ID>+<base64(0x01 ‖ key)>`).
    public var verifierKey: VerifierKey {
        VerifierKey(trustedName: name, keyID: keyID, signatureType: NoteKeyID.ed25519,
                    publicKey: publicKey.rawRepresentation)
    }
}
