import Foundation
import Testing
import VitalGateTesting

/// Locates the copied vector folders inside the test bundle.
enum VectorFiles {
    /// The root of `Vectors/` in the test resource bundle.
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Vectors", withExtension: nil) else {
            fatalError("Vectors folder missing from the test bundle")
        }
        return url
    }

    /// Relative paths (from `Vectors/`) of every `.json` file below `folder`, sorted.
    static func jsonFiles(under folder: String) -> [String] {
        let base = root.appendingPathComponent(folder)
        guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else {
            return []
        }
        var paths: [String] = []
        for case let url as URL in enumerator where url.pathExtension == "json" {
            let relative = url.path.replacingOccurrences(of: root.path + "/", with: "")
            paths.append(relative)
        }
        return paths.sorted()
    }

    /// The bytes of a file below `Vectors/`.
    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(relativePath))
    }
}

/// Decodes standard base64 for vector files; `nil` JSON values and empty strings decode to `[]`.
func base64Bytes(_ text: String?) throws -> [UInt8] {
    guard let text, !text.isEmpty else { return [] }
    guard let data = Data(base64Encoded: text) else {
        throw VectorError(reason: "bad base64 in vector: \(text)")
    }
    return [UInt8](data)
}

struct VectorError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}


extension Array where Element == UInt8 {
    /// A copy with bit `bit` (0 = most significant bit of byte 0) flipped.
    func flippingBit(_ bit: Int) -> [UInt8] {
        var copy = self
        copy[bit / 8] ^= UInt8(0x80) >> UInt8(bit % 8)
        return copy
    }
}
