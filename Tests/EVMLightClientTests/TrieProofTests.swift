import EVMLightClient
import Telemetry
import Testing
import VitalGateTesting


@Suite struct TrieProofTests {
    static func randomBytes(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A random trie with variable-length keys (so some values sit in branch nodes) and short and
    /// long values (so some nodes are embedded and some hashed).
    static func randomTrie(size: Int, seed: UInt64) -> (MerklePatriciaTrie, [[UInt8]: [UInt8]]) {
        var rng = SplitMix64(seed: seed)
        var trie = MerklePatriciaTrie()
        var model: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<size {
            // Short keys over a small alphabet share prefixes and collide on purpose.
            let key = (0..<Int.random(in: 1...6, using: &rng)).map { _ in UInt8.random(in: 0...3, using: &rng) * 0x11 }
            let value = randomBytes(Int.random(in: 1...48, using: &rng), &rng)
            trie.insert(key: key, value: value)
            model[key] = value
        }
        return (trie, model)
    }

    @Test(arguments: [(1, 1), (2, 2), (5, 3), (17, 4), (60, 5), (150, 6)] as [(Int, UInt64)])
    func everyKeyProvesAndAbsentKeysProveAbsence(size: Int, seed: UInt64) throws {
        let (trie, model) = Self.randomTrie(size: size, seed: seed)
        let root = trie.rootHash
        for (key, value) in model {
            let proof = trie.proof(for: key)
            #expect(try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof) == value)
        }
        var rng = SplitMix64(seed: seed &+ 1000)
        var absentChecked = 0
        for _ in 0..<40 {
            let key = (0..<Int.random(in: 0...7, using: &rng)).map { _ in UInt8.random(in: 0...4, using: &rng) * 0x11 }
            guard model[key] == nil else { continue }
            absentChecked += 1
            #expect(try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: trie.proof(for: key)) == nil)
        }
        #expect(absentChecked > 0)
    }

    @Test func secureStyleTrieWithHashedKeys() throws {
        var rng = SplitMix64(seed: 42)
        var trie = MerklePatriciaTrie()
        var model: [[UInt8]: [UInt8]] = [:]
        for index in 0..<200 {
            let key = Keccak256.hash(RLP.encode(UInt64(index)))
            let value = Self.randomBytes(Int.random(in: 1...100, using: &rng), &rng)
            trie.insert(key: key, value: value)
            model[key] = value
        }
        let root = trie.rootHash
        for (key, value) in model {
            #expect(try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: trie.proof(for: key)) == value)
        }
        let absent = Keccak256.hash([0xFF])
        #expect(try MerklePatriciaTrie.verifyProof(root: root, key: absent, proof: trie.proof(for: absent)) == nil)
    }

    @Test(arguments: [(20, 7), (150, 8)] as [(Int, UInt64)])
    func tamperedProofsThrow(size: Int, seed: UInt64) throws {
        let (trie, model) = Self.randomTrie(size: size, seed: seed)
        let root = trie.rootHash
        var rng = SplitMix64(seed: seed)
        for key in model.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).prefix(25) {
            let proof = trie.proof(for: key)
            for index in proof.indices {
                var tampered = proof
                let byte = Int.random(in: 0..<tampered[index].count, using: &rng)
                tampered[index][byte] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                #expect(throws: LightClientError.self) {
                    try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: tampered)
                }
            }
            if proof.count > 1 {
                #expect(throws: LightClientError.self) {
                    try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: Array(proof.dropLast()))
                }
            }
            #expect(throws: LightClientError.self) {
                try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof + [proof[0]])
            }
            var wrongRoot = root
            wrongRoot[0] ^= 1
            #expect(throws: LightClientError.self) {
                try MerklePatriciaTrie.verifyProof(root: wrongRoot, key: key, proof: proof)
            }
        }
    }

    func verifyCode(root: [UInt8], key: [UInt8], proof: [[UInt8]]) -> LightClientError.Code? {
        do {
            _ = try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func malformedNodesThatHashCorrectlyAreRejected() {
        // A list of three elements is neither a branch nor a leaf/extension.
        let threeItems = RLP.encode(.list([.bytes([1]), .bytes([2]), .bytes([3])]))
        #expect(verifyCode(root: Keccak256.hash(threeItems), key: [1], proof: [threeItems]) == .malformedProofNode)
        // A branch whose child reference is 31 bytes.
        var children = [RLPItem](repeating: .empty, count: 17)
        children[0] = .bytes([UInt8](repeating: 7, count: 31))
        let badBranch = RLP.encode(.list(children))
        #expect(verifyCode(root: Keccak256.hash(badBranch), key: [0x01], proof: [badBranch]) == .malformedProofNode)
        // Not RLP at all.
        let garbage: [UInt8] = [0xC5, 0x01]
        #expect(verifyCode(root: Keccak256.hash(garbage), key: [1], proof: [garbage]) == .malformedProofNode)
        // Leaf with a bad hex-prefix flag.
        let badLeaf = RLP.encode(.list([.bytes([0x41]), .bytes([9])]))
        #expect(verifyCode(root: Keccak256.hash(badLeaf), key: [0x41], proof: [badLeaf]) == .malformedProofNode)
        // Root must be 32 bytes.
        #expect(verifyCode(root: [1, 2], key: [1], proof: []) == .invalidRoot)
    }

    @Test func shortNodeReferencedByHashIsRejected() {
        // A leaf under 32 bytes must be embedded in its parent, not referenced by hash.
        let leaf = RLP.encode(.list([.bytes(HexPrefix.encode([2], isLeaf: true)), .bytes([9])]))
        var children = [RLPItem](repeating: .empty, count: 17)
        children[1] = .bytes(Keccak256.hash(leaf))
        children[3] = .bytes(Keccak256.hash([3]))
        let branch = RLP.encode(.list(children))
        #expect(verifyCode(root: Keccak256.hash(branch), key: [0x12], proof: [branch, leaf]) == .malformedProofNode)
    }

    @Test func proofForOneKeyDoesNotProveAnother() throws {
        let (trie, model) = Self.randomTrie(size: 60, seed: 11)
        let keys = model.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let root = trie.rootHash
        for (a, b) in zip(keys, keys.dropFirst()) {
            // Either the proof lacks a node on b's path (throws) or it proves b's value or absence
            // (nil) consistently; it can never yield a value different from b's.
            do {
                let value = try MerklePatriciaTrie.verifyProof(root: root, key: b, proof: trie.proof(for: a))
                #expect(value == model[b])
            } catch {
                #expect([.proofMissingNode, .proofUnusedNodes, .proofHashMismatch].contains(error.code))
            }
        }
    }
}
