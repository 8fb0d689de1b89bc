import Cryptography
import Telemetry
import Testing

@Suite("Random, constant-time comparison, hex, errors")
struct UtilityTests {
    @Test func secureRandomLengthsAndVariety() {
        #expect(SecureRandom.bytes(0) == [])
        #expect(SecureRandom.bytes(1).count == 1)
        let big = SecureRandom.bytes(4096)
        #expect(big.count == 4096)
        #expect(Set(big).count > 200)  // all 256 values are overwhelmingly likely
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }

    @Test func constantTimeEqualsSemantics() {
        #expect(constantTimeEquals([], []))
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([], [0]))
    }

    @Test func hexRoundTrip() {
        #expect([UInt8](hex: "00ff1aAB") == [0x00, 0xff, 0x1a, 0xab])
        #expect([UInt8](hex: "") == [])
        #expect([UInt8](hex: "abc") == nil)
        #expect([UInt8](hex: "zz") == nil)
        #expect([UInt8](hex: "0x") == nil)
        #expect([0x00, 0xff, 0x1a, 0xab].hexString == "00ff1aab")
        let random = SecureRandom.bytes(100)
        #expect([UInt8](hex: random.hexString) == random)
    }

    @Test func errorDescriptionCarriesCodeReasonAndLocation() {
        let error = CryptoError(code: .invalidLength, reason: "tag is 3 bytes")
        let text = String(describing: error)
        #expect(text.contains("invalidLength"))
        #expect(text.contains("tag is 3 bytes"))
        #expect(text.contains("UtilityTests.swift"))
        #expect(error.line > 0)
        #expect(error.openSSLErrors.isEmpty)
        #expect(CryptoError.Code.authenticationFailure != .openSSLFailure)
    }
}
