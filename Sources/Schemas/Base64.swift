/// Strict RFC 4648 base64 decoding (standard alphabet, `=` padding required, no whitespace).
enum Base64 {
    private static let table: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = Int8(i)
        }
        return t
    }()

    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var i = 0
        while i < input.count {
            let last = i + 4 == input.count
            var quad: [Int] = []
            var padding = 0
            for k in 0..<4 {
                let c = input[i + k]
                if c == UInt8(ascii: "=") {
                    guard last, k >= 2 else { return nil }
                    padding += 1
                    quad.append(0)
                } else {
                    guard padding == 0 else { return nil }
                    let v = table[Int(c)]
                    guard v >= 0 else { return nil }
                    quad.append(Int(v))
                }
            }
            let n = quad[0] << 18 | quad[1] << 12 | quad[2] << 6 | quad[3]
            out.append(UInt8(n >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(n & 0xFF)) }
            i += 4
        }
        return out
    }
}
