/// The place in this package's code that detected a failure: a `#fileID` and a `#line`.
///
/// It names code, never data.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The `#fileID` (`Module/File.swift`) of the place that detected the failure.
    public let fileID: String
    /// The `#line` of the place that detected the failure.
    public let line: Int

    /// Records the caller's location, or the one passed on from a throwing API's own defaults.
    public init(fileID: String = #fileID, line: Int = #line) {
        self.fileID = fileID
        self.line = line
    }

    /// `fileID:line`.
    public var description: String { "\(fileID):\(line)" }
}
