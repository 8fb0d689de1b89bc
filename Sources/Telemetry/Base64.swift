/// Strict RFC 4648 base64 (standard alphabet, `=` padding required, no whitespace): the one
/// implementation, for device samples and for C2SP notes, keys and checkpoints (which also
/// require the canonical form, `decode(canonical:)`).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends the base64 encoding of `bytes` to `out`.
    public static func encode(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { encode(UnsafeRawBufferPointer($0), into: &out) }
        if done != nil { return }
        var iterator = bytes.makeIterator()
        while let a = iterator.next() {
            let b = iterator.next()
            let c = iterator.next()
            let n = UInt32(a) << 16 | UInt32(b ?? 0) << 8 | UInt32(c ?? 0)
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int(n >> 6 & 63)])
            out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(n & 63)])
        }
    }

    /// Appends the base64 encoding of `bytes` to `out`, writing into the array's storage.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: encodedLength(bytes.count)))
        out.withUnsafeMutableBytes { encode(bytes, to: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Appends the base64 encoding of `bytes` to `out`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into out: inout ByteWriter) {
        out.appendUninitialized(encodedLength(bytes.count)) { encode(bytes, to: $0) }
    }

    /// The base64 encoding of `bytes` as text.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes the encoding of `bytes` into `output` (exactly `encodedLength(bytes.count)` bytes).
    private static func encode(_ bytes: UnsafeRawBufferPointer, to output: UnsafeMutableRawBufferPointer) {
        alphabet.withUnsafeBufferPointer { symbols in
            var i = 0
            var o = 0
            while i + 3 <= bytes.count {
                let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                output[o] = symbols[Int(n >> 18 & 63)]
                output[o + 1] = symbols[Int(n >> 12 & 63)]
                output[o + 2] = symbols[Int(n >> 6 & 63)]
                output[o + 3] = symbols[Int(n & 63)]
                i += 3
                o += 4
            }
            let rest = bytes.count - i
            guard rest > 0 else { return }
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            output[o] = symbols[Int(n >> 18 & 63)]
            output[o + 1] = symbols[Int(n >> 12 & 63)]
            output[o + 2] = rest == 2 ? symbols[Int(n >> 6 & 63)] : UInt8(ascii: "=")
            output[o + 3] = UInt8(ascii: "=")
        }
    }

    private static let table: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = Int8(i)
        }
        return t
    }()

    /// Decodes strict base64; `nil` for anything malformed.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(utf8: $0) }
    }

    /// Decodes canonical base64: strict, and the bits the last character leaves unused are zero,
    /// so every byte string has exactly one accepted encoding (C2SP signed notes: a changed
    /// character in a signature line always changes the decoded bytes). `nil` for anything else.
    public static func decode(canonical characters: some Collection<UInt8>) -> [UInt8]? {
        let characters = Array(characters)
        return characters.withUnsafeBufferPointer { decode(utf8: $0, canonical: true) }
    }

    /// Decodes strict base64 from UTF-8 bytes; `nil` for anything malformed. `canonical`: the
    /// unused bits of the last character must be zero.
    public static func decode(utf8 input: UnsafeBufferPointer<UInt8>, canonical: Bool = false) -> [UInt8]? {
        guard input.count % 4 == 0 else { return nil }
        var valid = true
        // Written straight into the array's storage: a waveform chunk is ~170 quads.
        let out = [UInt8](unsafeUninitializedCapacity: input.count / 4 * 3) { output, written in
            table.withUnsafeBufferPointer { table in
                var i = 0
                var o = 0
                while i < input.count {
                    let c0 = table[Int(input[i])], c1 = table[Int(input[i + 1])]
                    let p2 = input[i + 2] == UInt8(ascii: "="), p3 = input[i + 3] == UInt8(ascii: "=")
                    let last = i + 4 == input.count
                    let c2 = p2 ? 0 : table[Int(input[i + 2])]
                    let c3 = p3 ? 0 : table[Int(input[i + 3])]
                    guard c0 >= 0, c1 >= 0, c2 >= 0, c3 >= 0, !p2 || (p3 && last), !p3 || last,
                          !canonical || (p2 ? c1 & 0x0F == 0 : !p3 || c2 & 0x03 == 0) else {
                        valid = false
                        break
                    }
                    let n = Int(c0) << 18 | Int(c1) << 12 | Int(c2) << 6 | Int(c3)
                    output[o] = UInt8(n >> 16 & 0xFF)
                    o += 1
                    if !p2 { output[o] = UInt8(n >> 8 & 0xFF); o += 1 }
                    if !p3 { output[o] = UInt8(n & 0xFF); o += 1 }
                    i += 4
                }
                written = o
            }
        }
        return valid ? out : nil
    }
}
