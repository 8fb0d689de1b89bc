/// Names an error type built on ``ModuleError``: its `Domain`.
public protocol ErrorDomain {
    /// The error type's name, which starts its descriptions (`SealingError`).
    static var errorName: String { get }
}

/// An error that is a code, a reason, an optional underlying error and the call site, and
/// nothing more: the whole error type of modules that need no other fields, declared as
/// `public typealias SealingError = ModuleError<SealingErrorDomain>`.
public struct ModuleError<Domain: ErrorDomain>: CodedError {
    /// What went wrong, why, and where.
    public let record: ErrorRecord<Self>
    /// The error behind this one, if any.
    public let underlying: (any Error)?

    /// Creates an error recording the call site.
    public init(code: Code, reason: String, underlying: (any Error)? = nil,
                file: String = #fileID, line: Int = #line) {
        record = ErrorRecord(code, reason, file: file, line: line)
        self.underlying = underlying
    }

    /// `Name.code: reason [underlying: error] (at file:line)`, without the brackets when there is
    /// no underlying error; a file-system error is given in the C library's words.
    public var description: String {
        var text = "\(Domain.errorName).\(code): \(reason)"
        if let underlying {
            text += " [underlying: \(SystemErrorText.describe(underlying))]"
        }
        return text + " (at \(file):\(line))"
    }
}
