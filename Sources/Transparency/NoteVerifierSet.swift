/// The trusted keys a client checks notes against, looked up by (key name, key ID).
///
/// Implements the verification rules of c2sp.org/signed-note: signatures from unknown keys
/// (name or ID not both matching a known key) are ignored but reported; every signature from
/// a known key must verify, otherwise the whole note is rejected; and at least one must exist.
public struct NoteVerifierSet: Sendable {
    private struct Identity: Hashable {
        let name: String
        let keyID: UInt32
    }

    private let verifiers: [Identity: any NoteVerifier]

    /// Creates a set of trusted verifiers.
    /// - Throws: ``NoteError`` `.duplicateVerifier` if two share a name and key ID.
    public init(_ verifiers: [any NoteVerifier]) throws(NoteError) {
        var table: [Identity: any NoteVerifier] = [:]
        for verifier in verifiers {
            let identity = Identity(name: verifier.name, keyID: verifier.keyID)
            guard table[identity] == nil else {
                throw NoteError(code: .duplicateVerifier, reason: "two verifiers for key \(verifier.name)")
            }
            table[identity] = verifier
        }
        self.verifiers = table
    }

    /// Parses and verifies a serialised note. See ``verify(_:)``.
    public func open(_ bytes: [UInt8]) throws(NoteError) -> VerifiedNote {
        try verify(Note(parsing: bytes))
    }

    /// Verifies a parsed note.
    ///
    /// - Returns: the note, the signatures of known keys that verified (one entry per key,
    ///   in note order) and the signatures of unknown keys, which are ignored.
    /// - Throws: ``NoteError`` `.invalidSignature` if a signature of a known key fails,
    ///   `.noKnownSignature` if no known key signed.
    public func verify(_ note: Note) throws(NoteError) -> VerifiedNote {
        let text = Array(note.text.utf8)
        var verified: [VerifiedNoteSignature] = []
        var seen: Set<Identity> = []
        var unknown: [NoteSignature] = []
        for signature in note.signatures {
            let identity = Identity(name: signature.name, keyID: signature.keyID)
            guard let verifier = verifiers[identity] else {
                unknown.append(signature)
                continue
            }
            guard verifier.verify(text: text, signature: signature.signature) else {
                throw NoteError(code: .invalidSignature, reason: "signature of known key \(signature.name) does not verify")
            }
            if seen.insert(identity).inserted {
                verified.append(VerifiedNoteSignature(signature: signature,
                                                      timestamp: verifier.timestamp(of: signature.signature)))
            }
        }
        guard !verified.isEmpty else {
            throw NoteError(code: .noKnownSignature,
                            reason: "none of the \(note.signatures.count) signatures is from a known key")
        }
        return VerifiedNote(note: note, verifiedSignatures: verified, unknownSignatures: unknown)
    }
}

/// A note with at least one valid signature from a trusted key.
public struct VerifiedNote: Sendable, Equatable {
    /// The note as parsed.
    public let note: Note
    /// The signatures of known keys, all valid, one per key.
    public let verifiedSignatures: [VerifiedNoteSignature]
    /// The signatures of keys the verifier set does not know; not checked.
    public let unknownSignatures: [NoteSignature]

    /// The verified text.
    public var text: String { note.text }

    /// Whether the key `name` with `keyID` signed the note.
    public func isSigned(by name: String, keyID: UInt32) -> Bool {
        verifiedSignatures.contains { $0.signature.name == name && $0.signature.keyID == keyID }
    }
}

/// A signature that verified under a trusted key.
public struct VerifiedNoteSignature: Sendable, Equatable {
    /// The signature line.
    public let signature: NoteSignature
    /// The signing time for timestamped types (cosignature/v1), in POSIX seconds.
    public let timestamp: UInt64?
}
