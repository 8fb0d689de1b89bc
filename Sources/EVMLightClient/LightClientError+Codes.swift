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

/// The codes of EIP-1186 state-proof verification (``AccountProof``), one per failed step.
extension ErrorCode<LightClientError> {
    /// The account proof's first node is not the state root it is checked against.
    public static var stateRootMismatch: Self { Self("stateRootMismatch") }
    /// The account proof does not verify along `keccak256(address)` (a node altered, missing,
    /// left over or malformed).
    public static var accountProofInvalid: Self { Self("accountProofInvalid") }
    /// The proven account leaf is not `RLP([nonce, balance, storageRoot, codeHash])`.
    public static var malformedAccount: Self { Self("malformedAccount") }
    /// The answer's nonce, balance, storage hash or code hash differ from the proven account, or
    /// it claims an account the proof shows absent.
    public static var accountMismatch: Self { Self("accountMismatch") }
    /// A storage proof does not verify along `keccak256(slot)` from the account's storage root.
    public static var storageProofInvalid: Self { Self("storageProofInvalid") }
    /// A storage slot's answered value differs from the proven one (absent proves zero).
    public static var storageValueMismatch: Self { Self("storageValueMismatch") }
}
