/// The one error type thrown by the `Sealing` module.
///
/// Descriptions name the rule that failed and, where useful, a field name, an index or a
/// length. They never contain reading content, salts, patient identifiers or key material.
public struct SealingError: Error, CustomStringConvertible {
    /// What went wrong. An extensible set of codes: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// A salt, commitment, hash or key has the wrong length.
        public static let invalidLength = Code("invalidLength")
        /// A batch policy value is out of range.
        public static let invalidPolicy = Code("invalidPolicy")
        /// A batch header field breaks the header rules (empty batch, bad string, time range).
        public static let invalidHeader = Code("invalidHeader")
        /// Encoded batch header bytes do not decode (wrong magic, version, length, trailing bytes).
        public static let malformedHeader = Code("malformedHeader")
        /// Signing failed inside the crypto module.
        public static let signingFailure = Code("signingFailure")
        /// A batch header signature does not verify under the given key.
        public static let invalidSignature = Code("invalidSignature")
        /// A proof bundle is not valid bundle JSON (syntax, missing or unknown field, wrong type).
        public static let malformedBundle = Code("malformedBundle")
        /// A trust file is not valid (syntax, missing or unknown field, bad key).
        public static let malformedTrust = Code("malformedTrust")
        /// A document declares a version this build does not know.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// A reading id is unknown to the ledger.
        public static let unknownReading = Code("unknownReading")
        /// The reading's batch is still open, or no checkpoint covers its batch yet.
        public static let notYetProvable = Code("notYetProvable")
        /// A Merkle proof could not be built.
        public static let proofFailure = Code("proofFailure")

        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// A short explanation without reading content.
    public let reason: String
    /// The underlying error (a `Cryptography`, `Transparency` or JSON failure), if any.
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
        var text = "SealingError.\(code): \(reason)"
        if let underlying {
            text += " [underlying: \(underlying)]"
        }
        return text + " (at \(file):\(line))"
    }
}
