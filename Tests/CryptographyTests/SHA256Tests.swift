import Cryptography
import Telemetry
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    struct Vector: NamedVector {
        let name: String
        let message: [UInt8]
        let digest: String
    }

    /// FIPS 180-4 / NIST CSRC example values.
    static let vectors: [Vector] = [
        Vector(name: "empty", message: [],
               digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector(name: "abc", message: Array("abc".utf8),
               digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(name: "448-bit", message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
               digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        Vector(name: "896-bit",
               message: Array(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                               + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8),
               digest: "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test(arguments: vectors)
    func oneShot(_ vector: Vector) {
        #expect(SHA256.hash(vector.message).hexString == vector.digest)
    }

    /// One-shot hashes reuse a per-thread context: threads hashing at once must not mix state.
    @Test func oneShotFromManyThreadsAtOnce() async {
        let results = await withTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    (0..<2_000).allSatisfy { round in
                        let vector = Self.vectors[(worker + round) % Self.vectors.count]
                        return SHA256.hash(vector.message).hexString == vector.digest
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    @Test(arguments: vectors)
    func incrementalByteByByte(_ vector: Vector) {
        var hasher = SHA256.Hasher()
        for byte in vector.message {
            hasher.update([byte])
        }
        #expect(hasher.finalize().hexString == vector.digest)
    }

    @Test func nonContiguousSequenceAndSlices() {
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(SHA256.hash("abc".utf8).hexString == expected)
        #expect(SHA256.hash(Array("xabcx".utf8).dropFirst().dropLast()).hexString == expected)
        #expect(SHA256.hash(Array("abc".utf8).lazy.map { $0 }).hexString == expected)
        #expect(SHA256.hash((97...99).map { UInt8($0) }).hexString == expected)
    }

    @Test func millionA() {
        var hasher = SHA256.Hasher()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 {
            hasher.update(chunk)
        }
        #expect(hasher.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func hasherCopiesAreIndependent() {
        var first = SHA256.Hasher()
        first.update(Array("ab".utf8))
        var second = first
        first.update(Array("c".utf8))
        second.update(Array("d".utf8))
        let copyOfFirst = first
        #expect(first.finalize() == SHA256.hash(Array("abc".utf8)))
        #expect(second.finalize() == SHA256.hash(Array("abd".utf8)))
        // Finalizing one copy must not disturb another that shares its context.
        #expect(copyOfFirst.finalize() == SHA256.hash(Array("abc".utf8)))
    }

    @Test func concurrentHashingSharesTheFetchedDigest() async {
        let message = Array("abc".utf8)
        let expected = SHA256.hash(message)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<500).allSatisfy { _ in SHA256.hash(message) == expected }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
    }
}
