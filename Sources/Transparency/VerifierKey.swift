internal import Cryptography
import Telemetry

/// A verifier key ("vkey") as defined by c2sp.org/signed-note:
/// `<name>+<hex key ID>+<base64(signature type ‖ public key)>`.
public struct VerifierKey: Sendable, Hashable, CustomStringConvertible {
    /// The key name.
    public let name: String
    /// The key ID, checked against name, type and key when parsed.
    public let keyID: UInt32
    /// The signature type byte (`0x01` Ed25519, `0x04` cosignature/v1).
    public let signatureType: UInt8
    /// The raw public key (32 bytes for both supported types).
    public let publicKey: [UInt8]

    init(trustedName name: String, keyID: UInt32, signatureType: UInt8, publicKey: [UInt8]) {
        self.name = name
        self.keyID = keyID
        self.signatureType = signatureType
        self.publicKey = publicKey
    }

    /// Parses a vkey string.
    /// - Throws: ``NoteError`` `.invalidVerifierKey` unless there are exactly three
    ///   `+`-separated fields (the base64 key may itself contain `+`), an 8-digit hex key ID, canonical base64, a supported type
    ///   (`0x01` or `0x04`) with a 32-byte key, and the key ID equals
    ///   `SHA-256(name ‖ 0x0A ‖ type ‖ key)[:4]`; `.invalidKeyName`.
    public init(parsing text: String) throws(NoteError) {
        // Names contain no '+', but the base64 key may: split at the first two only.
        let fields = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else {
            throw NoteError(code: .invalidVerifierKey, reason: "a verifier key has three '+'-separated fields")
        }
        let name = String(fields[0])
        try NoteKeyName.validate(name)
        let hex = Array(fields[1].utf8)
        guard hex.count == 8, let idBytes = [UInt8](hex: String(fields[1])) else {
            throw NoteError(code: .invalidVerifierKey, reason: "key ID of \(name) is not 8 hex digits")
        }
        guard let key = Base64.decode(canonical: fields[2].utf8), let type = key.first else {
            throw NoteError(code: .invalidVerifierKey, reason: "key of \(name) is not canonical base64")
        }
        guard type == NoteKeyID.ed25519 || type == NoteKeyID.cosignatureV1 else {
            throw NoteError(code: .invalidVerifierKey, reason: "key of \(name) has unsupported type 0x\([type].hexString)")
        }
        let publicKey = Array(key.dropFirst())
        guard publicKey.count == Ed25519.keyByteCount else {
            throw NoteError(code: .invalidVerifierKey, reason: "Ed25519 key of \(name) is \(publicKey.count) bytes")
        }
        let keyID = idBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard keyID == NoteKeyID.compute(name: name, signatureType: type, publicKey: publicKey) else {
            throw NoteError(code: .invalidVerifierKey, reason: "key ID of \(name) does not match its key")
        }
        self.init(trustedName: name, keyID: keyID, signatureType: type, publicKey: publicKey)
    }

    /// The vkey string.
    public var description: String {
        "\(name)+\(NoteKeyID.bytes(keyID).hexString)+\(Base64.encode([signatureType] + publicKey))"
    }

    /// A verifier for this key: ``Ed25519NoteVerifier`` for type `0x01`,
    /// ``CosignatureVerifier`` for type `0x04`.
    /// - Throws: ``NoteError`` `.invalidVerifierKey` if the crypto module rejects the key.
    public func makeVerifier() throws(NoteError) -> any NoteVerifier {
        let key: Ed25519.PublicKey
        do {
            key = try Ed25519.PublicKey(rawRepresentation: publicKey)
        } catch {
            throw NoteError(code: .invalidVerifierKey, reason: "Ed25519 key of \(name) rejected", underlying: error)
        }
        if signatureType == NoteKeyID.cosignatureV1 {
            return try CosignatureVerifier(name: name, publicKey: key)
        }
        return try Ed25519NoteVerifier(name: name, publicKey: key)
    }
}
