import Telemetry
import Testing
import Transparency
import VitalGateTesting

/// A store whose lookups fail, to check that storage errors surface with their cause.
private struct FailingStore: MerkleHashStore {
    struct Broken: Error {}

    func leafCount() throws(Broken) -> UInt64 { 10 }
    func leafHash(at index: UInt64) throws(Broken) -> [UInt8] { throw Broken() }
}

/// Wraps a tree and counts lookups, to check the cost claims of the proof builders.
private final class CountingStore: MerkleHashStore {
    let tree: MerkleTree
    var lookups = 0

    init(_ tree: MerkleTree) {
        self.tree = tree
    }

    func leafCount() -> UInt64 { tree.count }

    func leafHash(at index: UInt64) -> [UInt8] {
        lookups += 1
        return tree.leafHash(at: index)
    }

    func perfectSubtreeHash(level: Int, index: UInt64) -> [UInt8] {
        lookups += 1
        return tree.perfectSubtreeHash(level: level, index: index)
    }
}

@Suite("Storage-independent proofs")
struct MerkleHashStoreTests {
    /// With interior nodes stored, roots cost at most log2(n) + 1 lookups and proofs
    /// O(log² n), independent of how many leaves lie below the nodes.
    @Test func lookupsAreLogarithmic() throws {
        var tree = MerkleTree()
        MerkleTreeTests.leaves(5_000, seed: 2).forEach { tree.append(leafHash: $0) }
        let store = CountingStore(tree)
        var random = SplitMix64(seed: 8)
        for _ in 0..<200 {
            let n = UInt64.random(in: 2...5_000, using: &random)
            store.lookups = 0
            _ = try store.rootHash(treeSize: n)
            #expect(store.lookups <= 13)
            store.lookups = 0
            _ = try store.inclusionProof(leafIndex: UInt64.random(in: 0..<n, using: &random), treeSize: n)
            #expect(store.lookups <= 13 * 13)
            store.lookups = 0
            _ = try store.consistencyProof(from: UInt64.random(in: 1...n, using: &random), to: n)
            #expect(store.lookups <= 13 * 13)
        }
    }

    @Test func leafOnlyStoreMatchesTheTree() throws {
        let hashes = MerkleTreeTests.leaves(150, seed: 7)
        var tree = MerkleTree()
        hashes.forEach { tree.append(leafHash: $0) }
        let store = InMemoryMerkleHashStore(leafHashes: hashes)
        var random = SplitMix64(seed: 3)
        for _ in 0..<200 {
            let n = UInt64.random(in: 1...150, using: &random)
            let m = UInt64.random(in: 0..<n, using: &random)
            #expect(try store.rootHash(treeSize: n) == tree.rootHash(treeSize: n))
            #expect(try store.inclusionProof(leafIndex: m, treeSize: n) == tree.inclusionProof(leafIndex: m, treeSize: n))
            if m > 0 {
                #expect(try store.consistencyProof(from: m, to: n) == tree.consistencyProof(from: m, to: n))
            }
        }
    }

    /// The nodes a frontier reports are exactly what a persistent store needs: a store fed
    /// with them serves every subtree without rehashing and gives the tree's proofs.
    @Test func frontierNodesFeedAStore() throws {
        let hashes = MerkleTreeTests.leaves(300, seed: 11)
        var frontier = MerkleFrontier()
        var store = InMemoryMerkleHashStore()
        var tree = MerkleTree()
        for hash in hashes {
            store.append(leafHash: hash)
            store.record(frontier.append(leafHash: hash))
            tree.append(leafHash: hash)
            #expect(frontier.rootHash == tree.rootHash)
        }
        // 300 leaves complete 300 - popcount(300) interior nodes.
        #expect(store.recordedNodeCount == 300 - 300.nonzeroBitCount)
        for n in stride(from: UInt64(1), through: 300, by: 13) {
            #expect(try store.rootHash(treeSize: n) == tree.rootHash(treeSize: n))
            for m in stride(from: UInt64(0), to: n, by: 7) {
                #expect(try store.inclusionProof(leafIndex: m, treeSize: n) == tree.inclusionProof(leafIndex: m, treeSize: n))
            }
        }
        let restored = try #require(MerkleFrontier(size: frontier.size, hashes: frontier.hashes))
        #expect(restored == frontier)
        #expect(MerkleFrontier(size: 3, hashes: [hashes[0]]) == nil)
    }

    @Test func storeFailuresAreWrapped() {
        do {
            _ = try FailingStore().rootHash(treeSize: 4)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .storeFailure)
            #expect(error.underlying is FailingStore.Broken)
        }
    }

    @Test func emptyFrontierHasTheEmptyRoot() {
        #expect(MerkleFrontier().rootHash == MerkleHasher.emptyTreeRoot)
        #expect(MerkleTree().rootHash == MerkleHasher.emptyTreeRoot)
    }
}
