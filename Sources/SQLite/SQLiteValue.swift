/// A value stored in or bound to SQLite, one case per SQLite storage class.
///
/// Literals work where a `SQLiteValue` is expected: `nil`, `42`, `1.5`, `"text"`.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLiteValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension SQLiteValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension SQLiteValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) {
        self = .real(value)
    }
}

extension SQLiteValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}

extension SQLiteValue {
    /// The integer, or nil for any other case.
    public var integerValue: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// The real number, or nil for any other case.
    public var realValue: Double? {
        if case .real(let value) = self { value } else { nil }
    }

    /// The text, or nil for any other case.
    public var textValue: String? {
        if case .text(let value) = self { value } else { nil }
    }

    /// The blob, or nil for any other case.
    public var blobValue: [UInt8]? {
        if case .blob(let value) = self { value } else { nil }
    }

    /// Whether this is ``null``.
    public var isNull: Bool {
        self == .null
    }
}
