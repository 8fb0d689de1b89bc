import Telemetry
import Testing

@Suite struct Base64Tests {
    private func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        Base64.encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test("base64 round trip and RFC 4648 vectors")
    func base64() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
                       "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        #expect(Base64.decode(encode(bytes)) == bytes)
        #expect(Base64.decode("Zm9") == nil)
        #expect(Base64.decode("Zm=v") == nil)
    }

    @Test("malformed input is refused wherever the fault is", arguments: [
        "Zg==Zg==", "Zg=a", "====", "Z===", "Zm9v!A==", "Zm9vYmFy\n", " Zm9", "Zm9vYmE", "Zm9vYm=y", "\u{80}Zm9",
    ])
    func malformed(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("every length 0...300 round-trips through the in-place decoder")
    func roundTrips() {
        for length in 0...300 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ length) }
            #expect(Base64.decode(encode(bytes)) == bytes, "length \(length)")
        }
    }
}

@Suite struct Base64EncodingPathTests {
    /// Reference: RFC 4648 bit grouping, written independently of `Base64`.
    private func reference(_ bytes: [UInt8]) -> String {
        let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var bits = bytes.flatMap { byte in (0..<8).reversed().map { (byte >> UInt8($0)) & 1 } }
        while bits.count % 6 != 0 { bits.append(0) }
        var text = stride(from: 0, to: bits.count, by: 6).map { start in
            symbols[bits[start..<start + 6].reduce(0) { Int($0) << 1 | Int($1) }]
        }
        while text.count % 4 != 0 { text.append("=") }
        return String(text)
    }

    @Test("contiguous and non-contiguous inputs encode alike, for every length 0...67")
    func encodePaths() {
        for length in 0...67 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
            var contiguous: [UInt8] = [0x7B]
            Base64.encode(bytes, into: &contiguous)
            var lazy: [UInt8] = [0x7B]
            Base64.encode(bytes.lazy.map { $0 }, into: &lazy)  // not contiguous: the iterator path
            #expect(contiguous == lazy)
            #expect(String(decoding: contiguous.dropFirst(), as: UTF8.self) == reference(bytes))
        }
    }
}

/// The canonical form C2SP notes require: the unused bits of the last character are zero.
@Suite struct CanonicalBase64Tests {
    @Test func nonZeroUnusedBitsAreRefusedOnlyWhenCanonical() {
        #expect(Base64.decode(canonical: Array("QQ==".utf8)) == [0x41])
        #expect(Base64.decode(canonical: Array("QR==".utf8)) == nil)
        #expect(Base64.decode("QR==") == [0x41])
        #expect(Base64.decode(canonical: Array("QUI=".utf8)) == [0x41, 0x42])
        #expect(Base64.decode(canonical: Array("QUJ=".utf8)) == nil)
        #expect(Base64.decode(canonical: Array("QUJD".utf8)) == [0x41, 0x42, 0x43])
        #expect(Base64.encode([0x41, 0x42]) == "QUI=")
    }
}
