import Cryptography
import Telemetry
import Testing
import VitalGateTesting
import Transparency

@Suite("Merkle tree construction")
struct MerkleTreeTests {
    static func leaves(_ count: Int, seed: UInt64 = 1) -> [[UInt8]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            MerkleHasher.leafHash((0..<8).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
    }

    @Test func hashingFollowsRFC6962() {
        #expect(MerkleHasher.emptyTreeRoot.hexString
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleHasher.leafHash([]) == SHA256.hash([0x00]))
        #expect(MerkleHasher.leafHash([0xAB]) == SHA256.hash([0x00, 0xAB]))
        let a = [UInt8](repeating: 1, count: 32)
        let b = [UInt8](repeating: 2, count: 32)
        #expect(MerkleHasher.nodeHash(a, b) == SHA256.hash([0x01] + a + b))
    }

    /// The 8-leaf tree of RFC 6962's reference test data (leaves "", 0x00, 0x10, ...).
    @Test func knownRootsOfTheReferenceTree() throws {
        let inputs: [[UInt8]] = [
            [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
            [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
        ]
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        var tree = MerkleTree()
        for (index, input) in inputs.enumerated() {
            tree.append(leaf: input)
            #expect(tree.rootHash.hexString == expected[index], "root of size \(index + 1)")
        }
        for size in 1...inputs.count {
            #expect(try tree.rootHash(treeSize: UInt64(size)).hexString == expected[size - 1])
        }
        #expect(try tree.rootHash(treeSize: 0) == MerkleHasher.emptyTreeRoot)
    }

    /// The bottom-up batch root agrees with the RFC recursion for every size, and with the
    /// reference tree's published roots.
    @Test func bottomUpRootMatchesTheRFCRecursion() throws {
        var random = SplitMix64(seed: 7)
        let leaves = (0..<70).map { index in (0..<(index % 40)).map { _ in UInt8.random(in: 0...255, using: &random) } }
        #expect(MerkleHasher.rootHash(ofLeaves: []) == MerkleHasher.emptyTreeRoot)
        for n in 1...leaves.count {
            #expect(MerkleHasher.rootHash(ofLeaves: Array(leaves[0..<n]))
                == ReferenceMerkle.root(leaves[0..<n].map { MerkleHasher.leafHash($0) }[...]), "size \(n)")
        }
        let reference: [[UInt8]] = [[], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
                                    [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57]]
        #expect(MerkleHasher.rootHash(ofLeaves: reference).hexString
            == "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c")
    }

    @Test func rootsAndProofsMatchTheRFCRecursion() throws {
        let hashes = Self.leaves(70)
        var tree = MerkleTree()
        for hash in hashes {
            tree.append(leafHash: hash)
        }
        for n in 0...hashes.count {
            let slice = hashes[0..<n]
            #expect(try tree.rootHash(treeSize: UInt64(n)) == ReferenceMerkle.root(slice))
            for m in 0..<n {
                #expect(try tree.inclusionProof(leafIndex: UInt64(m), treeSize: UInt64(n))
                    == ReferenceMerkle.path(m, slice), "PATH(\(m), \(n))")
            }
            for m in 1...max(1, n) where m <= n {
                #expect(try tree.consistencyProof(from: UInt64(m), to: UInt64(n))
                    == ReferenceMerkle.proof(m, slice), "PROOF(\(m), \(n))")
            }
        }
    }

    @Test func builderRejectsBadArguments() {
        var tree = MerkleTree()
        for hash in Self.leaves(5) {
            tree.append(leafHash: hash)
        }
        #expect(throws: MerkleProofError.self) { try tree.rootHash(treeSize: 6) }
        #expect(throws: MerkleProofError.self) { try tree.inclusionProof(leafIndex: 5, treeSize: 5) }
        #expect(throws: MerkleProofError.self) { try tree.inclusionProof(leafIndex: 0, treeSize: 6) }
        #expect(throws: MerkleProofError.self) { try tree.consistencyProof(from: 3, to: 2) }
        #expect(throws: MerkleProofError.self) { try tree.consistencyProof(from: 0, to: 2) }
        #expect(throws: MerkleProofError.self) { try tree.consistencyProof(from: 2, to: 6) }
        #expect((try? tree.consistencyProof(from: 0, to: 0)) == [])
        #expect((try? tree.consistencyProof(from: 5, to: 5)) == [])
        do {
            _ = try tree.inclusionProof(leafIndex: 7, treeSize: 5)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .indexBeyondSize)
        }
    }
}
