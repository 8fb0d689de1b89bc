/// A dotted numeric firmware version (`2.0.3`), compared component by component;
/// missing components count as zero (`2` == `2.0.0`).
public struct FirmwareVersion: Comparable, Sendable, CustomStringConvertible {
    public let components: [UInt32]

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 4 else { return nil }
        var components: [UInt32] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 9, let value = UInt32(part) else { return nil }
            components.append(value)
        }
        self.components = components
    }

    public var description: String { components.map(String.init).joined(separator: ".") }

    private func padded(to count: Int) -> [UInt32] {
        components + Array(repeating: 0, count: max(0, count - components.count))
    }

    public static func == (lhs: FirmwareVersion, rhs: FirmwareVersion) -> Bool {
        let n = max(lhs.components.count, rhs.components.count)
        return lhs.padded(to: n) == rhs.padded(to: n)
    }

    public static func < (lhs: FirmwareVersion, rhs: FirmwareVersion) -> Bool {
        let n = max(lhs.components.count, rhs.components.count)
        return lhs.padded(to: n).lexicographicallyPrecedes(rhs.padded(to: n))
    }
}
