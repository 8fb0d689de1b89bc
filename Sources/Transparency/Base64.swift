/// Standard base64 (RFC 4648 §4) with padding, decoded strictly: only the 64-character
/// alphabet, mandatory `=` padding, no whitespace, and zero unused bits in the last
/// character, so every byte string has exactly one accepted encoding. A changed character in
/// a signature line therefore always changes the decoded bytes.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        return table
    }()

    /// Encodes `bytes` with padding.
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index < input.count {
            let remaining = input.count - index
            let b0 = input[index]
            let b1 = remaining > 1 ? input[index + 1] : 0
            let b2 = remaining > 2 ? input[index + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(remaining > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(remaining > 2 ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes canonical padded base64; `nil` for anything else.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(Array(text.utf8))
    }

    /// Decodes canonical padded base64 given as ASCII bytes; `nil` for anything else.
    static func decode(_ characters: [UInt8]) -> [UInt8]? {
        guard characters.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 4 * 3)
        var index = 0
        while index < characters.count {
            let isLast = index + 4 == characters.count
            let c2 = characters[index + 2]
            let c3 = characters[index + 3]
            let padding = c3 == UInt8(ascii: "=") ? (c2 == UInt8(ascii: "=") ? 2 : 1) : 0
            guard padding == 0 || isLast else { return nil }
            let v0 = decodeTable[Int(characters[index])]
            let v1 = decodeTable[Int(characters[index + 1])]
            let v2 = padding == 2 ? 0 : decodeTable[Int(c2)]
            let v3 = padding >= 1 ? 0 : decodeTable[Int(c3)]
            guard v0 != 0xFF, v1 != 0xFF, v2 != 0xFF, v3 != 0xFF else { return nil }
            output.append(v0 << 2 | v1 >> 4)
            switch padding {
            case 0:
                output.append((v1 & 0x0F) << 4 | v2 >> 2)
                output.append((v2 & 0x03) << 6 | v3)
            case 1:
                guard v2 & 0x03 == 0 else { return nil }
                output.append((v1 & 0x0F) << 4 | v2 >> 2)
            default:
                guard v1 & 0x0F == 0 else { return nil }
            }
            index += 4
        }
        return output
    }
}
