public import ErrorSupport

/// The codes of ``SealingError``.
extension ErrorCode<SealingError> {
    /// A salt, commitment, hash or key has the wrong length.
    public static var invalidLength: Self { Self("invalidLength") }
    /// A batch policy value is out of range.
    public static var invalidPolicy: Self { Self("invalidPolicy") }
    /// A batch header field breaks the header rules (empty batch, bad string, time range).
    public static var invalidHeader: Self { Self("invalidHeader") }
    /// Encoded batch header bytes do not decode (wrong magic, version, length, trailing bytes).
    public static var malformedHeader: Self { Self("malformedHeader") }
    /// Signing failed inside the crypto module.
    public static var signingFailure: Self { Self("signingFailure") }
    /// A batch header signature does not verify under the given key.
    public static var invalidSignature: Self { Self("invalidSignature") }
    /// A proof bundle is not valid bundle JSON (syntax, missing or unknown field, wrong type).
    public static var malformedBundle: Self { Self("malformedBundle") }
    /// A trust file is not valid (syntax, missing or unknown field, bad key).
    public static var malformedTrust: Self { Self("malformedTrust") }
    /// A document declares a version this build does not know.
    public static var unsupportedVersion: Self { Self("unsupportedVersion") }
    /// A reading id is unknown to the ledger.
    public static var unknownReading: Self { Self("unknownReading") }
    /// The reading's batch is still open, or no checkpoint covers its batch yet.
    public static var notYetProvable: Self { Self("notYetProvable") }
    /// A Merkle proof could not be built.
    public static var proofFailure: Self { Self("proofFailure") }
}
