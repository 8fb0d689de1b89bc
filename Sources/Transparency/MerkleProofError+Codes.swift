public import ErrorSupport

/// The codes of ``MerkleProofError``.
extension ErrorCode<MerkleProofError> {
    /// The proof has more or fewer hashes than the tree shape requires.
    public static var wrongProofSize: Self { Self("wrongProofSize") }
    /// The leaf index is not smaller than the tree size (includes the empty tree).
    public static var indexBeyondSize: Self { Self("indexBeyondSize") }
    /// The root recomputed from the proof differs from the expected root.
    public static var rootMismatch: Self { Self("rootMismatch") }
    /// A consistency check from a larger tree to a smaller one.
    public static var size1GreaterThanSize2: Self { Self("size1GreaterThanSize2") }
    /// A consistency proof from the empty tree to a non-empty tree (meaningless in RFC 9162).
    public static var emptyTreeConsistency: Self { Self("emptyTreeConsistency") }
    /// A leaf hash, root or proof element is not 32 bytes.
    public static var malformedHash: Self { Self("malformedHash") }
    /// A requested tree size exceeds the number of leaves the tree holds.
    public static var treeSizeBeyondTree: Self { Self("treeSizeBeyondTree") }
    /// The hash store failed; see ``ModuleError/underlying``.
    public static var storeFailure: Self { Self("storeFailure") }
}
