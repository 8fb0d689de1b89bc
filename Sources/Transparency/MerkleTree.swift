/// An in-memory, append-only RFC 6962 Merkle tree that keeps every perfect subtree root.
///
/// Level `k` holds the roots of the complete subtrees of `2^k` leaves (level 0 holds the leaf
/// hashes), each level in one flat byte buffer. Complexity, for `n` leaves:
/// - ``append(leaf:)`` / ``append(leafHash:)``: O(1) amortised hashes (every leaf completes one
///   new node on average), O(log n) in the worst case.
/// - ``rootHash(treeSize:)`` for any size `≤ n`: O(log n) lookups and hashes.
/// - ``inclusionProof(leafIndex:treeSize:)`` and ``consistencyProof(from:to:)``: O(log n)
///   path hashes, each assembled from O(log n) stored nodes; nothing is rehashed from leaves.
/// - Memory: about `2n` hashes of 32 bytes.
///
/// For trees that live on disk, implement ``MerkleHashStore`` over the storage and feed it
/// the nodes produced by ``MerkleFrontier``.
public struct MerkleTree: MerkleHashStore, Sendable {
    public typealias Failure = Never

    /// `levels[k]` holds the roots of the complete subtrees of `2^k` leaves, 32 bytes each.
    private var levels: [[UInt8]] = [[]]

    /// Creates an empty tree.
    public init() {}

    /// The number of leaves.
    public private(set) var count: UInt64 = 0

    /// Appends a leaf (hashed as `SHA-256(0x00 ‖ leaf)`) and returns its index.
    @discardableResult
    public mutating func append(leaf: some Sequence<UInt8>) -> UInt64 {
        append(leafHash: MerkleHasher.leafHash(leaf))
    }

    /// Appends a leaf given as an array (no generic dispatch on the hot path); returns its index.
    @discardableResult
    public mutating func append(leaf: [UInt8]) -> UInt64 {
        append(leafHash: MerkleHasher.leafHash(leaf))
    }

    /// Appends an already computed 32-byte leaf hash and returns its index.
    /// - Precondition: `leafHash.count == 32`.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> UInt64 {
        precondition(leafHash.count == MerkleHasher.hashByteCount, "a leaf hash is 32 bytes")
        let index = count
        levels[0].append(contentsOf: leafHash)
        count += 1
        // Each time a level gets an even number of nodes, the last two complete a parent.
        var level = 0
        var nodes = count
        while nodes & 1 == 0 {
            let parent = MerkleHasher.nodeHash(node(level: level, index: nodes - 2),
                                               node(level: level, index: nodes - 1))
            if levels.count == level + 1 {
                levels.append([])
            }
            levels[level + 1].append(contentsOf: parent)
            level += 1
            nodes >>= 1
        }
        return index
    }

    /// The root of the whole tree (``MerkleHasher/emptyTreeRoot`` when empty).
    public var rootHash: [UInt8] {
        // A tree size never exceeds the count, so this cannot throw.
        (try? rootHash(treeSize: count)) ?? MerkleHasher.emptyTreeRoot
    }

    // MARK: MerkleHashStore

    public func leafCount() -> UInt64 {
        count
    }

    public func leafHash(at index: UInt64) -> [UInt8] {
        precondition(index < count, "leaf index \(index) beyond tree of \(count) leaves")
        return node(level: 0, index: index)
    }

    public func perfectSubtreeHash(level: Int, index: UInt64) -> [UInt8] {
        node(level: level, index: index)
    }

    private func node(level: Int, index: UInt64) -> [UInt8] {
        let start = Int(index) * MerkleHasher.hashByteCount
        return Array(levels[level][start..<start + MerkleHasher.hashByteCount])
    }
}
