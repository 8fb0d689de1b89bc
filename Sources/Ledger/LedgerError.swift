public import ErrorSupport

/// The one error type of ledger backends.
///
/// Reasons name the rule or the step that failed; never reading content or key material.
public struct LedgerError: CodedError {
    /// The code, a short reason, and the place that detected the failure.
    public let record: ErrorRecord<LedgerError>
    /// The verification step that failed, for `.invalidEvidence` and `.untrustworthyNode`.
    public let step: String?
    /// The underlying error, if any.
    public let underlying: (any Error)?

    /// Creates an error.
    public init(code: Code, reason: String, step: String? = nil, underlying: (any Error)? = nil,
                file: String = #fileID, line: Int = #line) {
        record = ErrorRecord(code, reason, file: file, line: line)
        self.step = step
        self.underlying = underlying
    }

    /// `ledger error (code) at step s: reason (underlying)`, leaving out what is absent.
    public var description: String {
        var text = "ledger error (\(code))"
        if let step { text += " at step \(step)" }
        text += ": \(reason)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
