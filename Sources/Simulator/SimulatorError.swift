/// The one error type of the Simulator module: a code, a reason, and the call site.
///
/// Reasons describe configuration problems only; they never contain telemetry values.
public struct SimulatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as an extensible code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A fault name that `FaultKind` does not know.
        public static let unknownFault = Code(rawValue: "unknown-fault")
        /// A configuration value out of its allowed range.
        public static let invalidConfiguration = Code(rawValue: "invalid-configuration")
    }

    /// What kind of problem this is.
    public var code: Code
    /// A human-readable explanation (configuration names only).
    public var reason: String
    /// Where the error was raised (`#fileID`, `#line`).
    public var file: String
    public var line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(reason)" }
}
