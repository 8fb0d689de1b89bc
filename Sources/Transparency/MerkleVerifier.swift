/// Offline verification of RFC 9162 Merkle inclusion and consistency proofs.
///
/// These are the checks an auditor runs with nothing but a proof, a leaf hash and signed
/// roots: they follow RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) step by step,
/// after checking that every untrusted hash is 32 bytes. Each check costs O(log n) hashes.
///
/// Edge cases outside the RFC algorithms (which assume `0 < first < second`):
/// - `size1 == size2`: the proof must be empty and the roots equal; for size 0 both roots must
///   also be ``MerkleHasher/emptyTreeRoot`` (the empty tree has exactly one root).
/// - `size1 == 0 < size2`: rejected (``MerkleProofError/Code/emptyTreeConsistency``); every
///   tree is trivially consistent with the empty tree, so such a proof proves nothing.
public enum MerkleVerifier {
    /// Verifies that `leafHash` is the leaf at `leafIndex` of the tree of `treeSize` leaves
    /// whose root is `root` (RFC 9162 §2.1.3.2).
    ///
    /// - Parameter proof: the audit path, from the leaf's sibling up to the root's child.
    /// - Throws: ``MerkleProofError`` with `.indexBeyondSize`, `.malformedHash`,
    ///   `.wrongProofSize` or `.rootMismatch`.
    public static func verifyInclusion(
        leafHash: [UInt8], leafIndex: UInt64, treeSize: UInt64, proof: [[UInt8]], root: [UInt8]
    ) throws(MerkleProofError) {
        let computed = try rootFromInclusionProof(
            leafHash: leafHash, leafIndex: leafIndex, treeSize: treeSize, proof: proof)
        guard computed == root else {
            throw MerkleProofError(code: .rootMismatch,
                                   reason: "inclusion proof of leaf \(leafIndex) in tree of size \(treeSize) "
                                       + "does not lead to the expected root")
        }
    }

    /// Recomputes the root of the tree of `treeSize` leaves from a leaf hash and its audit path
    /// (steps 1 to 4 of RFC 9162 §2.1.3.2 and the `sn == 0` check of step 5).
    ///
    /// - Returns: the 32-byte root the proof commits to; compare it with a signed root.
    /// - Throws: ``MerkleProofError`` with `.indexBeyondSize`, `.malformedHash` or `.wrongProofSize`.
    public static func rootFromInclusionProof(
        leafHash: [UInt8], leafIndex: UInt64, treeSize: UInt64, proof: [[UInt8]]
    ) throws(MerkleProofError) -> [UInt8] {
        // 1. leaf_index must be inside the tree.
        guard leafIndex < treeSize else {
            throw MerkleProofError(code: .indexBeyondSize,
                                   reason: "leaf index \(leafIndex) is not below tree size \(treeSize)")
        }
        try checkHash(leafHash, "leaf hash")
        for (position, element) in proof.enumerated() {
            try checkHash(element, "inclusion proof element \(position)")
        }
        // 2. fn = leaf_index, sn = tree_size - 1.  3. r = hash.
        var fn = leafIndex
        var sn = treeSize - 1
        var r = leafHash
        // 4. Fold in each path element.
        for p in proof {
            guard sn != 0 else {
                throw MerkleProofError(code: .wrongProofSize,
                                       reason: "inclusion proof for leaf \(leafIndex) in tree of size \(treeSize) "
                                           + "is too long (\(proof.count) hashes)")
            }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHasher.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHasher.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        // 5. sn must be 0 (the root comparison is the caller's).
        guard sn == 0 else {
            throw MerkleProofError(code: .wrongProofSize,
                                   reason: "inclusion proof for leaf \(leafIndex) in tree of size \(treeSize) "
                                       + "is too short (\(proof.count) hashes)")
        }
        return r
    }

    /// Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1`
    /// leaves with root `root1` (RFC 9162 §2.1.4.2).
    ///
    /// - Throws: ``MerkleProofError`` with `.size1GreaterThanSize2`, `.emptyTreeConsistency`,
    ///   `.wrongProofSize`, `.malformedHash` or `.rootMismatch`.
    public static func verifyConsistency(
        size1: UInt64, size2: UInt64, proof: [[UInt8]], root1: [UInt8], root2: [UInt8]
    ) throws(MerkleProofError) {
        guard size1 <= size2 else {
            throw MerkleProofError(code: .size1GreaterThanSize2,
                                   reason: "size1 \(size1) is greater than size2 \(size2)")
        }
        if size1 == size2 {
            guard proof.isEmpty else {
                throw MerkleProofError(code: .wrongProofSize,
                                       reason: "equal sizes (\(size1)) need an empty proof, got \(proof.count) hashes")
            }
            guard root1 == root2 else {
                throw MerkleProofError(code: .rootMismatch, reason: "equal sizes (\(size1)) but different roots")
            }
            if size1 == 0 && root1 != MerkleHasher.emptyTreeRoot {
                throw MerkleProofError(code: .rootMismatch, reason: "root of the empty tree is not SHA-256(\"\")")
            }
            return
        }
        guard size1 != 0 else {
            throw MerkleProofError(code: .emptyTreeConsistency,
                                   reason: "consistency proof from the empty tree to size \(size2)")
        }
        // 1. An empty consistency path fails.
        guard !proof.isEmpty else {
            throw MerkleProofError(code: .wrongProofSize,
                                   reason: "empty consistency proof from size \(size1) to \(size2)")
        }
        try checkHash(root1, "root1")
        try checkHash(root2, "root2")
        for (position, element) in proof.enumerated() {
            try checkHash(element, "consistency proof element \(position)")
        }
        // 2. If first is an exact power of 2, prepend first_hash to the path.
        var path = proof
        if size1 & (size1 - 1) == 0 {
            path.insert(root1, at: 0)
        }
        // 3. fn = first - 1, sn = second - 1.
        var fn = size1 - 1
        var sn = size2 - 1
        // 4. Right-shift both while LSB(fn) is set.
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // 5. fr = sr = first element.
        var fr = path[0]
        var sr = path[0]
        // 6. Fold in each subsequent element.
        for c in path.dropFirst() {
            guard sn != 0 else {
                throw MerkleProofError(code: .wrongProofSize,
                                       reason: "consistency proof from size \(size1) to \(size2) is too long "
                                           + "(\(proof.count) hashes)")
            }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHasher.nodeHash(c, fr)
                sr = MerkleHasher.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHasher.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        // 7. fr == first_hash, sr == second_hash, sn == 0.
        guard sn == 0 else {
            throw MerkleProofError(code: .wrongProofSize,
                                   reason: "consistency proof from size \(size1) to \(size2) is too short "
                                       + "(\(proof.count) hashes)")
        }
        guard fr == root1 else {
            throw MerkleProofError(code: .rootMismatch,
                                   reason: "consistency proof from size \(size1) to \(size2) does not lead to root1")
        }
        guard sr == root2 else {
            throw MerkleProofError(code: .rootMismatch,
                                   reason: "consistency proof from size \(size1) to \(size2) does not lead to root2")
        }
    }

    private static func checkHash(_ hash: [UInt8], _ what: String) throws(MerkleProofError) {
        guard hash.count == MerkleHasher.hashByteCount else {
            throw MerkleProofError(code: .malformedHash, reason: "\(what) is \(hash.count) bytes, expected 32")
        }
    }
}
