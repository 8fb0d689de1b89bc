/// An error from decoding RLP or from reading a decoded ``RLPItem`` as a typed value.
///
/// Carries a stable ``code``, the byte ``offset`` in the input where the problem was found
/// (nil for errors about an already decoded item), a short reason and the throwing call site.
/// Never includes the decoded data itself.
public struct RLPError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. An extensible set of codes; compare with the static members.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code name.
        public var rawValue: String
        /// Creates a code; prefer the static members.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code name.
        public var description: String { rawValue }

        /// The input ends before the item it announces.
        public static let truncated = Code(rawValue: "truncated")
        /// Bytes remain after the top-level item.
        public static let trailingBytes = Code(rawValue: "trailingBytes")
        /// A single byte below 0x80 was wrapped in a string header (`0x81 0x05`).
        public static let nonCanonicalSingleByte = Code(rawValue: "nonCanonicalSingleByte")
        /// A long-form length has leading zero bytes.
        public static let leadingZeroInLength = Code(rawValue: "leadingZeroInLength")
        /// The long form was used for a payload shorter than 56 bytes.
        public static let nonCanonicalLongForm = Code(rawValue: "nonCanonicalLongForm")
        /// A length does not fit in `Int` or in the enclosing list.
        public static let lengthOverflow = Code(rawValue: "lengthOverflow")
        /// Lists are nested deeper than the decoder's limit.
        public static let depthLimitExceeded = Code(rawValue: "depthLimitExceeded")
        /// A list was found where a byte string was expected, or the reverse.
        public static let unexpectedType = Code(rawValue: "unexpectedType")
        /// An integer has leading zero bytes (a zero must be the empty string).
        public static let nonCanonicalInteger = Code(rawValue: "nonCanonicalInteger")
        /// An integer is wider than the target type.
        public static let integerOverflow = Code(rawValue: "integerOverflow")
        /// A fixed-size byte string (hash, address, bloom) has the wrong length.
        public static let wrongLength = Code(rawValue: "wrongLength")
        /// A list has the wrong number of elements.
        public static let wrongItemCount = Code(rawValue: "wrongItemCount")
    }

    /// What went wrong.
    public var code: Code
    /// Byte offset in the decoded input, when the error is positional.
    public var offset: Int?
    /// A short human-readable explanation without data values.
    public var reason: String
    /// The `#fileID` of the throwing site.
    public var file: String
    /// The line of the throwing site.
    public var line: Int

    /// Creates an error recording the call site.
    public init(_ code: Code, offset: Int? = nil, _ reason: String,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.offset = offset
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// Code, offset, reason and call site.
    public var description: String {
        let at = offset.map { " at byte \($0)" } ?? ""
        return "RLPError.\(code)\(at): \(reason) (\(file):\(line))"
    }
}
