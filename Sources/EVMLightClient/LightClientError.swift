/// An error from the light-client layers above RLP: trie proofs, headers, blocks, receipts and
/// QBFT extraData.
///
/// Carries a stable ``code``, a short reason, the underlying ``RLPError`` when a structure failed
/// to decode, and the throwing call site. Never includes the decoded data itself.
public struct LightClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. An extensible set of codes; compare with the static members.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code name.
        public var rawValue: String
        /// Creates a code; prefer the static members.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code name.
        public var description: String { rawValue }

        /// A trie root is not 32 bytes.
        public static let invalidRoot = Code(rawValue: "invalidRoot")
        /// A proof node does not hash to the reference that points at it.
        public static let proofHashMismatch = Code(rawValue: "proofHashMismatch")
        /// The path needs a node that the proof does not contain.
        public static let proofMissingNode = Code(rawValue: "proofMissingNode")
        /// The proof holds nodes that the path never reached.
        public static let proofUnusedNodes = Code(rawValue: "proofUnusedNodes")
        /// A proof node is not a well-formed trie node.
        public static let malformedProofNode = Code(rawValue: "malformedProofNode")
        /// A block header does not decode.
        public static let malformedHeader = Code(rawValue: "malformedHeader")
        /// A block does not decode.
        public static let malformedBlock = Code(rawValue: "malformedBlock")
        /// A receipt does not decode.
        public static let malformedReceipt = Code(rawValue: "malformedReceipt")
        /// A header's extraData is not a valid QBFT extraData structure.
        public static let malformedExtraData = Code(rawValue: "malformedExtraData")
    }

    /// What went wrong.
    public var code: Code
    /// A short human-readable explanation without data values.
    public var reason: String
    /// The RLP error behind a decoding failure, if any.
    public var underlying: RLPError?
    /// The `#fileID` of the throwing site.
    public var file: String
    /// The line of the throwing site.
    public var line: Int

    /// Creates an error recording the call site.
    public init(_ code: Code, _ reason: String, underlying: RLPError? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    /// Code, reason, call site and cause.
    public var description: String {
        let cause = underlying.map { "; caused by \($0)" } ?? ""
        return "LightClientError.\(code): \(reason) (\(file):\(line))\(cause)"
    }
}
