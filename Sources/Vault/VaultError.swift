public import ErrorSupport

/// An error from the vault: a code, a reason, the underlying error, and the call site.
/// Never carries reading contents, patient identifiers or SQL arguments.
public struct VaultError: Error, Sendable, CustomStringConvertible, OpenErrorCodes {
    /// What went wrong, as an extensible code.
    public typealias Code = ErrorCode<VaultError>

    /// What went wrong.
    public var code: Code
    /// A short explanation without data values.
    public var reason: String
    /// The error behind this one (SQLite, Cryptography, the file system), if any.
    public var underlying: (any Error)?
    /// Where the error was raised (`#fileID:#line`).
    public var sourceLocation: String

    /// Creates an error recording the call site.
    public init(_ code: Code, _ reason: String, underlying: (any Error)? = nil,
                fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
        self.sourceLocation = "\(fileID):\(line)"
    }

    /// `vault code: reason (underlying)`; a file-system error is given in the C library's words.
    public var description: String {
        var text = "vault \(code): \(reason)"
        if let underlying { text += " (\(SystemErrorText.describe(underlying)))" }
        return text
    }
}
