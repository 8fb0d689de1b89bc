/// The verified, self-contained proof that a checkpoint was anchored, as it goes into proof
/// bundles' `anchors` array (docs/PROOF-BUNDLE.md) and is checked offline by the backend's
/// ``AnchorEvidenceVerifier``.
public struct AnchorEvidence: Sendable, Hashable {
    /// The evidence format, e.g. `evm-receipt-log` or `local-checkpoint`.
    public var type: String
    /// The anchored tree size.
    public var treeSize: UInt64
    /// The anchored root (32 bytes).
    public var rootHash: [UInt8]
    /// A short human-readable locator (e.g. `chain 1337 block 42 tx 0x…`), not verified.
    public var locator: String
    /// The evidence body: one canonical JSON object whose members the type defines.
    public var body: [UInt8]

    /// Creates evidence.
    public init(type: String, treeSize: UInt64, rootHash: [UInt8], locator: String, body: [UInt8]) {
        self.type = type
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.locator = locator
        self.body = body
    }
}
