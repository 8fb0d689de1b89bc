/// Errors from the bounded JSON parser. Offsets are byte offsets; no payload content is kept.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case invalidUTF8 = "invalid UTF-8"
        case syntax = "invalid JSON"
        case tooDeep = "nesting too deep"
        case tooLarge = "document too large"
        case trailingGarbage = "trailing bytes after the document"
        case duplicateKey = "duplicate object key"
    }

    public var kind: Kind
    public var offset: Int

    public var description: String { "\(kind.rawValue) at byte \(offset)" }
}

/// A strict, bounded RFC 8259 parser for untrusted payloads.
///
/// Rejects invalid UTF-8, documents over `maxBytes`, nesting deeper than `maxDepth`,
/// duplicate object keys, and any non-whitespace after the document.
public struct JSONParser: Sendable {
    public var maxBytes: Int
    public var maxDepth: Int

    public init(maxBytes: Int = 64 * 1024, maxDepth: Int = 16) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }

    public func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        if bytes.count > maxBytes { throw JSONError(kind: .tooLarge, offset: maxBytes) }
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buffer) throws(JSONError) -> JSONValue in
            var cursor = Cursor(bytes: buffer, maxDepth: maxDepth)
            try cursor.validateUTF8()
            cursor.skipWhitespace()
            let value = try cursor.parseValue(depth: 1)
            cursor.skipWhitespace()
            if cursor.position != buffer.count {
                throw JSONError(kind: .trailingGarbage, offset: cursor.position)
            }
            return value
        }
    }

    public func parse(_ string: String) throws(JSONError) -> JSONValue {
        try parse(Array(string.utf8))
    }
}

private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func fail(_ kind: JSONError.Kind, at offset: Int? = nil) -> JSONError {
        JSONError(kind: kind, offset: offset ?? position)
    }

    func validateUTF8() throws(JSONError) {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            let minimum: UInt32
            var scalar: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
            default: throw fail(.invalidUTF8, at: index)
            }
            guard index + length <= count else { throw fail(.invalidUTF8, at: index) }
            for k in 1..<length {
                let continuation = bytes[index + k]
                guard continuation & 0xC0 == 0x80 else { throw fail(.invalidUTF8, at: index + k) }
                scalar = scalar << 6 | UInt32(continuation & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
                throw fail(.invalidUTF8, at: index)
            }
            index += length
        }
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func expect(_ literal: StaticString) throws(JSONError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw fail(.syntax) }
        let pointer = literal.utf8Start
        for k in 0..<count where bytes[position + k] != pointer[k] {
            throw fail(.syntax, at: position + k)
        }
        position += count
    }

    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard let byte = current else { throw fail(.syntax) }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail(.syntax)
        }
    }

    mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw fail(.tooDeep) }
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        // Small objects (every real payload) are checked for duplicate keys by a scan; past
        // `scanLimit` members the keys go into a set, so a hostile object with thousands of
        // keys costs linear time, not quadratic (issue 17). Swift's string hashing is seeded
        // per process, so colliding keys cannot be prepared in advance.
        let scanLimit = 16
        var keys: Set<String> = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail(.syntax) }
            let keyOffset = position
            let key = try parseString()
            let duplicate: Bool
            if members.count < scanLimit {
                duplicate = members.contains(where: { $0.key == key })
            } else {
                if keys.isEmpty { keys = Set(members.lazy.map(\.key)) }
                duplicate = !keys.insert(key).inserted
            }
            if duplicate { throw fail(.duplicateKey, at: keyOffset) }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail(.syntax) }
            position += 1
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw fail(.syntax)
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw fail(.tooDeep) }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw fail(.syntax)
            }
        }
    }

    mutating func parseString() throws(JSONError) -> String {
        position += 1  // opening quote
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                return String(decoding: slice, as: UTF8.self)  // already validated
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail(.syntax) }
            position += 1
        }
        var scalars = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position += 1
                guard let escape = current else { throw fail(.syntax) }
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800...0xDBFF).contains(code) {
                        try expect("\\u")
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail(.syntax) }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw fail(.syntax)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail(.syntax) }
                    UTF8.encode(scalar) { scalars.append($0) }
                default:
                    throw fail(.syntax)
                }
            default:
                if byte < 0x20 { throw fail(.syntax) }
                scalars.append(byte)
                position += 1
            }
        }
        throw fail(.syntax)
    }

    mutating func parseHex4() throws(JSONError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail(.syntax) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail(.syntax)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    mutating func parseNumber() throws(JSONError) -> Double {
        let start = position
        var negative = false
        if current == UInt8(ascii: "-") { negative = true; position += 1 }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw fail(.syntax)
        }
        var integer: UInt64 = 0
        var digits = 0
        if first == UInt8(ascii: "0") {
            position += 1
        } else {
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                if digits < 18 { integer = integer * 10 + UInt64(byte - UInt8(ascii: "0")) }
                digits += 1
                position += 1
            }
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            var fractionDigits = 0
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                fractionDigits += 1
                position += 1
            }
            guard fractionDigits > 0 else { throw fail(.syntax) }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            var exponentDigits = 0
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                exponentDigits += 1
                position += 1
            }
            guard exponentDigits > 0 else { throw fail(.syntax) }
        }
        if isInteger && digits <= 18 {
            let magnitude = Double(integer)
            return negative ? -magnitude : magnitude
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw fail(.syntax, at: start) }
        return value
    }
}
