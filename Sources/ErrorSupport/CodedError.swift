/// The shape the package's module errors share: an ``ErrorRecord`` of code, reason and call
/// site, read as ``code``, ``reason``, ``file`` and ``line``.
///
/// A conforming type stores its record and adds only what is particular to it (an underlying
/// error, a byte offset, a verification step) and its description.
public protocol CodedError: Error, CustomStringConvertible {
    /// What went wrong, why, and where.
    var record: ErrorRecord<Self> { get }
}

extension CodedError {
    /// What went wrong: an extensible set of codes, the static members of
    /// `extension ErrorCode<ErrorType>`. Compare with them; switch with a `default`.
    public typealias Code = ErrorCode<Self>

    /// What went wrong.
    public var code: Code { record.code }
    /// A short human-readable explanation without data values.
    public var reason: String { record.reason }
    /// The `#fileID` of the place that detected the failure.
    public var file: String { record.location.fileID }
    /// The `#line` of the place that detected the failure.
    public var line: Int { record.location.line }
}
