import EVMLightClient
import Secp256k1
import Testing

@Suite struct PublicKeyTests {
    @Test func compressedAndUncompressedFormsRoundTrip() throws {
        for _ in 0..<8 {
            let key = PrivateKey().publicKey
            #expect(key.uncompressed.count == 64)
            #expect(key.compressed.count == 33)
            #expect(try PublicKey(uncompressed: key.uncompressed) == key)
            #expect(try PublicKey(uncompressed: [0x04] + key.uncompressed) == key)
            #expect(try PublicKey(compressed: key.compressed) == key)
            #expect(key.compressed[0] == 0x02 + (key.uncompressed[63] & 1))
        }
    }

    @Test func invalidPublicKeysAreRejected() throws {
        let valid = PrivateKey().publicKey
        var offCurve = valid.uncompressed
        offCurve[63] ^= 0x01  // y changed: (x, y') is not on the curve
        var wrongPrefix = valid.compressed
        wrongPrefix[0] = 0x04
        let cases: [() throws -> PublicKey] = [
            { try PublicKey(uncompressed: offCurve) },
            { try PublicKey(uncompressed: [0x02] + valid.uncompressed) },
            { try PublicKey(uncompressed: valid.uncompressed.dropLast()) },
            { try PublicKey(uncompressed: [UInt8](repeating: 0, count: 64)) },
            { try PublicKey(compressed: wrongPrefix) },
            { try PublicKey(compressed: [0x02] + [UInt8](repeating: 0xFF, count: 32)) },  // x >= p
            { try PublicKey(compressed: valid.uncompressed) },
        ]
        for make in cases {
            #expect { _ = try make() } throws: { ($0 as? Secp256k1Error)?.code == .invalidPublicKey }
        }
    }
}
