internal import Cryptography
import Telemetry

/// One signature line of a signed note: `— <key name> <base64(key ID ‖ signature)>`.
public struct NoteSignature: Sendable, Hashable {
    /// The signer's key name.
    public let name: String
    /// The 32-bit key ID (big-endian in the encoding).
    public let keyID: UInt32
    /// The signature bytes after the key ID (64 bytes for Ed25519, 72 for a cosignature/v1).
    public let signature: [UInt8]

    /// Creates a signature line.
    /// - Throws: ``NoteError`` `.invalidKeyName` for an empty name or one containing a Unicode
    ///   space or `+`; `.malformedNote` for an empty signature.
    public init(name: String, keyID: UInt32, signature: [UInt8]) throws(NoteError) {
        try NoteKeyName.validate(name)
        guard !signature.isEmpty else {
            throw NoteError(code: .malformedNote, reason: "empty signature for key \(name)")
        }
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// Parses one signature line without its newline. `number` counts lines from 1 for errors.
    init(parsingLine line: [UInt8], number: Int) throws(NoteError) {
        let prefix: [UInt8] = Array("\u{2014} ".utf8)
        guard line.starts(with: prefix) else {
            throw NoteError(code: .malformedNote, reason: "signature line \(number) does not start with an em dash and a space")
        }
        let rest = line[prefix.count...]
        guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else {
            throw NoteError(code: .malformedNote, reason: "signature line \(number) has no space before its signature")
        }
        let name = String(decoding: rest[..<space], as: UTF8.self)
        guard let decoded = Base64.decode(canonical: Array(rest[(space + 1)...])), decoded.count > 4 else {
            throw NoteError(code: .malformedNote, reason: "signature line \(number) has malformed base64 or is too short")
        }
        let keyID = decoded[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        try self.init(name: name, keyID: keyID, signature: Array(decoded[4...]))
    }

    /// The serialised signature line, including its final newline.
    public var line: String {
        "\u{2014} \(name) \(Base64.encode(NoteKeyID.bytes(keyID) + signature))\n"
    }
}

/// Key name rules of c2sp.org/signed-note.
enum NoteKeyName {
    /// Names must be non-empty and contain neither Unicode spaces nor `+`.
    static func validate(_ name: String) throws(NoteError) {
        guard !name.isEmpty else {
            throw NoteError(code: .invalidKeyName, reason: "key name is empty")
        }
        for scalar in name.unicodeScalars where scalar == "+" || scalar.properties.isWhitespace || scalar.value < 0x20 {
            throw NoteError(code: .invalidKeyName, reason: "key name contains a space, '+' or control character")
        }
    }
}

/// Key IDs: `SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4]`, big-endian.
public enum NoteKeyID {
    /// Signature type `0x01`: Ed25519 note signatures (c2sp.org/signed-note).
    public static let ed25519: UInt8 = 0x01
    /// Signature type `0x04`: timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature).
    public static let cosignatureV1: UInt8 = 0x04

    /// Computes the key ID of a key of `signatureType` named `name`.
    public static func compute(name: String, signatureType: UInt8, publicKey: [UInt8]) -> UInt32 {
        var input = Array(name.utf8)
        input.append(0x0A)
        input.append(signatureType)
        input.append(contentsOf: publicKey)
        return SHA256.hash(input)[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// The four big-endian bytes of a key ID.
    static func bytes(_ keyID: UInt32) -> [UInt8] {
        [UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xFF), UInt8(keyID >> 8 & 0xFF), UInt8(keyID & 0xFF)]
    }
}
