public import Cryptography

/// Signs note texts with an Ed25519 key (signature type `0x01`, c2sp.org/signed-note).
public struct NoteSigner: Sendable {
    /// The key name written in signature lines.
    public let name: String
    /// The key ID derived from the name and public key.
    public var keyID: UInt32 { verifier.keyID }
    /// The matching verifier.
    public let verifier: Ed25519NoteVerifier
    private let privateKey: Ed25519.PrivateKey

    /// Creates a signer named `name` using `privateKey`.
    /// - Throws: ``NoteError`` `.invalidKeyName`.
    public init(name: String, privateKey: Ed25519.PrivateKey) throws(NoteError) {
        verifier = try Ed25519NoteVerifier(name: name, publicKey: privateKey.publicKey)
        self.name = name
        self.privateKey = privateKey
    }

    /// The verifier key string to publish.
    public var verifierKey: VerifierKey { verifier.verifierKey }

    /// Signs `text` (which must end with a newline) and returns the signature line.
    /// - Throws: ``NoteError`` `.malformedNote` for an invalid text, `.signingFailure`.
    public func sign(text: String) throws(NoteError) -> NoteSignature {
        let bytes = Array(text.utf8)
        try Note.checkText(bytes)
        let signature: [UInt8]
        do {
            signature = try privateKey.signature(for: bytes)
        } catch {
            throw NoteError(code: .signingFailure, reason: "Ed25519 signing for \(name) failed", underlying: error)
        }
        return try NoteSignature(name: name, keyID: keyID, signature: signature)
    }

    /// Returns `note` with this signer's signature line appended.
    public func sign(_ note: Note) throws(NoteError) -> Note {
        var signed = note
        signed.append(try sign(text: note.text))
        return signed
    }
}
