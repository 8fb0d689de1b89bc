/// The error thrown by Merkle proof verification and proof construction.
///
/// Carries a machine-readable ``code``, a short ``reason`` (sizes and indices only, never
/// leaf contents), an optional ``underlying`` error (a storage failure) and the place in this
/// module that detected the problem.
public struct MerkleProofError: Error, CustomStringConvertible {
    /// What went wrong. An extensible set of codes: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The proof has more or fewer hashes than the tree shape requires.
        public static let wrongProofSize = Code("wrongProofSize")
        /// The leaf index is not smaller than the tree size (includes the empty tree).
        public static let indexBeyondSize = Code("indexBeyondSize")
        /// The root recomputed from the proof differs from the expected root.
        public static let rootMismatch = Code("rootMismatch")
        /// A consistency check from a larger tree to a smaller one.
        public static let size1GreaterThanSize2 = Code("size1GreaterThanSize2")
        /// A consistency proof from the empty tree to a non-empty tree (meaningless in RFC 9162).
        public static let emptyTreeConsistency = Code("emptyTreeConsistency")
        /// A leaf hash, root or proof element is not 32 bytes.
        public static let malformedHash = Code("malformedHash")
        /// A requested tree size exceeds the number of leaves the tree holds.
        public static let treeSizeBeyondTree = Code("treeSizeBeyondTree")
        /// The hash store failed; see ``MerkleProofError/underlying``.
        public static let storeFailure = Code("storeFailure")

        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// A short explanation with the sizes involved.
    public let reason: String
    /// The error of the hash store, for ``Code/storeFailure``.
    public let underlying: (any Error)?
    /// The `#fileID` of the place that detected the failure.
    public let file: String
    /// The `#line` of the place that detected the failure.
    public let line: Int

    /// Creates an error.
    public init(code: Code, reason: String, underlying: (any Error)? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "MerkleProofError.\(code): \(reason)"
        if let underlying {
            text += " [underlying: \(underlying)]"
        }
        return text + " (at \(file):\(line))"
    }
}
