/// Read access to the hashes of an append-only RFC 6962 Merkle tree, wherever they live.
///
/// The proof builders (``rootHash(treeSize:)``, ``inclusionProof(leafIndex:treeSize:)``,
/// ``consistencyProof(from:to:)``) only ever ask for hashes of *perfect* subtrees: the subtree
/// of `2^level` leaves starting at leaf `index << level`. A store that keeps those interior
/// nodes (as ``MerkleTree`` does in memory, or a database table filled from
/// ``MerkleFrontier/append(leafHash:)``) answers every request with one lookup, so a root or
/// a proof costs O(log n) lookups and at most O(log² n) hashes whatever the tree size.
///
/// A store that keeps only leaf hashes can rely on the default
/// ``perfectSubtreeHash(level:index:)``, which rehashes the `2^level` leaves below the node;
/// correct, but O(n) for roots of large trees.
public protocol MerkleHashStore {
    /// The error the store's lookups throw (`Never` for in-memory stores).
    associatedtype Failure: Error

    /// The number of leaves stored.
    func leafCount() throws(Failure) -> UInt64

    /// The hash of leaf `index` (`index < leafCount()`), already leaf-hashed
    /// (`SHA-256(0x00 ‖ leaf)`).
    func leafHash(at index: UInt64) throws(Failure) -> [UInt8]

    /// The root of the perfect subtree of `2^level` leaves starting at leaf `index << level`.
    /// Only called for subtrees that lie entirely inside the stored leaves. Level 0 is the leaf
    /// hash itself.
    func perfectSubtreeHash(level: Int, index: UInt64) throws(Failure) -> [UInt8]
}

extension MerkleHashStore {
    /// Computes a perfect subtree's root from its leaves: `2^level` lookups and
    /// `2^level - 1` hashes. Stores that persist interior nodes should override it.
    public func perfectSubtreeHash(level: Int, index: UInt64) throws(Failure) -> [UInt8] {
        if level == 0 {
            return try leafHash(at: index)
        }
        let left = try perfectSubtreeHash(level: level - 1, index: index << 1)
        let right = try perfectSubtreeHash(level: level - 1, index: index << 1 | 1)
        return MerkleHasher.nodeHash(left, right)
    }

    /// The Merkle tree hash (RFC 9162 §2.1.1) of the first `treeSize` leaves.
    ///
    /// Costs O(log n) perfect-subtree lookups and hashes.
    /// - Throws: ``MerkleProofError`` `.treeSizeBeyondTree` or `.storeFailure`.
    public func rootHash(treeSize: UInt64) throws(MerkleProofError) -> [UInt8] {
        try checkTreeSize(treeSize)
        if treeSize == 0 {
            return MerkleHasher.emptyTreeRoot
        }
        return try rangeHash(from: 0, to: treeSize)
    }

    /// The RFC 9162 §2.1.3.1 audit path of leaf `leafIndex` in the tree of the first
    /// `treeSize` leaves, ordered from the leaf's sibling upwards.
    ///
    /// O(log n) path elements; each is a root of a range assembled from at most O(log n)
    /// perfect subtrees.
    /// - Throws: ``MerkleProofError`` `.indexBeyondSize`, `.treeSizeBeyondTree` or `.storeFailure`.
    public func inclusionProof(leafIndex: UInt64, treeSize: UInt64) throws(MerkleProofError) -> [[UInt8]] {
        try checkTreeSize(treeSize)
        guard leafIndex < treeSize else {
            throw MerkleProofError(code: .indexBeyondSize,
                                   reason: "leaf index \(leafIndex) is not below tree size \(treeSize)")
        }
        // Walk down from the root, collecting the sibling of each subtree holding the leaf;
        // the proof lists them bottom-up.
        var siblings: [[UInt8]] = []
        var low: UInt64 = 0
        var high = treeSize
        while high - low > 1 {
            let split = low + TreeMath.largestPowerOfTwo(below: high - low)
            if leafIndex < split {
                siblings.append(try rangeHash(from: split, to: high))
                high = split
            } else {
                siblings.append(try rangeHash(from: low, to: split))
                low = split
            }
        }
        return siblings.reversed()
    }

    /// The RFC 9162 §2.1.4.1 consistency proof between the trees of the first `oldSize` and
    /// the first `newSize` leaves. Empty when the sizes are equal.
    ///
    /// - Throws: ``MerkleProofError`` `.size1GreaterThanSize2`, `.emptyTreeConsistency` (an
    ///   `oldSize` of 0 with a larger `newSize`: verifiers reject such proofs),
    ///   `.treeSizeBeyondTree` or `.storeFailure`.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws(MerkleProofError) -> [[UInt8]] {
        try checkTreeSize(newSize)
        guard oldSize <= newSize else {
            throw MerkleProofError(code: .size1GreaterThanSize2,
                                   reason: "old size \(oldSize) is greater than new size \(newSize)")
        }
        if oldSize == newSize {
            return []
        }
        guard oldSize > 0 else {
            throw MerkleProofError(code: .emptyTreeConsistency,
                                   reason: "no consistency proof from the empty tree to size \(newSize)")
        }
        // SUBPROOF(m, D[low:high], isComplete), unrolled: each step appends the hash that the
        // recursion appends after its recursive call, so the result is reversed at the end.
        var proof: [[UInt8]] = []
        var low: UInt64 = 0
        var high = newSize
        var isComplete = true
        while oldSize != high {
            let split = low + TreeMath.largestPowerOfTwo(below: high - low)
            if oldSize <= split {
                proof.append(try rangeHash(from: split, to: high))
                high = split
            } else {
                proof.append(try rangeHash(from: low, to: split))
                low = split
                isComplete = false
            }
        }
        if !isComplete {
            proof.append(try rangeHash(from: low, to: high))
        }
        return proof.reversed()
    }

    /// The Merkle tree hash of leaves `start..<end` (non-empty), where `start` is a multiple
    /// of the largest power of two not above `end - start`, which holds for every subtree the
    /// RFC 6962 recursion visits. The range splits into perfect subtrees of decreasing size,
    /// folded from the right.
    func rangeHash(from start: UInt64, to end: UInt64) throws(MerkleProofError) -> [UInt8] {
        var pieces: [[UInt8]] = []
        var position = start
        while position < end {
            let level = TreeMath.highestBitIndex(end - position)
            pieces.append(try storeHash(level: level, index: position >> UInt64(level)))
            position += UInt64(1) << UInt64(level)
        }
        var hash = pieces.removeLast()
        while let left = pieces.popLast() {
            hash = MerkleHasher.nodeHash(left, hash)
        }
        return hash
    }

    private func storeHash(level: Int, index: UInt64) throws(MerkleProofError) -> [UInt8] {
        do {
            return try perfectSubtreeHash(level: level, index: index)
        } catch {
            throw MerkleProofError(code: .storeFailure,
                                   reason: "reading the subtree at level \(level), index \(index)", underlying: error)
        }
    }

    private func checkTreeSize(_ treeSize: UInt64) throws(MerkleProofError) {
        let count: UInt64
        do {
            count = try leafCount()
        } catch {
            throw MerkleProofError(code: .storeFailure, reason: "reading the leaf count", underlying: error)
        }
        guard treeSize <= count else {
            throw MerkleProofError(code: .treeSizeBeyondTree,
                                   reason: "tree size \(treeSize) exceeds the \(count) stored leaves")
        }
    }
}
