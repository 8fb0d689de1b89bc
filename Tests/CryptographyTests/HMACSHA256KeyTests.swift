import Cryptography
import Telemetry
import Testing

@Suite struct HMACSHA256KeyTests {
    @Test func precomputedKeyMatchesOneShotHMACIncludingRFC4231Case2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        let key = HMACSHA256Key(key: Array("Jefe".utf8))
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        #expect(key.authenticationCode(Array("what do ya want ".utf8), Array("for nothing?".utf8)).hexString == expected)
        #expect(key.authenticationCode(Array("what do ya want for nothing?".utf8)).hexString == expected)
        for length in [0, 1, 63, 64, 65, 1000] {
            let k = SecureRandom.bytes(length)
            let message = SecureRandom.bytes(length * 3)
            #expect(HMACSHA256Key(key: k).authenticationCode(message) ==
                    HMACSHA256.authenticationCode(key: k, message: message))
        }
        // Codes computed one after another on the same instance do not carry state over.
        let reused = HMACSHA256Key(key: Array("Jefe".utf8))
        let messages = (0..<20).map { SecureRandom.bytes($0 * 37) }
        for message in messages + messages.reversed() {
            #expect(reused.authenticationCode(message) == HMACSHA256.authenticationCode(key: Array("Jefe".utf8), message: message))
        }
    }

    @Test func randomPoolGivesFreshBytesAcrossRefills() {
        let pool = RandomPool()
        var seen = Set<[UInt8]>()
        for _ in 0..<1000 { seen.insert(pool.bytes(12)) }  // crosses several 4 KiB refills
        #expect(seen.count == 1000)
    }
}
