/// Appends a compact JSON object straight into a byte array, in the key order of DEVICES.md.
///
/// Keys are static ASCII; numbers are written without going through `String`, fixed-point
/// values with exactly the requested decimals (`37.0`, `0.98`). One allocation per payload.
struct PayloadWriter {
    private(set) var bytes: [UInt8]
    private var needsComma = false

    init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// A reading's payload, begun with its sequence number and device time (`seq`, `ts`).
    init(seq: UInt32, ts: Int64, capacity: Int) {
        self.init(capacity: capacity)
        int("seq", Int64(seq))
        int("ts", ts)
    }

    /// Closes the object and returns the payload.
    consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func int(_ name: StaticString, _ value: Int64) {
        key(name)
        Self.appendInteger(value, to: &bytes)
    }

    mutating func int(_ name: StaticString, _ value: Int) { int(name, Int64(value)) }

    /// `value` rounded to `decimals` places and always written with them (`36.8`, `1.00`).
    mutating func fixed(_ name: StaticString, _ value: Double, decimals: Int) {
        key(name)
        Self.appendFixed(value, decimals: decimals, to: &bytes)
    }

    mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        appendString(value)
    }

    mutating func null(_ name: StaticString) {
        key(name)
        bytes.append(contentsOf: "null".utf8)
    }

    mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// An ISO 8601 UTC timestamp string, with milliseconds or whole seconds.
    mutating func timestamp(_ name: StaticString, _ ms: Int64, milliseconds: Bool) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        ISO8601.append(ms, milliseconds: milliseconds, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func intArray(_ name: StaticString, _ values: some Sequence<Int>) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        var first = true
        for value in values {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            Self.appendInteger(Int64(value), to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func fixedArray(_ name: StaticString, _ values: [Double], decimals: Int) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, value) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendFixed(value, decimals: decimals, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Opens a nested object under `name`; close it with `endObject()`.
    mutating func beginObject(_ name: StaticString) {
        key(name)
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// A string value with JSON escaping (only simulator-made strings are written, all ASCII).
    mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0..<0x20:
                bytes.append(UInt8(ascii: "?"))
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, minimumDigits: 1, to: &bytes)
    }

    static func appendDigits(_ value: UInt64, minimumDigits: Int, to bytes: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0 || count < minimumDigits
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[i]) }
        }
    }

    static func appendFixed(_ value: Double, decimals: Int, to bytes: inout [UInt8]) {
        precondition(value.isFinite && (0...6).contains(decimals))
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        let magnitude = UInt64(scaled.magnitude)
        if scaled < 0 && magnitude != 0 { bytes.append(UInt8(ascii: "-")) }
        let unit = UInt64(scale)
        appendDigits(magnitude / unit, minimumDigits: 1, to: &bytes)
        if decimals > 0 {
            bytes.append(UInt8(ascii: "."))
            appendDigits(magnitude % unit, minimumDigits: decimals, to: &bytes)
        }
    }
}
