/// Serialises `JSONValue` deterministically: no whitespace, object keys sorted by their
/// UTF-8 bytes, integers (|x| < 2^53) without a fraction, other numbers in Swift's
/// shortest round-trip form, minimal string escaping. Equal values give equal bytes.
public enum JSONWriter {
    public static func canonicalBytes(_ value: JSONValue) -> [UInt8] {
        var out = ByteWriter()
        write(value, into: &out)
        return out.bytes
    }

    public static func canonicalString(_ value: JSONValue) -> String {
        String(decoding: canonicalBytes(value), as: UTF8.self)
    }

    /// The same serialisation with object members in the order they were built (no sorting):
    /// for documents read by others, such as FHIR resources (`resourceType` first), where
    /// equal bytes are not needed and sorting every object would cost more than the writing.
    public static func orderedBytes(_ value: JSONValue) -> [UInt8] {
        var out = ByteWriter()
        write(value, into: &out, sortingKeys: false)
        return out.bytes
    }

    /// Appends the canonical serialisation of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        var writer = ByteWriter()
        write(value, into: &writer)
        writer.append(to: &out)
    }

    public static func write(_ value: JSONValue, into out: inout ByteWriter) {
        write(value, into: &out, sortingKeys: true)
    }

    private static func write(_ value: JSONValue, into out: inout ByteWriter, sortingKeys: Bool) {
        switch value {
        case .null: out.append("null")
        case .bool(let b): if b { out.append("true") } else { out.append("false") }
        case .number(let n): writeNumber(n, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out, sortingKeys: sortingKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let ordered = sortingKeys ? members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : members
            for (i, member) in ordered.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out, sortingKeys: sortingKeys)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func writeNumber(_ n: Double, into out: inout ByteWriter) {
        precondition(n.isFinite, "JSON numbers are finite")
        if n == n.rounded(.towardZero), abs(n) < 9_007_199_254_740_992 {
            writeInteger(Int64(n), into: &out)
        } else {
            var text = n.description
            text.withUTF8 { out.append(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Decimal digits of `value`, written in place.
    public static func writeInteger(_ value: Int64, into out: inout ByteWriter) {
        var magnitude = value.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        let length = digits + (value < 0 ? 1 : 0)
        out.appendUninitialized(length) { buffer in
            var index = length
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { buffer[0] = UInt8(ascii: "-") }
        }
    }

    public static func writeString(_ s: String, into out: inout ByteWriter) {
        let written: Void? = s.utf8.withContiguousStorageIfAvailable { writeString(utf8: $0, into: &out) }
        if written == nil {
            var native = s  // a bridged string: withUTF8 makes it contiguous
            native.withUTF8 { writeString(utf8: $0, into: &out) }
        }
    }

    private static func writeString(utf8: UnsafeBufferPointer<UInt8>, into out: inout ByteWriter) {
        var plain = true
        for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            plain = false
            break
        }
        guard plain else {
            out.append(UInt8(ascii: "\""))
            for byte in utf8 { writeEscaped(byte, into: &out) }
            out.append(UInt8(ascii: "\""))
            return
        }
        // Most strings need no escaping: quotes and bytes in one write.
        out.appendUninitialized(utf8.count + 2) { buffer in
            buffer[0] = UInt8(ascii: "\"")
            if let source = utf8.baseAddress { (buffer.baseAddress! + 1).copyMemory(from: source, byteCount: utf8.count) }
            buffer[utf8.count + 1] = UInt8(ascii: "\"")
        }
    }

    private static func writeEscaped(_ byte: UInt8, into out: inout ByteWriter) {
        switch byte {
        case UInt8(ascii: "\""): out.append("\\\"")
        case UInt8(ascii: "\\"): out.append("\\\\")
        case 0x0A: out.append("\\n")
        case 0x0D: out.append("\\r")
        case 0x09: out.append("\\t")
        case 0x08: out.append("\\b")
        case 0x0C: out.append("\\f")
        case 0..<0x20:
            let hex: StaticString = "0123456789abcdef"
            out.append("\\u00")
            out.append(hex.utf8Start[Int(byte >> 4)])
            out.append(hex.utf8Start[Int(byte & 0xF)])
        default: out.append(byte)
        }
    }
}
