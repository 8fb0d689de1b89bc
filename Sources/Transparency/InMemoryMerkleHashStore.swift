/// A ``MerkleHashStore`` that keeps only leaf hashes and stored interior nodes in
/// dictionaries: the in-memory stand-in for a database-backed store in tests.
///
/// Interior nodes are optional. Without them every perfect subtree is recomputed from its
/// leaves (the default ``MerkleHashStore/perfectSubtreeHash(level:index:)``); nodes recorded
/// with ``record(_:)`` (typically from ``MerkleFrontier/append(leafHash:)``) are served
/// directly, exactly as a SQLite table of nodes would be.
public struct InMemoryMerkleHashStore: MerkleHashStore, Sendable {
    public typealias Failure = Never

    private var leaves: [[UInt8]] = []
    private var nodes: [MerkleNodePosition: [UInt8]] = [:]

    /// Creates an empty store.
    public init() {}

    /// Creates a store holding `leafHashes` and no interior nodes.
    public init(leafHashes: [[UInt8]]) {
        leaves = leafHashes
    }

    /// Appends a 32-byte leaf hash.
    public mutating func append(leafHash: [UInt8]) {
        leaves.append(leafHash)
    }

    /// Records interior nodes (levels ≥ 1) so they are served without rehashing; leaf-level
    /// nodes are ignored (the leaves are already stored).
    public mutating func record(_ completed: [MerkleNode]) {
        for node in completed where node.position.level > 0 {
            nodes[node.position] = node.hash
        }
    }

    /// The number of interior nodes recorded.
    public var recordedNodeCount: Int { nodes.count }

    public func leafCount() -> UInt64 {
        UInt64(leaves.count)
    }

    public func leafHash(at index: UInt64) -> [UInt8] {
        leaves[Int(index)]
    }

    public func perfectSubtreeHash(level: Int, index: UInt64) -> [UInt8] {
        if level == 0 {
            return leaves[Int(index)]
        }
        if let stored = nodes[MerkleNodePosition(level: level, index: index)] {
            return stored
        }
        return MerkleHasher.nodeHash(perfectSubtreeHash(level: level - 1, index: index << 1),
                                     perfectSubtreeHash(level: level - 1, index: index << 1 | 1))
    }
}
