internal import Cryptography
internal import Telemetry

/// Reads one JSON object field by field for a strict schema: every read names its path for
/// errors, and ``finish()`` rejects members nobody read. Error reasons name fields, never values.
struct StrictObject {
    /// The largest integer JSON numbers carry exactly: 2^53 - 1.
    static let maximumExactInteger: Double = 9_007_199_254_740_991

    private let members: [(key: String, value: JSONValue)]
    private let path: String
    private let code: SealingError.Code
    private var read: Set<String> = []

    init(_ value: JSONValue, path: String, code: SealingError.Code) throws(SealingError) {
        guard case .object(let members) = value else {
            throw SealingError(code: code, reason: "\(path) must be an object, got \(value.typeName)")
        }
        self.members = members
        self.path = path
        self.code = code
    }

    func fail(_ key: String, _ problem: String) -> SealingError {
        SealingError(code: code, reason: "\(path).\(key) \(problem)")
    }

    mutating func optional(_ key: String) -> JSONValue? {
        read.insert(key)
        return members.first { $0.key == key }?.value
    }

    mutating func required(_ key: String) throws(SealingError) -> JSONValue {
        guard let value = optional(key) else { throw fail(key, "is missing") }
        return value
    }

    mutating func object(_ key: String) throws(SealingError) -> StrictObject {
        try StrictObject(try required(key), path: "\(path).\(key)", code: code)
    }

    mutating func string(_ key: String) throws(SealingError) -> String {
        guard let text = try required(key).stringValue else { throw fail(key, "must be a string") }
        return text
    }

    mutating func bool(_ key: String) throws(SealingError) -> Bool {
        guard let flag = try required(key).boolValue else { throw fail(key, "must be true or false") }
        return flag
    }

    mutating func array(_ key: String) throws(SealingError) -> [JSONValue] {
        guard let elements = try required(key).arrayValue else { throw fail(key, "must be an array") }
        return elements
    }

    /// A non-negative integer below 2^53.
    mutating func unsigned(_ key: String) throws(SealingError) -> UInt64 {
        guard let number = try required(key).numberValue, number >= 0, number <= Self.maximumExactInteger,
              let value = UInt64(exactly: number) else {
            throw fail(key, "must be an integer in 0...2^53-1")
        }
        return value
    }

    /// An integer of magnitude below 2^53.
    mutating func signed(_ key: String) throws(SealingError) -> Int64 {
        guard let number = try required(key).numberValue, abs(number) <= Self.maximumExactInteger,
              let value = Int64(exactly: number) else {
            throw fail(key, "must be an integer of magnitude below 2^53")
        }
        return value
    }

    /// Hex of exactly `count` bytes.
    mutating func hex(_ key: String, count: Int) throws(SealingError) -> [UInt8] {
        guard let bytes = Self.hex(try string(key), count: count) else {
            throw fail(key, "must be \(count) bytes of hex")
        }
        return bytes
    }

    /// An array of hex strings of 32 bytes each, at most `limit` long.
    mutating func hashes(_ key: String, limit: Int) throws(SealingError) -> [[UInt8]] {
        let elements = try array(key)
        guard elements.count <= limit else { throw fail(key, "has more than \(limit) elements") }
        var hashes: [[UInt8]] = []
        for (index, element) in elements.enumerated() {
            guard let text = element.stringValue, let hash = Self.hex(text, count: 32) else {
                throw fail("\(key)[\(index)]", "must be 32 bytes of hex")
            }
            hashes.append(hash)
        }
        return hashes
    }

    /// Rejects members that were not read.
    func finish() throws(SealingError) {
        if let unknown = members.first(where: { !read.contains($0.key) }) {
            throw SealingError(code: code, reason: "\(path) has an unknown field \"\(unknown.key.prefix(40))\"")
        }
    }

    static func hex(_ text: String, count: Int) -> [UInt8]? {
        guard text.utf8.count == count * 2, let bytes = [UInt8](hex: text) else { return nil }
        return bytes
    }

    static func integer(_ value: UInt64) -> JSONValue { .number(Double(value)) }
    static func integer(_ value: Int64) -> JSONValue { .number(Double(value)) }
}
