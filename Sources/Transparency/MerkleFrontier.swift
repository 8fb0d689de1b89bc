/// The position of a perfect subtree: `2^level` leaves starting at leaf `index << level`.
public struct MerkleNodePosition: Hashable, Sendable, CustomStringConvertible {
    /// The height of the subtree (0 for a leaf).
    public let level: Int
    /// The index of the subtree among those of the same level, counted from the left.
    public let index: UInt64

    /// Creates a position.
    public init(level: Int, index: UInt64) {
        self.level = level
        self.index = index
    }

    public var description: String { "(level \(level), index \(index))" }
}

/// A perfect subtree root together with its position.
public struct MerkleNode: Hashable, Sendable {
    /// Where the subtree sits.
    public let position: MerkleNodePosition
    /// Its 32-byte Merkle tree hash.
    public let hash: [UInt8]

    /// Creates a node.
    public init(position: MerkleNodePosition, hash: [UInt8]) {
        self.position = position
        self.hash = hash
    }
}

/// The right edge of an append-only Merkle tree: the roots of the perfect subtrees that
/// cover the leaves so far (one per set bit of the size), from the largest to the smallest.
///
/// This is all an appender needs to keep in memory: O(log n) hashes. Appending costs O(1)
/// amortised hashes and reports every perfect subtree it completes, so a database-backed
/// ``MerkleHashStore`` can persist them and serve proofs without rehashing leaves. The root
/// is available at any time in O(log n) hashes.
public struct MerkleFrontier: Sendable, Equatable {
    /// The number of leaves appended.
    public private(set) var size: UInt64 = 0
    /// The perfect subtree roots covering `0..<size`, largest (leftmost) first.
    public private(set) var hashes: [[UInt8]] = []

    /// Creates the frontier of the empty tree.
    public init() {}

    /// Restores a frontier from its size and the roots of its perfect subtrees (largest first),
    /// for example after a restart, read back from storage.
    /// - Returns: `nil` unless there is exactly one 32-byte hash per set bit of `size`.
    public init?(size: UInt64, hashes: [[UInt8]]) {
        guard hashes.count == size.nonzeroBitCount,
              hashes.allSatisfy({ $0.count == MerkleHasher.hashByteCount }) else { return nil }
        self.size = size
        self.hashes = hashes
    }

    /// Appends a 32-byte leaf hash.
    ///
    /// - Returns: the nodes this append completed, starting with the leaf itself
    ///   (level 0), then each newly completed parent up to the largest.
    /// - Precondition: `leafHash.count == 32`.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [MerkleNode] {
        precondition(leafHash.count == MerkleHasher.hashByteCount, "a leaf hash is 32 bytes")
        var completed = [MerkleNode(position: MerkleNodePosition(level: 0, index: size), hash: leafHash)]
        var hash = leafHash
        var level = 0
        var index = size
        // Merge with the smaller siblings while they are complete: one merge per trailing one bit.
        while index & 1 == 1 {
            hash = MerkleHasher.nodeHash(hashes.removeLast(), hash)
            level += 1
            index >>= 1
            completed.append(MerkleNode(position: MerkleNodePosition(level: level, index: index), hash: hash))
        }
        hashes.append(hash)
        size += 1
        return completed
    }

    /// The Merkle tree hash of the `size` leaves (``MerkleHasher/emptyTreeRoot`` when empty).
    public var rootHash: [UInt8] {
        guard var root = hashes.last else { return MerkleHasher.emptyTreeRoot }
        for left in hashes.dropLast().reversed() {
            root = MerkleHasher.nodeHash(left, root)
        }
        return root
    }
}
