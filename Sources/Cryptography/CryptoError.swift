public import ErrorSupport

/// The one error type thrown by the `Cryptography` module.
///
/// A `CryptoError` carries a machine-readable ``code``, a short human-readable ``reason``,
/// the text of OpenSSL's thread-local error queue at the time of the failure (empty for
/// errors detected by this module before calling OpenSSL) and the source location inside
/// this module where the failure was detected.
///
/// Descriptions never contain key material, plaintext or other caller-supplied bytes; only
/// lengths, operation names and OpenSSL's own error strings.
public struct CryptoError: CodedError, Sendable {
    /// The code, the reason (e.g. the failing OpenSSL function or the expected length) and the
    /// place in this module that detected the failure.
    public let record: ErrorRecord<CryptoError>
    /// OpenSSL's error queue, drained at the time of the failure, entries joined by "; ".
    /// Empty when the error was detected before calling OpenSSL.
    public let openSSLErrors: String

    /// Creates an error. For ``Code/openSSLFailure``, pass the drained queue as `openSSLErrors`.
    public init(code: Code, reason: String, openSSLErrors: String = "", file: String = #fileID, line: Int = #line) {
        record = ErrorRecord(code, reason, file: file, line: line)
        self.openSSLErrors = openSSLErrors
    }

    /// `CryptoError.code: reason [OpenSSL: queue] (at file:line)`, without the brackets when the
    /// queue is empty.
    public var description: String {
        let queue = openSSLErrors.isEmpty ? "" : " [OpenSSL: \(openSSLErrors)]"
        return "CryptoError.\(code): \(reason)\(queue) (at \(file):\(line))"
    }
}
