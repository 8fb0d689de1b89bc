/// A decoded RLP value: a byte string or a list of items.
public enum RLPItem: Sendable, Hashable {
    case bytes([UInt8])
    case list([RLPItem])

    /// The empty byte string (`0x80`), RLP's zero and "nothing".
    public static let empty = RLPItem.bytes([])

    /// An unsigned integer as a minimal big-endian byte string (zero is the empty string).
    public static func uint(_ value: UInt64) -> RLPItem {
        .bytes(RLP.bigEndianBytes(value))
    }

    /// An unsigned integer given as big-endian bytes; leading zero bytes are removed.
    public static func bigEndianInteger(_ bytes: some Collection<UInt8>) -> RLPItem {
        .bytes(Array(bytes.drop { $0 == 0 }))
    }

    /// The bytes of a byte string, or nil for a list.
    public var bytesValue: [UInt8]? {
        if case .bytes(let bytes) = self { bytes } else { nil }
    }

    /// The elements of a list, or nil for a byte string.
    public var listValue: [RLPItem]? {
        if case .list(let items) = self { items } else { nil }
    }

    /// The bytes of a byte string; throws `unexpectedType` for a list.
    public func asBytes(_ what: @autoclosure () -> String = "value") throws(RLPError) -> [UInt8] {
        guard case .bytes(let bytes) = self else {
            throw RLPError(.unexpectedType, "\(what()): expected a byte string, found a list")
        }
        return bytes
    }

    /// The elements of a list; throws `unexpectedType` for a byte string.
    public func asList(_ what: @autoclosure () -> String = "value") throws(RLPError) -> [RLPItem] {
        guard case .list(let items) = self else {
            throw RLPError(.unexpectedType, "\(what()): expected a list, found a byte string")
        }
        return items
    }

    /// The elements of a list that must have exactly `count` elements.
    public func asList(count: Int, _ what: @autoclosure () -> String = "value") throws(RLPError) -> [RLPItem] {
        let items = try asList(what())
        guard items.count == count else {
            throw RLPError(.wrongItemCount, "\(what()): expected \(count) elements, found \(items.count)")
        }
        return items
    }

    /// A byte string of exactly `count` bytes (a hash, an address, a bloom filter).
    public func asFixedBytes(count: Int, _ what: @autoclosure () -> String = "value") throws(RLPError) -> [UInt8] {
        let bytes = try asBytes(what())
        guard bytes.count == count else {
            throw RLPError(.wrongLength, "\(what()): expected \(count) bytes, found \(bytes.count)")
        }
        return bytes
    }

    /// A canonical unsigned integer that fits in 64 bits (no leading zero bytes).
    public func asUInt64(_ what: @autoclosure () -> String = "value") throws(RLPError) -> UInt64 {
        let bytes = try asBigEndianInteger(maxBytes: 8, what())
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A canonical unsigned integer as minimal big-endian bytes (empty for zero), at most
    /// `maxBytes` wide (32 by default, the EVM word size).
    public func asBigEndianInteger(maxBytes: Int = 32,
                                   _ what: @autoclosure () -> String = "value") throws(RLPError) -> [UInt8] {
        let bytes = try asBytes(what())
        if let first = bytes.first, first == 0 {
            throw RLPError(.nonCanonicalInteger, "\(what()): integer has a leading zero byte")
        }
        guard bytes.count <= maxBytes else {
            throw RLPError(.integerOverflow, "\(what()): integer of \(bytes.count) bytes exceeds \(maxBytes)")
        }
        return bytes
    }
}
