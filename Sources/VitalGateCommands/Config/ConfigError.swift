/// A configuration problem: what kind, where (file, line, key), and why.
///
/// Reasons name keys and the expected form only; they never repeat a configured value, so a
/// password or token put in the wrong place does not end up in a log.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as an extensible code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code text (`unknown-key`).
        public var rawValue: String
        /// A code; use the named constants below.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code text.
        public var description: String { rawValue }

        /// The file could not be read (or is not UTF-8).
        public static let unreadableFile = Code(rawValue: "unreadable-file")
        /// A `[section]` header that is malformed (or `[[array of tables]]`).
        public static let invalidSectionHeader = Code(rawValue: "invalid-section-header")
        /// A key that is not a bare key (`A-Z a-z 0-9 _ -`).
        public static let invalidKey = Code(rawValue: "invalid-key")
        /// A key not followed by `=`.
        public static let expectedEquals = Code(rawValue: "expected-equals")
        /// Nothing after `=`.
        public static let missingValue = Code(rawValue: "missing-value")
        /// A value that is no string, number, boolean or array of them.
        public static let invalidValue = Code(rawValue: "invalid-value")
        /// A string without its closing quote on the same line.
        public static let unterminatedString = Code(rawValue: "unterminated-string")
        /// A backslash escape other than `\"`, `\\`, `\n`, `\t`.
        public static let invalidEscape = Code(rawValue: "invalid-escape")
        /// An array without its closing bracket.
        public static let unterminatedArray = Code(rawValue: "unterminated-array")
        /// Something after a complete value or header other than a comment.
        public static let trailingCharacters = Code(rawValue: "trailing-characters")
        /// A key given twice in one section.
        public static let duplicateKey = Code(rawValue: "duplicate-key")
        /// A section header given twice.
        public static let duplicateSection = Code(rawValue: "duplicate-section")
        /// A section this program does not know (a typo, usually).
        public static let unknownSection = Code(rawValue: "unknown-section")
        /// A key this program does not know in a known section.
        public static let unknownKey = Code(rawValue: "unknown-key")
        /// A value of the wrong type (a string where a number belongs, ...).
        public static let wrongType = Code(rawValue: "wrong-type")
        /// A well-typed value outside its allowed range or set, or inconsistent settings.
        public static let invalidSetting = Code(rawValue: "invalid-setting")
    }

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
