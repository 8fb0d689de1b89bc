/// The one error type of ledger backends.
///
/// Reasons name the rule or the step that failed; never reading content or key material.
public struct LedgerError: Error, CustomStringConvertible {
    /// What went wrong. An extensible set of codes: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The request itself is invalid.
        public static let invalidRequest = Code("invalidRequest")
        /// The node cannot be reached, refused or timed out: retry later.
        public static let unavailable = Code("unavailable")
        /// The node answered with something that is not a well-formed response.
        public static let malformedResponse = Code("malformedResponse")
        /// The node rejected the submission (e.g. insufficient funds, underpriced).
        public static let rejected = Code("rejected")
        /// The node served data that contradicts what it must be (wrong header, receipts that do
        /// not match the root, a forged event, a chain that does not link, the wrong chain id).
        public static let untrustworthyNode = Code("untrustworthyNode")
        /// Evidence does not verify offline; the reason names the failed step.
        public static let invalidEvidence = Code("invalidEvidence")
        /// A configuration value is invalid (key, chain id, contract address, endpoint).
        public static let invalidConfiguration = Code("invalidConfiguration")

        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// A short explanation.
    public let reason: String
    /// The verification step that failed, for `.invalidEvidence` and `.untrustworthyNode`.
    public let step: String?
    /// The underlying error, if any.
    public let underlying: (any Error)?
    /// The `#fileID` of the place that detected the failure.
    public let file: String
    /// The `#line` of the place that detected the failure.
    public let line: Int

    /// Creates an error.
    public init(code: Code, reason: String, step: String? = nil, underlying: (any Error)? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.step = step
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "ledger error (\(code))"
        if let step { text += " at step \(step)" }
        text += ": \(reason)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
