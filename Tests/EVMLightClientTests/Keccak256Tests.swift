import EVMLightClient
import Telemetry
import Testing

@Suite struct Keccak256Tests {
    @Test func emptyInput() {
        #expect(Hex.encode(Keccak256.hash([])) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    }

    @Test func abc() {
        #expect(Hex.encode(Keccak256.hash(Array("abc".utf8)))
            == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
    }

    @Test func emptyTrieRootIsHashOfRLPEmptyString() {
        #expect(Hex.encode(Keccak256.hash([0x80])) == "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
    }

    // Expected values computed with pycryptodome 3.x: Crypto.Hash.keccak.new(digest_bits=256).
    // They cover one byte short of a block, exactly one block (padding needs a second block),
    // one byte over, two full blocks and a multi-block input.
    @Test(arguments: [
        (135, "3d28d08c3dacab77392064a939f3e7f8d03f2e02e2c664ac08a05f63ac652626"),
        (136, "b82d89d96e5575d11a9e1f4cabb2a45e60899e69a19a724cd796bdcf13511018"),
        (137, "ec8008a74e50bc7d6b22c3ad85402bf10e6d4449f3c8618e36c461b8a44eeafb"),
        (200, "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a"),
        (272, "a657381e5615f539cac71f13c74473a5e77eaa2bd8348422dcac221c8f13da94"),
    ])
    func repeatedA3(count: Int, expected: String) {
        #expect(Hex.encode(Keccak256.hash([UInt8](repeating: 0xA3, count: count))) == expected)
    }

    /// bytes(i % 256 for i in range(1000)), pycryptodome.
    static let counting = (0..<1000).map { UInt8($0 % 256) }
    static let countingDigest = "aca79e4146e30eb1c733f6d6060d72471c36ea4e01ebf45d7f4916249c2bbd82"

    @Test func multiBlockInput() {
        #expect(Hex.encode(Keccak256.hash(Self.counting)) == Self.countingDigest)
    }

    @Test(arguments: [1, 7, 135, 136, 137, 500])
    func incrementalUpdatesMatchOneShot(chunk: Int) {
        var hasher = Keccak256()
        var index = 0
        while index < Self.counting.count {
            let end = min(index + chunk, Self.counting.count)
            hasher.update(Self.counting[index..<end])
            index = end
        }
        #expect(Hex.encode(hasher.finalize()) == Self.countingDigest)
    }

    @Test func nonContiguousCollection() {
        let lazy = (0..<1000).lazy.map { UInt8($0 % 256) }
        #expect(Hex.encode(Keccak256.hash(lazy)) == Self.countingDigest)
    }
}
