public import ErrorSupport

/// An error from the light-client layers above RLP: trie proofs, headers, blocks, receipts and
/// QBFT extraData.
///
/// Carries a stable ``code``, a short reason, the underlying ``RLPError`` when a structure failed
/// to decode, and the throwing call site. Never includes the decoded data itself.
public struct LightClientError: CodedError, Sendable, OpenErrorCodes {
    /// The code, a short reason without data values, and the throwing site.
    public let record: ErrorRecord<LightClientError>
    /// The RLP error behind a decoding failure, if any.
    public var underlying: RLPError?

    /// Creates an error recording the call site.
    public init(_ code: Code, _ reason: String, underlying: RLPError? = nil,
                file: String = #fileID, line: Int = #line) {
        record = ErrorRecord(code, reason, file: file, line: line)
        self.underlying = underlying
    }

    /// Code, reason, call site and cause.
    public var description: String {
        let cause = underlying.map { "; caused by \($0)" } ?? ""
        return "LightClientError.\(code): \(reason) (\(file):\(line))\(cause)"
    }
}
