/// An error from the vault: a code, a reason, the underlying error, and the call site.
/// Never carries reading contents, patient identifiers or SQL arguments.
public struct VaultError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let storage = Code(rawValue: "storage")
        public static let crypto = Code(rawValue: "crypto")
        public static let keyFile = Code(rawValue: "key_file")
        public static let migration = Code(rawValue: "migration")
        /// A stored row failed authentication or does not decode (tampering or corruption).
        public static let corruptRow = Code(rawValue: "corrupt_row")
        /// The patient's data key was erased.
        public static let erased = Code(rawValue: "erased")
        /// The requested row does not exist or cannot be proven yet.
        public static let notFound = Code(rawValue: "not_found")
        /// Input from outside (e.g. a cosigned checkpoint) was refused.
        public static let rejected = Code(rawValue: "rejected")
        /// Another agent process holds the vault's writer lock.
        public static let inUse = Code(rawValue: "in_use")
        public var description: String { rawValue }
    }

    public var code: Code
    public var reason: String
    public var underlying: (any Error)?
    public var sourceLocation: String

    public init(_ code: Code, _ reason: String, underlying: (any Error)? = nil,
                fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
        self.sourceLocation = "\(fileID):\(line)"
    }

    public var description: String {
        var text = "vault \(code): \(reason)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
