/// A checkpoint as a signed note: signed by the log's key and optionally cosigned by
/// witnesses (c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature).
public struct SignedCheckpoint: Sendable, Equatable {
    /// The checkpoint body.
    public let checkpoint: Checkpoint
    /// The note whose text is ``Checkpoint/body``, with all signature lines.
    public private(set) var note: Note

    /// Signs `checkpoint` with the log's key.
    /// - Throws: ``NoteError`` `.signingFailure`.
    public init(checkpoint: Checkpoint, logSigner: NoteSigner) throws(NoteError) {
        self.checkpoint = checkpoint
        note = try logSigner.sign(Note(text: checkpoint.body))
    }

    /// Parses a serialised signed checkpoint (syntax only; see ``open(_:origin:logVerifier:witnesses:)``).
    /// - Throws: ``NoteError`` `.malformedNote`, `.malformedCheckpoint`, `.tooLarge`.
    public init(parsing bytes: [UInt8]) throws(NoteError) {
        note = try Note(parsing: bytes)
        checkpoint = try Checkpoint(parsing: note.text)
    }

    /// Adds a witness cosignature made at POSIX time `timestamp`.
    /// - Throws: ``NoteError`` `.malformedCosignature`, `.signingFailure`.
    public mutating func addCosignature(by witness: CosignatureSigner, timestamp: UInt64) throws(NoteError) {
        note.append(try witness.cosign(checkpoint, timestamp: timestamp))
    }

    /// The serialised note.
    public var serialized: [UInt8] { note.serialized }

    /// Parses and verifies a signed checkpoint.
    ///
    /// Checks the note syntax and checkpoint body, that the origin is `origin`, that every
    /// signature from the log key or a listed witness verifies, and that the log key signed.
    /// Witness cosignatures are reported with their timestamps (apply a quorum or freshness
    /// policy on ``VerifiedCheckpoint/cosignatures``); signatures from other keys are ignored
    /// and listed in ``VerifiedCheckpoint/unknownSignatures``.
    ///
    /// - Throws: ``NoteError`` `.malformedNote`, `.malformedCheckpoint`, `.wrongOrigin`,
    ///   `.invalidSignature`, `.missingLogSignature`, `.noKnownSignature`,
    ///   `.duplicateVerifier`.
    public static func open(_ bytes: [UInt8], origin: String, logVerifier: any NoteVerifier,
                            witnesses: [any NoteVerifier] = []) throws(NoteError) -> VerifiedCheckpoint {
        let parsed = try SignedCheckpoint(parsing: bytes)
        guard parsed.checkpoint.origin == origin else {
            throw NoteError(code: .wrongOrigin, reason: "checkpoint origin is not \(origin)")
        }
        let verified = try NoteVerifierSet([logVerifier] + witnesses).verify(parsed.note)
        guard verified.isSigned(by: logVerifier.name, keyID: logVerifier.keyID) else {
            throw NoteError(code: .missingLogSignature, reason: "checkpoint is not signed by log key \(logVerifier.name)")
        }
        let cosignatures = verified.verifiedSignatures.filter {
            !($0.signature.name == logVerifier.name && $0.signature.keyID == logVerifier.keyID)
        }.map {
            WitnessCosignature(name: $0.signature.name, keyID: $0.signature.keyID, timestamp: $0.timestamp)
        }
        return VerifiedCheckpoint(checkpoint: parsed.checkpoint, cosignatures: cosignatures,
                                  unknownSignatures: verified.unknownSignatures)
    }
}

/// A checkpoint whose log signature (and any reported witness cosignatures) verified.
public struct VerifiedCheckpoint: Sendable, Equatable {
    /// The checkpoint body.
    public let checkpoint: Checkpoint
    /// The valid cosignatures of the witnesses passed to
    /// ``SignedCheckpoint/open(_:origin:logVerifier:witnesses:)``, one per witness.
    public let cosignatures: [WitnessCosignature]
    /// Signature lines from keys that were not configured; ignored.
    public let unknownSignatures: [NoteSignature]
}

/// A verified witness cosignature.
public struct WitnessCosignature: Sendable, Equatable {
    /// The witness key name.
    public let name: String
    /// The witness key ID.
    public let keyID: UInt32
    /// When the witness cosigned (POSIX seconds); `nil` for a witness verifier type without
    /// timestamps.
    public let timestamp: UInt64?
}
