/// The error thrown when parsing, signing or verifying signed notes, verifier keys,
/// checkpoints and cosignatures.
///
/// Descriptions name the rule that failed and, where useful, a key name or line number; they
/// never quote note text.
public struct NoteError: Error, CustomStringConvertible {
    /// What went wrong. An extensible set of codes: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The note breaks the signed-note syntax (missing final newline or blank line,
        /// malformed signature line, control characters, invalid UTF-8, no signatures).
        public static let malformedNote = Code("malformedNote")
        /// The note exceeds ``Note/maximumByteCount`` or ``Note/maximumSignatureCount``.
        public static let tooLarge = Code("tooLarge")
        /// A key name is empty or contains a Unicode space or `+`.
        public static let invalidKeyName = Code("invalidKeyName")
        /// A verifier key (vkey) is malformed, has an unsupported type, or its key ID does not
        /// match its name and key.
        public static let invalidVerifierKey = Code("invalidVerifierKey")
        /// Two verifiers share a name and key ID.
        public static let duplicateVerifier = Code("duplicateVerifier")
        /// A signature from a known key does not verify; the whole note is rejected.
        public static let invalidSignature = Code("invalidSignature")
        /// No signature from a known key is present (all were from unknown keys).
        public static let noKnownSignature = Code("noKnownSignature")
        /// A checkpoint body breaks c2sp.org/tlog-checkpoint.
        public static let malformedCheckpoint = Code("malformedCheckpoint")
        /// The checkpoint's origin is not the one expected.
        public static let wrongOrigin = Code("wrongOrigin")
        /// The checkpoint was not signed by the log's key.
        public static let missingLogSignature = Code("missingLogSignature")
        /// A cosignature is malformed or its timestamp exceeds 2^63 - 1.
        public static let malformedCosignature = Code("malformedCosignature")
        /// Signing failed inside the crypto module.
        public static let signingFailure = Code("signingFailure")

        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// A short explanation.
    public let reason: String
    /// The underlying error (a ``Cryptography`` failure), if any.
    public let underlying: (any Error)?
    /// The `#fileID` of the place that detected the failure.
    public let file: String
    /// The `#line` of the place that detected the failure.
    public let line: Int

    /// Creates an error.
    public init(code: Code, reason: String, underlying: (any Error)? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "NoteError.\(code): \(reason)"
        if let underlying {
            text += " [underlying: \(underlying)]"
        }
        return text + " (at \(file):\(line))"
    }
}
