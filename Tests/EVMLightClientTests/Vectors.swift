import EVMLightClient
import Foundation
import Telemetry

/// Loads the JSON vector files copied from ethereum/tests into `Vectors/ethereum`.
enum Vectors {
    static let ethereum: URL = {
        guard let url = Bundle.module.url(forResource: "Vectors", withExtension: nil) else {
            fatalError("Vectors resource folder missing from the test bundle")
        }
        return url.appendingPathComponent("ethereum")
    }()

    /// The top-level JSON object of `Vectors/ethereum/<path>`.
    static func object(_ path: String) throws -> [String: JSON] {
        let data = try Data(contentsOf: ethereum.appendingPathComponent(path))
        guard case .object(let object) = try JSON(JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
        else { throw VectorError("\(path): top level is not an object") }
        return object
    }

    /// Like ``object(_:)`` but empty when the file cannot be read (for test argument lists;
    /// a separate test checks the counts).
    static func objectOrEmpty(_ path: String) -> [String: JSON] {
        (try? object(path)) ?? [:]
    }

    /// The `.json` file names in a vector folder, sorted.
    static func files(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: ethereum.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
    }
}

struct VectorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Decodes hex that the test vectors guarantee is valid.
func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text) else { fatalError("bad hex in test: \(text.prefix(40))") }
    return bytes
}

/// Converts a non-negative decimal string to minimal big-endian bytes (empty for zero).
func bigEndian(decimal: some StringProtocol) -> [UInt8] {
    var bytes: [UInt8] = []  // little-endian accumulator
    for char in decimal.utf8 {
        var carry = Int(char - 0x30)
        for index in bytes.indices {
            let value = Int(bytes[index]) * 10 + carry
            bytes[index] = UInt8(value & 0xFF)
            carry = value >> 8
        }
        while carry > 0 {
            bytes.append(UInt8(carry & 0xFF))
            carry >>= 8
        }
    }
    while bytes.last == 0 { bytes.removeLast() }
    return bytes.reversed()
}

/// Reads a JSON value that is a string ("0x" hex or plain UTF-8 text) as trie key/value bytes;
/// nil for JSON null.
func trieBytes(_ value: JSON) -> [UInt8]? {
    guard let text = value.string else { return nil }
    if text.hasPrefix("0x") { return hex(text) }
    return Array(text.utf8)
}

/// A Sendable copy of a JSONSerialization tree (integers kept as text to avoid precision loss).
enum JSON: Sendable, Equatable {
    case null
    case number(String)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(_ value: Any) throws {
        switch value {
        case is NSNull: self = .null
        case let text as String: self = .string(text)
        case let array as [Any]: self = .array(try array.map(JSON.init))
        case let object as [String: Any]: self = .object(try object.mapValues(JSON.init))
        case let number as NSNumber:
            self = .number(number.stringValue)  // the vectors hold no booleans
        default: throw VectorError("unsupported JSON value \(type(of: value))")
        }
    }

    var string: String? { if case .string(let text) = self { text } else { nil } }
    var array: [JSON]? { if case .array(let array) = self { array } else { nil } }
    var object: [String: JSON]? { if case .object(let object) = self { object } else { nil } }
    subscript(key: String) -> JSON? { object?[key] }
}
