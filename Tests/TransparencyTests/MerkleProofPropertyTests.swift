import Telemetry
import Testing
import Transparency
import VitalGateTesting

/// Random trees: every proof the builder emits verifies, and any single-bit change to a
/// proof, root, leaf hash, index or size is rejected.
@Suite("Merkle proof properties")
struct MerkleProofPropertyTests {
    static let tree300: MerkleTree = {
        var tree = MerkleTree()
        MerkleTreeTests.leaves(300, seed: 42).forEach { tree.append(leafHash: $0) }
        return tree
    }()

    /// Every leaf of every tree size from 1 to 300 (45,150 proofs).
    @Test func everyInclusionProofVerifiesUpTo300() throws {
        let tree = Self.tree300
        for n in UInt64(1)...300 {
            let root = try tree.rootHash(treeSize: n)
            for m in 0..<n {
                let proof = try tree.inclusionProof(leafIndex: m, treeSize: n)
                try MerkleVerifier.verifyInclusion(leafHash: tree.leafHash(at: m), leafIndex: m, treeSize: n,
                                                   proof: proof, root: root)
            }
        }
    }

    /// All pairs 1 ≤ m ≤ n ≤ 100, then random pairs up to 300.
    @Test func consistencyProofsVerify() throws {
        let tree = Self.tree300
        let roots = try (0...300).map { try tree.rootHash(treeSize: UInt64($0)) }
        for n in 1...100 {
            for m in 1...n {
                let proof = try tree.consistencyProof(from: UInt64(m), to: UInt64(n))
                try MerkleVerifier.verifyConsistency(size1: UInt64(m), size2: UInt64(n), proof: proof,
                                                     root1: roots[m], root2: roots[n])
            }
        }
        var random = SplitMix64(seed: 5)
        for _ in 0..<3000 {
            let n = Int.random(in: 1...300, using: &random)
            let m = Int.random(in: 1...n, using: &random)
            let proof = try tree.consistencyProof(from: UInt64(m), to: UInt64(n))
            try MerkleVerifier.verifyConsistency(size1: UInt64(m), size2: UInt64(n), proof: proof,
                                                 root1: roots[m], root2: roots[n])
        }
    }

    /// Random tree sizes: a fresh tree per size, every leaf checked.
    @Test(arguments: [1, 2, 3, 7, 8, 9, 31, 64, 65, 127, 255, 256, 257])
    func freshTreesOfRandomSizes(size: Int) throws {
        var tree = MerkleTree()
        MerkleTreeTests.leaves(size, seed: UInt64(size)).forEach { tree.append(leafHash: $0) }
        let root = tree.rootHash
        #expect(root == ReferenceMerkle.root(MerkleTreeTests.leaves(size, seed: UInt64(size))[...]))
        for m in 0..<UInt64(size) {
            try MerkleVerifier.verifyInclusion(leafHash: tree.leafHash(at: m), leafIndex: m, treeSize: UInt64(size),
                                               proof: tree.inclusionProof(leafIndex: m, treeSize: UInt64(size)),
                                               root: root)
        }
    }

    /// Large trees, sampled: 100,003 leaves (frontier and tree agree), random proofs.
    @Test func largeTreeSampled() throws {
        let count = 100_003
        var tree = MerkleTree()
        var frontier = MerkleFrontier()
        var random = SplitMix64(seed: 99)
        for _ in 0..<count {
            let leaf = MerkleHasher.leafHash((0..<4).map { _ in UInt8.random(in: 0...255, using: &random) })
            tree.append(leafHash: leaf)
            frontier.append(leafHash: leaf)
        }
        #expect(tree.rootHash == frontier.rootHash)
        for _ in 0..<300 {
            let n = UInt64.random(in: 1...UInt64(count), using: &random)
            let m = UInt64.random(in: 0..<n, using: &random)
            let root = try tree.rootHash(treeSize: n)
            try MerkleVerifier.verifyInclusion(leafHash: tree.leafHash(at: m), leafIndex: m, treeSize: n,
                                               proof: tree.inclusionProof(leafIndex: m, treeSize: n), root: root)
            let old = UInt64.random(in: 1...n, using: &random)
            try MerkleVerifier.verifyConsistency(size1: old, size2: n, proof: tree.consistencyProof(from: old, to: n),
                                                 root1: tree.rootHash(treeSize: old), root2: root)
        }
    }

