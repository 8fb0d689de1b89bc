/// Hexadecimal text for bytes: the one implementation (digests in logs and files, keys in
/// configuration, Ethereum quantities and data). Lower-case output; either case on input.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Encodes `bytes` as lower-case hex, with a `0x` prefix when `prefix` is true.
    public static func encode(_ bytes: some Sequence<UInt8>, prefix: Bool = false) -> String {
        var utf8: [UInt8] = prefix ? [0x30, 0x78] : []
        utf8.reserveCapacity(utf8.count + bytes.underestimatedCount * 2)
        for byte in bytes {
            utf8.append(digits[Int(byte >> 4)])
            utf8.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Decodes hex text (upper or lower case, optional `0x`/`0X` prefix).
    ///
    /// Returns nil for an odd number of digits or a character that is not a hex digit.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var utf8 = Array(text.utf8)[...]
        if utf8.count >= 2, utf8[utf8.startIndex] == 0x30,
           utf8[utf8.startIndex + 1] == 0x78 || utf8[utf8.startIndex + 1] == 0x58 {
            utf8 = utf8.dropFirst(2)
        }
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case 0x30...0x39: char - 0x30
        case 0x61...0x66: char - 0x61 + 10
        case 0x41...0x46: char - 0x41 + 10
        default: nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Decodes a hexadecimal string such as `"00ff1a"` (either case, no separators or prefix).
    /// Returns `nil` for an odd number of digits or a character that is not a hex digit.
    public init?(hex: String) {
        guard !hex.utf8.starts(with: [0x30, 0x78]), !hex.utf8.starts(with: [0x30, 0x58]),
              let bytes = Hex.decode(hex) else { return nil }
        self = bytes
    }

    /// The bytes as lowercase hexadecimal, two digits per byte.
    public var hexString: String { Hex.encode(self) }
}
