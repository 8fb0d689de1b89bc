public import ErrorSupport

/// The codes of ``LightClientError``.
extension ErrorCode<LightClientError> {
    /// A trie root is not 32 bytes.
    public static var invalidRoot: Self { Self("invalidRoot") }
    /// A proof node does not hash to the reference that points at it.
    public static var proofHashMismatch: Self { Self("proofHashMismatch") }
    /// The path needs a node that the proof does not contain.
    public static var proofMissingNode: Self { Self("proofMissingNode") }
    /// The proof holds nodes that the path never reached.
    public static var proofUnusedNodes: Self { Self("proofUnusedNodes") }
    /// A proof node is not a well-formed trie node.
    public static var malformedProofNode: Self { Self("malformedProofNode") }
    /// A block header does not decode.
    public static var malformedHeader: Self { Self("malformedHeader") }
    /// A block does not decode.
    public static var malformedBlock: Self { Self("malformedBlock") }
    /// A receipt does not decode.
    public static var malformedReceipt: Self { Self("malformedReceipt") }
    /// A header's extraData is not a valid QBFT extraData structure.
    public static var malformedExtraData: Self { Self("malformedExtraData") }
}
