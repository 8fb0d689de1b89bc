public import Telemetry

/// Reads one JSON object against a fixed schema: typed accessors by key, and a final check that
/// no member was left unread (unknown fields are rejected). Errors name the dotted field path.
/// Shared by every signed document format (fleet configuration, consent documents).
public struct SchemaReader {
    /// The object's dotted path in the document (`document.ingest`).
    public let path: String
    private let members: [(key: String, value: JSONValue)]
    private var read: Set<String> = []

    /// Reads `value`, which must be an object, found at `path`.
    public init(_ value: JSONValue, path: String) throws(ConfigRejection) {
        guard let members = value.objectValue else {
            throw ConfigRejection(.malformed(field: path, detail: "expected object, found \(value.typeName)"))
        }
        self.path = path
        self.members = members
    }

    /// The member names, in document order.
    public var keys: [String] { members.map(\.key) }

    /// Every member, in document order, all marked read: for objects whose keys are data (a
    /// map of targets to versions). Looking each key up instead would cost quadratic time.
    public mutating func entries() -> [(key: String, value: JSONValue)] {
        for member in members { read.insert(member.key) }
        return members
    }

    /// The dotted path of member `key`.
    public func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The member `key`, if present (it counts as read).
    public mutating func optional(_ key: String) -> JSONValue? {
        read.insert(key)
        return members.first { $0.key == key }?.value
    }

    /// The member `key`; a missing one is `.malformed`.
    public mutating func required(_ key: String) throws(ConfigRejection) -> JSONValue {
        guard let value = optional(key) else {
            throw ConfigRejection(.malformed(field: field(key), detail: "missing required field"))
        }
        return value
    }

    /// The required string member `key`.
    public mutating func string(_ key: String) throws(ConfigRejection) -> String {
        try required(key, "string") { $0.stringValue }
    }

    /// The required boolean member `key`.
    public mutating func bool(_ key: String) throws(ConfigRejection) -> Bool {
        try required(key, "boolean") { $0.boolValue }
    }

    /// The required number member `key`.
    public mutating func number(_ key: String) throws(ConfigRejection) -> Double {
        try required(key, "number") { $0.numberValue }
    }

    /// The required member `key` read as `type` by `read`, or a type error naming the field.
    private mutating func required<T>(_ key: String, _ type: String, _ read: (JSONValue) -> T?) throws(ConfigRejection) -> T {
        let value = try required(key)
        guard let typed = read(value) else { throw typeError(key, type, value) }
        return typed
    }

    /// A non-negative integer that a Double represents exactly (at most 2^53).
    public mutating func unsigned(_ key: String) throws(ConfigRejection) -> UInt64 {
        try unsigned(try required(key), key)
    }

    /// `value` (the member `key`) as a non-negative integer that a Double represents exactly.
    public func unsigned(_ value: JSONValue, _ key: String) throws(ConfigRejection) -> UInt64 {
        guard let number = value.numberValue else { throw typeError(key, "number", value) }
        guard number >= 0, number <= 9_007_199_254_740_992, let integer = UInt64(exactly: number) else {
            throw ConfigRejection(.malformed(field: field(key), detail: "expected a non-negative integer"))
        }
        return integer
    }

    /// The required array member `key`.
    public mutating func array(_ key: String) throws(ConfigRejection) -> [JSONValue] {
        let value = try required(key)
        guard let array = value.arrayValue else { throw typeError(key, "array", value) }
        return array
    }

    /// The required string member `key`.
    public mutating func strings(_ key: String) throws(ConfigRejection) -> [String] {
        var result: [String] = []
        for (index, element) in try array(key).enumerated() {
            guard let string = element.stringValue else {
                throw ConfigRejection(.malformed(field: "\(field(key))[\(index)]",
                                                 detail: "expected string, found \(element.typeName)"))
            }
            result.append(string)
        }
        return result
    }

    /// Rejects members that were never read.
    public func finish() throws(ConfigRejection) {
        if let unknown = members.first(where: { !read.contains($0.key) }) {
            throw ConfigRejection(.malformed(field: field(unknown.key), detail: "unknown field"))
        }
    }

    private func typeError(_ key: String, _ expected: String, _ found: JSONValue) -> ConfigRejection {
        ConfigRejection(.malformed(field: field(key), detail: "expected \(expected), found \(found.typeName)"))
    }
}
