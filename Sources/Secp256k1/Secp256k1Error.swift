public import ErrorSupport

/// The one error type thrown by the `Secp256k1` module.
///
/// Carries a stable ``code``, a short ``reason`` and the call site inside this module that
/// detected the failure. Descriptions never contain key material, signatures or hashes: only
/// lengths, operation names and which check failed.
public struct Secp256k1Error: CodedError, Sendable, OpenErrorCodes {
    /// The code, a reason without key material or other secret or caller-supplied bytes, and the
    /// place in this module that detected the failure.
    public let record: ErrorRecord<Secp256k1Error>

    /// Creates an error recording the call site.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        record = ErrorRecord(code, reason, file: file, line: line)
    }

    /// Code, reason and call site.
    public var description: String { "Secp256k1Error.\(code): \(reason) (\(file):\(line))" }
}
