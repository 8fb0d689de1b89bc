public import ErrorSupport

/// The codes of ``SimulatorError``.
extension ErrorCode<SimulatorError> {
    /// A fault name that `FaultKind` does not know.
    public static var unknownFault: Self { Self("unknown-fault") }
    /// A configuration value out of its allowed range.
    public static var invalidConfiguration: Self { Self("invalid-configuration") }
}
