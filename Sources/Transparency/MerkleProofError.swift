public import ErrorSupport

/// The error thrown by Merkle proof verification and proof construction.
///
/// Carries a machine-readable code, a short reason (sizes and indices only, never leaf
/// contents), an optional underlying error (the hash store's, for `.storeFailure`) and the
/// place in this module that detected the problem.
public typealias MerkleProofError = ModuleError<MerkleProofErrorDomain>

/// Names ``MerkleProofError`` in its descriptions; its codes are in `MerkleProofError+Codes.swift`.
public enum MerkleProofErrorDomain: ErrorDomain {
    /// `MerkleProofError`.
    public static let errorName = "MerkleProofError"
}
