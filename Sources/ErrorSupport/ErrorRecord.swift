/// What every module error records: what went wrong, why, and where it was detected.
///
/// The reason names rules, lengths, keys and steps: never patient data, reading contents or key
/// material. Error types keep one record and add only what is particular to them.
public struct ErrorRecord<Domain>: Hashable, Sendable {
    /// What went wrong.
    public let code: ErrorCode<Domain>
    /// A short human-readable explanation without data values.
    public let reason: String
    /// The place that detected the failure.
    public let location: SourceLocation

    /// Records a failure; `file` and `line` are the `#fileID` and `#line` defaults of the
    /// throwing API.
    public init(_ code: ErrorCode<Domain>, _ reason: String, file: String, line: Int) {
        self.code = code
        self.reason = reason
        location = SourceLocation(fileID: file, line: line)
    }
}
