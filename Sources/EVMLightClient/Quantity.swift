import Telemetry

/// An unsigned integer of up to 256 bits (an EVM word): wei amounts, fees, gas prices.
///
/// Held as minimal big-endian bytes, exactly the RLP integer form (zero is the empty array), so
/// values above `UInt64.max` need no big-integer library. Build small values from `UInt64` or an
/// integer literal.
public struct Quantity: Sendable, Hashable, Comparable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The maximum width: 32 bytes.
    public static let maximumByteCount = 32
    /// Zero.
    public static let zero = Quantity(0)

    /// Minimal big-endian bytes: no leading zero byte, empty for zero.
    public let bigEndianBytes: [UInt8]

    /// The value of a `UInt64`.
    public init(_ value: UInt64) {
        bigEndianBytes = RLP.bigEndianBytes(value)
    }

    /// An integer literal.
    public init(integerLiteral value: UInt64) {
        self.init(value)
    }

    /// A big-endian integer of any width; leading zero bytes are dropped.
    /// - Throws: ``LightClientError`` `.malformedTransaction` if the value needs more than 32 bytes.
    public init(bigEndian bytes: some Collection<UInt8>) throws(LightClientError) {
        let minimal = Array(bytes.drop { $0 == 0 })
        guard minimal.count <= Self.maximumByteCount else {
            throw LightClientError(.malformedTransaction, "integer of \(minimal.count) bytes exceeds 32")
        }
        bigEndianBytes = minimal
    }

    /// Parses a JSON-RPC `QUANTITY` (`0x` followed by hex digits without leading zeros; `0x0` is
    /// zero). Returns nil for anything else.
    public init?(hexQuantity text: some StringProtocol) {
        guard text.hasPrefix("0x"), text.count > 2 else { return nil }
        var digits = String(text.dropFirst(2))
        if digits != "0" && digits.hasPrefix("0") { return nil }
        if digits.count % 2 == 1 { digits = "0" + digits }
        guard let bytes = Hex.decode(digits), let value = try? Quantity(bigEndian: bytes) else { return nil }
        self = value
    }

    /// The value as a `UInt64`, or nil if it does not fit.
    public var uint64Value: UInt64? {
        guard bigEndianBytes.count <= 8 else { return nil }
        return bigEndianBytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The RLP item (a minimal big-endian byte string).
    public var rlpItem: RLPItem { .bytes(bigEndianBytes) }

    /// The JSON-RPC `QUANTITY` form: `0x` and hex digits without leading zeros (`0x0` for zero).
    public var description: String {
        let hex = Hex.encode(bigEndianBytes)
        let trimmed = hex.drop { $0 == "0" }
        return "0x" + (trimmed.isEmpty ? "0" : trimmed)
    }

    /// Numeric order.
    public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
        if lhs.bigEndianBytes.count != rhs.bigEndianBytes.count {
            return lhs.bigEndianBytes.count < rhs.bigEndianBytes.count
        }
        return lhs.bigEndianBytes.lexicographicallyPrecedes(rhs.bigEndianBytes)
    }
}