    @Test func everySingleBitMutationOfAnInclusionProofIsRejected() throws {
        let tree = Self.tree300
        var random = SplitMix64(seed: 17)
        var rejected = 0
        for _ in 0..<40 {
            let n = UInt64.random(in: 1...300, using: &random)
            let m = UInt64.random(in: 0..<n, using: &random)
            let root = try tree.rootHash(treeSize: n)
            let leaf = tree.leafHash(at: m)
            let proof = try tree.inclusionProof(leafIndex: m, treeSize: n)
            func rejects(_ leaf: [UInt8], _ index: UInt64, _ size: UInt64, _ proof: [[UInt8]], _ root: [UInt8]) -> Bool {
                (try? MerkleVerifier.verifyInclusion(leafHash: leaf, leafIndex: index, treeSize: size,
                                                     proof: proof, root: root)) == nil
            }
            for (position, element) in proof.enumerated() {
                for bit in 0..<256 {
                    var mutated = proof
                    mutated[position] = element.flippingBit(bit)
                    #expect(rejects(leaf, m, n, mutated, root), "proof[\(position)] bit \(bit), leaf \(m) of \(n)")
                    rejected += 1
                }
            }
            for bit in 0..<256 {
                #expect(rejects(leaf, m, n, proof, root.flippingBit(bit)), "root bit \(bit)")
                #expect(rejects(leaf.flippingBit(bit), m, n, proof, root), "leaf bit \(bit)")
                rejected += 2
            }
            // Tree size flips are not tested: see `treeSizeIsAuthenticatedByTheCheckpointNotTheProof`.
            for bit in 0..<64 {
                #expect(rejects(leaf, m ^ (1 << UInt64(bit)), n, proof, root), "index bit \(bit), leaf \(m) of \(n)")
                rejected += 1
            }
            // Dropping, adding or duplicating a proof element.
            if !proof.isEmpty {
                #expect(rejects(leaf, m, n, Array(proof.dropLast()), root))
                #expect(rejects(leaf, m, n, Array(proof.dropFirst()), root))
            }
            #expect(rejects(leaf, m, n, proof + [root], root))
            #expect(rejects(leaf, m, n, [leaf] + proof, root))
        }
        #expect(rejected > 10_000)
    }

    @Test func everySingleBitMutationOfAConsistencyProofIsRejected() throws {
        let tree = Self.tree300
        var random = SplitMix64(seed: 23)
        for _ in 0..<40 {
            let n = UInt64.random(in: 2...300, using: &random)
            let m = UInt64.random(in: 1..<n, using: &random)
            let root1 = try tree.rootHash(treeSize: m)
            let root2 = try tree.rootHash(treeSize: n)
            let proof = try tree.consistencyProof(from: m, to: n)
            func rejects(_ m: UInt64, _ n: UInt64, _ proof: [[UInt8]], _ root1: [UInt8], _ root2: [UInt8]) -> Bool {
                (try? MerkleVerifier.verifyConsistency(size1: m, size2: n, proof: proof, root1: root1, root2: root2)) == nil
            }
            for (position, element) in proof.enumerated() {
                for bit in 0..<256 {
                    var mutated = proof
                    mutated[position] = element.flippingBit(bit)
                    #expect(rejects(m, n, mutated, root1, root2), "proof[\(position)] bit \(bit), \(m) -> \(n)")
                }
            }
            for bit in 0..<256 {
                #expect(rejects(m, n, proof, root1.flippingBit(bit), root2), "root1 bit \(bit), \(m) -> \(n)")
                #expect(rejects(m, n, proof, root1, root2.flippingBit(bit)), "root2 bit \(bit), \(m) -> \(n)")
            }
            for bit in 0..<64 {
                #expect(rejects(m ^ (1 << UInt64(bit)), n, proof, root1, root2), "size1 bit \(bit), \(m) -> \(n)")
            }
            #expect(rejects(m, n, Array(proof.dropLast()), root1, root2))
            #expect(rejects(m, n, proof + [root2], root1, root2))
            #expect(rejects(m, n, proof, root2, root1))
        }
    }

    /// RFC 9162 verification binds the leaf index and `size1` but only loosely the larger tree
    /// size: the size steers the fold only through `fn == sn` and the final `sn == 0`, so
    /// neighbouring sizes can accept the same proof for the same root. The size is
    /// authenticated by the signed checkpoint that carries it with the root; auditors must take
    /// both from one verified checkpoint (docs/TRANSPARENCY.md).
    @Test func treeSizeIsAuthenticatedByTheCheckpointNotTheProof() throws {
        let tree = Self.tree300
        let root = try tree.rootHash(treeSize: 151)
        let proof = try tree.inclusionProof(leafIndex: 59, treeSize: 151)
        try MerkleVerifier.verifyInclusion(leafHash: tree.leafHash(at: 59), leafIndex: 59, treeSize: 150,
                                           proof: proof, root: root)
        // A different size that changes the path shape is rejected.
        #expect(throws: MerkleProofError.self) {
            try MerkleVerifier.verifyInclusion(leafHash: tree.leafHash(at: 59), leafIndex: 59, treeSize: 64,
                                               proof: proof, root: root)
        }
    }
}
