public import ErrorSupport

/// The codes of ``NoteError``.
extension ErrorCode<NoteError> {
    /// The note breaks the signed-note syntax (missing final newline or blank line,
    /// malformed signature line, control characters, invalid UTF-8, no signatures).
    public static var malformedNote: Self { Self("malformedNote") }
    /// The note exceeds ``Note/maximumByteCount`` or ``Note/maximumSignatureCount``.
    public static var tooLarge: Self { Self("tooLarge") }
    /// A key name is empty or contains a Unicode space or `+`.
    public static var invalidKeyName: Self { Self("invalidKeyName") }
    /// A verifier key (vkey) is malformed, has an unsupported type, or its key ID does not
    /// match its name and key.
    public static var invalidVerifierKey: Self { Self("invalidVerifierKey") }
    /// Two verifiers share a name and key ID.
    public static var duplicateVerifier: Self { Self("duplicateVerifier") }
    /// A signature from a known key does not verify; the whole note is rejected.
    public static var invalidSignature: Self { Self("invalidSignature") }
    /// No signature from a known key is present (all were from unknown keys).
    public static var noKnownSignature: Self { Self("noKnownSignature") }
    /// A checkpoint body breaks c2sp.org/tlog-checkpoint.
    public static var malformedCheckpoint: Self { Self("malformedCheckpoint") }
    /// The checkpoint's origin is not the one expected.
    public static var wrongOrigin: Self { Self("wrongOrigin") }
    /// The checkpoint was not signed by the log's key.
    public static var missingLogSignature: Self { Self("missingLogSignature") }
    /// A cosignature is malformed or its timestamp exceeds 2^63 - 1.
    public static var malformedCosignature: Self { Self("malformedCosignature") }
    /// Signing failed inside the crypto module.
    public static var signingFailure: Self { Self("signingFailure") }
}
