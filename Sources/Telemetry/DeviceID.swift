/// A device identifier as it appears in a topic: `[A-Za-z0-9-]{3,64}`.
public struct DeviceID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Validates `rawValue`; returns `nil` when it is not a legal device id.
    public init?(_ rawValue: some StringProtocol) {
        guard Self.isValid(rawValue.utf8) else { return nil }
        self.rawValue = String(rawValue)
    }

    /// Validates UTF-8 bytes in place (the topic parser's path).
    init?(utf8: UnsafeBufferPointer<UInt8>) {
        guard Self.isValid(utf8) else { return nil }
        rawValue = String(decoding: utf8, as: UTF8.self)
    }

    /// 3...64 bytes of `A-Z a-z 0-9 -`.
    private static func isValid(_ utf8: some Collection<UInt8>) -> Bool {
        guard (3...64).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    public var description: String { rawValue }
    public static func < (lhs: DeviceID, rhs: DeviceID) -> Bool { lhs.rawValue < rhs.rawValue }
}
