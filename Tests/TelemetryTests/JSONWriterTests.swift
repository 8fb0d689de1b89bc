import Telemetry
import Testing

@Suite struct JSONWriterTests {
    private func written(_ s: String) -> String {
        var out = ByteWriter(capacity: 4)  // small: the long strings below make it grow
        JSONWriter.writeString(s, into: &out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    @Test("strings: only quote, backslash and control bytes are escaped; everything else is raw")
    func stringEscapes() {
        #expect(written("") == "\"\"")
        #expect(written("plain-ASCII_1.4/2") == "\"plain-ASCII_1.4/2\"")
        #expect(written("sit\"s \\ end") == "\"sit\\\"s \\\\ end\"")
        #expect(written("a\nb\rc\td\u{08}e\u{0C}f") == "\"a\\nb\\rc\\td\\be\\ff\"")
        #expect(written("\u{00}\u{1B}\u{1F}") == "\"\\u0000\\u001b\\u001f\"")
        #expect(written("del\u{7F} µ°C 💓") == "\"del\u{7F} µ°C 💓\"")
        // Every control byte, in a long string (past any small-string fast path).
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self) + String(repeating: "x", count: 40)
        let expected = (0..<0x20).map { byte -> String in
            switch byte {
            case 0x0A: return "\\n"
            case 0x0D: return "\\r"
            case 0x09: return "\\t"
            case 0x08: return "\\b"
            case 0x0C: return "\\f"
            default:
                let hex = Array("0123456789abcdef")
                return "\\u00" + String(hex[byte >> 4]) + String(hex[byte & 0xF])
            }
        }.joined()
        #expect(written(controls) == "\"" + expected + String(repeating: "x", count: 40) + "\"")
    }

    @Test("a bridged or sliced string writes the same bytes as a native one")
    func nonNativeStrings() {
        let long = String(repeating: "ab\"c", count: 20)
        let substring = long.dropFirst(4)
        #expect(written(String(substring)) == "\"" + String(repeating: "ab\\\"c", count: 19) + "\"")
    }

    @Test("integers: every digit count, both signs, the Int64 extremes")
    func integers() {
        var values: [Int64] = [0, -1, 1, 9, 10, -10, 99, 100, Int64.max, Int64.min, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, -power, -(power - 1)]
        }
        for value in values {
            var out = ByteWriter(capacity: 1)
            JSONWriter.writeInteger(value, into: &out)
            #expect(String(decoding: out.bytes, as: UTF8.self) == String(value))
        }
    }

    @Test("numbers: integral values without a fraction, others in the shortest round-trip form")
    func numbers() {
        let cases: [(Double, String)] = [(0, "0"), (-0.0, "0"), (97, "97"), (-3, "-3"), (36.6, "36.6"), (0.9, "0.9"),
                                         (-1e-05, "-1e-05"), (1e16, "1e+16"), (9_007_199_254_740_991, "9007199254740991")]
        for (value, text) in cases {
            var out = ByteWriter()
            JSONWriter.writeNumber(value, into: &out)
            #expect(String(decoding: out.bytes, as: UTF8.self) == text, "\(value)")
        }
    }

    @Test("a writer that grows many times keeps every byte in order")
    func growth() {
        var out = ByteWriter(capacity: 1)
        var expected: [UInt8] = []
        for i in 0..<5_000 {
            let byte = UInt8(truncatingIfNeeded: i &* 31)
            out.append(byte)
            expected.append(byte)
            if i % 97 == 0 {
                out.append("literal")
                expected += Array("literal".utf8)
            }
        }
        var appended: [UInt8] = [1, 2]
        out.append(to: &appended)
        #expect(out.count == expected.count && out.bytes == expected && appended == [1, 2] + expected)
    }
}
