public import ErrorSupport

/// An error from decoding RLP or from reading a decoded ``RLPItem`` as a typed value.
///
/// Carries a stable ``code``, the byte ``offset`` in the input where the problem was found
/// (nil for errors about an already decoded item), a short reason and the throwing call site.
/// Never includes the decoded data itself.
public struct RLPError: CodedError, Sendable, OpenErrorCodes {
    /// The code, a short reason without data values, and the throwing site.
    public let record: ErrorRecord<RLPError>
    /// Byte offset in the decoded input, when the error is positional.
    public var offset: Int?

    /// Creates an error recording the call site.
    public init(_ code: Code, offset: Int? = nil, _ reason: String, file: String = #fileID, line: Int = #line) {
        record = ErrorRecord(code, reason, file: file, line: line)
        self.offset = offset
    }

    /// Code, offset, reason and call site.
    public var description: String {
        let at = offset.map { " at byte \($0)" } ?? ""
        return "RLPError.\(code)\(at): \(reason) (\(file):\(line))"
    }
}
