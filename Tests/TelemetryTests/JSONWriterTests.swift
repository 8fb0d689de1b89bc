import Telemetry
import Testing

@Suite struct JSONWriterTests {
    private func written(_ s: String) -> String {
        var out: [UInt8] = []
        JSONWriter.writeString(s, into: &out)
        return String(decoding: out, as: UTF8.self)
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
}
