/// Recursive Length Prefix encoding (Ethereum Yellow Paper, appendix B).
///
/// ``decode(_:maxDepth:)`` is strict: it accepts only the canonical encoding of an item, so
/// `RLP.encode(try RLP.decode(bytes)) == bytes` for every accepted input. It rejects truncated
/// input, trailing bytes, a single byte below 0x80 wrapped in a string header, long-form lengths
/// with leading zeros or for payloads under 56 bytes, lengths that overflow, and lists nested
/// deeper than `maxDepth`.
public enum RLP {
    /// The default limit on list nesting accepted by ``decode(_:maxDepth:)``.
    public static let defaultMaxDepth = 64

    // MARK: Encoding

    /// Encodes an item.
    public static func encode(_ item: RLPItem) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedLength(item))
        append(item, to: &out)
        return out
    }

    /// Encodes a byte string.
    public static func encode(bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 9)
        appendBytes(bytes, to: &out)
        return out
    }

    /// Encodes an unsigned integer (minimal big-endian; zero is `0x80`).
    public static func encode(_ value: UInt64) -> [UInt8] {
        encode(bytes: bigEndianBytes(value))
    }

    /// The length of `item`'s encoding, without encoding it.
    public static func encodedLength(_ item: RLPItem) -> Int {
        switch item {
        case .bytes(let bytes):
            if bytes.count == 1 && bytes[0] < 0x80 { return 1 }
            return headerLength(bytes.count) + bytes.count
        case .list(let items):
            let payload = items.reduce(0) { $0 + encodedLength($1) }
            return headerLength(payload) + payload
        }
    }

    private static func headerLength(_ payload: Int) -> Int {
        payload < 56 ? 1 : 1 + bigEndianBytes(UInt64(payload)).count
    }

    private static func append(_ item: RLPItem, to out: inout [UInt8]) {
        switch item {
        case .bytes(let bytes):
            appendBytes(bytes, to: &out)
        case .list(let items):
            let payload = items.reduce(0) { $0 + encodedLength($1) }
            appendHeader(payload, offset: 0xC0, to: &out)
            for child in items { append(child, to: &out) }
        }
    }

    private static func appendBytes(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        if bytes.count == 1, let byte = bytes.first, byte < 0x80 {
            out.append(byte)
        } else {
            appendHeader(bytes.count, offset: 0x80, to: &out)
            out.append(contentsOf: bytes)
        }
    }

    private static func appendHeader(_ length: Int, offset: UInt8, to out: inout [UInt8]) {
        if length < 56 {
            out.append(offset + UInt8(length))
        } else {
            let lengthBytes = bigEndianBytes(UInt64(length))
            out.append(offset + 55 + UInt8(lengthBytes.count))
            out.append(contentsOf: lengthBytes)
        }
    }

    // MARK: Integers

    /// The minimal big-endian bytes of `value` (empty for zero).
    public static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        let count = (64 - value.leadingZeroBitCount + 7) / 8
        return (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
    }

    // MARK: Decoding

    /// Decodes exactly one canonical item from `bytes`.
    ///
    /// - Parameter maxDepth: the deepest list nesting accepted (the top-level list is depth 1).
    /// - Throws: ``RLPError`` with the offset of the offending byte.
    public static func decode(_ bytes: some Collection<UInt8>,
                              maxDepth: Int = defaultMaxDepth) throws(RLPError) -> RLPItem {
        let input = Array(bytes)
        var decoder = Decoder(input: input, maxDepth: maxDepth)
        let item = try decoder.item(end: input.count, depth: 0)
        guard decoder.position == input.count else {
            throw RLPError(.trailingBytes, offset: decoder.position,
                           "\(input.count - decoder.position) bytes after the item")
        }
        return item
    }

    private struct Decoder {
        let input: [UInt8]
        let maxDepth: Int
        var position = 0

        /// Reads one item that must end at or before `end`.
        mutating func item(end: Int, depth: Int) throws(RLPError) -> RLPItem {
            let start = position
            guard start < end else { throw RLPError(.truncated, offset: start, "expected an item") }
            let prefix = input[start]
            position += 1
            switch prefix {
            case 0x00...0x7F:
                return .bytes([prefix])
            case 0x80...0xB7:
                let length = Int(prefix - 0x80)
                let payload = try take(length, end: end, start: start)
                if length == 1 && input[payload.lowerBound] < 0x80 {
                    throw RLPError(.nonCanonicalSingleByte, offset: start, "single byte below 0x80 must not have a header")
                }
                return .bytes(Array(input[payload]))
            case 0xB8...0xBF:
                let length = try longLength(count: Int(prefix - 0xB7), end: end, start: start)
                return .bytes(Array(input[try take(length, end: end, start: start)]))
            case 0xC0...0xF7:
                return try list(length: Int(prefix - 0xC0), end: end, depth: depth, start: start)
            default:
                let length = try longLength(count: Int(prefix - 0xF7), end: end, start: start)
                return try list(length: length, end: end, depth: depth, start: start)
            }
        }

        private mutating func list(length: Int, end: Int, depth: Int, start: Int) throws(RLPError) -> RLPItem {
            guard depth < maxDepth else {
                throw RLPError(.depthLimitExceeded, offset: start, "lists nested deeper than \(maxDepth)")
            }
            let payload = try take(length, end: end, start: start)
            position = payload.lowerBound
            var items: [RLPItem] = []
            while position < payload.upperBound {
                items.append(try item(end: payload.upperBound, depth: depth + 1))
            }
            return .list(items)
        }

        /// Reserves `length` payload bytes after the header, checking they are inside `end`.
        private mutating func take(_ length: Int, end: Int, start: Int) throws(RLPError) -> Range<Int> {
            guard length <= end - position else {
                throw RLPError(.truncated, offset: start, "item of \(length) bytes runs past the end of its container")
            }
            defer { position += length }
            return position..<(position + length)
        }

        /// Reads a long-form length of `count` big-endian bytes.
        private mutating func longLength(count: Int, end: Int, start: Int) throws(RLPError) -> Int {
            guard count <= end - position else {
                throw RLPError(.truncated, offset: start, "length field runs past the end of input")
            }
            guard input[position] != 0 else {
                throw RLPError(.leadingZeroInLength, offset: start, "long-form length has a leading zero")
            }
            var value: UInt64 = 0
            for index in position..<(position + count) { value = value << 8 | UInt64(input[index]) }
            position += count
            guard let length = Int(exactly: value), length <= Int(Int32.max) else {
                throw RLPError(.lengthOverflow, offset: start, "length does not fit the decoder's limit")
            }
            guard length >= 56 else {
                throw RLPError(.nonCanonicalLongForm, offset: start, "long form used for a \(length)-byte payload")
            }
            return length
        }
    }
}
