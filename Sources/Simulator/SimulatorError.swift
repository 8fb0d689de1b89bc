public import ErrorSupport

/// The one error type of the Simulator module: a code, a reason, and the call site.
///
/// Reasons describe configuration problems only; they never contain telemetry values.
public struct SimulatorError: CodedError, Sendable, Equatable, OpenErrorCodes {
    /// The code, a human-readable reason (configuration names only), and where the error was raised.
    public let record: ErrorRecord<SimulatorError>

    /// Creates an error recording the call site.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        record = ErrorRecord(code, reason, file: file, line: line)
    }

    /// `code: reason`.
    public var description: String { "\(code): \(reason)" }
}
