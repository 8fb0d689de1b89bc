public import ErrorSupport

/// A configuration problem: what kind, where (file, line, key), and why.
///
/// Reasons name keys and the expected form only; they never repeat a configured value, so a
/// password or token put in the wrong place does not end up in a log.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible, OpenErrorCodes {
    /// What went wrong, as an extensible code.
    public typealias Code = ErrorCode<ConfigError>

    /// What kind of problem this is.
    public var code: Code
    /// The configuration file, when the problem came from one.
    public var path: String?
    /// The 1-based line in `path`, when known.
    public var line: Int?
    /// The dotted key (`mqtt.keepalive_seconds`) or section (`mqtt.tls`) concerned, when known.
    public var key: String?
    /// A human-readable explanation that never contains configured values.
    public var reason: String
    /// Where the error was raised (`#fileID:#line`).
    public var sourceLocation: String

    /// An error raised here (`fileID`/`sourceLine` record the call site).
    public init(_ code: Code, line: Int? = nil, key: String? = nil, path: String? = nil, _ reason: String,
                fileID: String = #fileID, sourceLine: Int = #line) {
        self.code = code
        self.line = line
        self.key = key
        self.path = path
        self.reason = reason
        self.sourceLocation = "\(fileID):\(sourceLine)"
    }

    /// `path:line: key: reason`, leaving out the parts that are unknown.
    public var description: String {
        let location: String? = switch (path, line) {
        case let (path?, line?): "\(path):\(line)"
        case let (path?, nil): path
        case let (nil, line?): "line \(line)"
        case (nil, nil): nil
        }
        return ([location, key].compactMap { $0 } + [reason]).joined(separator: ": ")
    }

    /// The same error attributed to a file and, when it had none, a line.
    func located(path: String?, line: Int?) -> ConfigError {
        var copy = self
        copy.path = copy.path ?? path
        copy.line = copy.line ?? line
        return copy
    }
}
