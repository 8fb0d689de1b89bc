import EVMLightClient
import Ledger
import Telemetry

/// Reading Ethereum JSON-RPC values (`QUANTITY`, `DATA`) out of untrusted node answers.
enum NodeValues {
    /// A `QUANTITY` that fits in 64 bits. Leading zeros are tolerated (some nodes send them).
    static func uint64(_ value: JSONValue?, _ what: String) throws(LedgerError) -> UInt64 {
        guard let text = value?.stringValue, text.hasPrefix("0x"), text.count > 2, text.count <= 18 + 32 else {
            throw malformed(what, "is not a hex quantity")
        }
        let digits = text.dropFirst(2).drop { $0 == "0" }
        guard digits.count <= 16 else { throw malformed(what, "does not fit in 64 bits") }
        if digits.isEmpty { return 0 }
        guard let parsed = UInt64(digits, radix: 16) else { throw malformed(what, "is not a hex quantity") }
        return parsed
    }

    /// A `QUANTITY` of up to 256 bits.
    static func quantity(_ value: JSONValue?, _ what: String) throws(LedgerError) -> Quantity {
        guard let text = value?.stringValue, text.hasPrefix("0x"), text.count > 2, text.count <= 2 + 64 + 16 else {
            throw malformed(what, "is not a hex quantity")
        }
        var digits = String(text.dropFirst(2))
        if digits.count % 2 == 1 { digits = "0" + digits }
        guard let bytes = Hex.decode(digits), let quantity = try? Quantity(bigEndian: bytes) else {
            throw malformed(what, "is not a hex quantity of at most 256 bits")
        }
        return quantity
    }

    /// `DATA`: `0x` and an even number of hex digits, at most `maximumBytes`.
    static func data(_ value: JSONValue?, _ what: String, maximumBytes: Int = 1 << 24) throws(LedgerError) -> [UInt8] {
        guard let text = value?.stringValue, text.hasPrefix("0x"), text.utf8.count <= 2 + 2 * maximumBytes,
              let bytes = Hex.decode(text) else {
            throw malformed(what, "is not hex data")
        }
        return bytes
    }

    /// `DATA` of exactly `count` bytes (a hash, an address).
    static func fixedData(_ value: JSONValue?, _ what: String, count: Int) throws(LedgerError) -> [UInt8] {
        let bytes = try data(value, what, maximumBytes: count)
        guard bytes.count == count else { throw malformed(what, "is not \(count) bytes") }
        return bytes
    }

    static func malformed(_ what: String, _ problem: String) -> LedgerError {
        LedgerError(code: .malformedResponse, reason: "\(what) \(problem)")
    }

    /// `0x`-prefixed lower-case hex.
    static func hex(_ bytes: some Sequence<UInt8>) -> JSONValue { .string(Hex.encode(bytes, prefix: true)) }

    /// A `QUANTITY` parameter.
    static func quantity(_ value: UInt64) -> JSONValue { .string(Quantity(value).description) }
}
