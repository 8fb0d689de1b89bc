/// One reading's place in a batch: its commitment and its gateway arrival time.
public struct BatchEntry: Sendable, Equatable {
    /// The reading's commitment (the batch Merkle leaf).
    public let commitment: Commitment
    /// Gateway arrival time, ms since the Unix epoch.
    public let receivedAt: Int64

    /// Creates an entry.
    public init(commitment: Commitment, receivedAt: Int64) {
        self.commitment = commitment
        self.receivedAt = receivedAt
    }
}

/// A sealed batch: the signed header and the commitments in leaf order.
public struct SealedBatch: Sendable, Equatable {
    /// The signed header.
    public let signedHeader: SignedBatchHeader
    /// The commitments, leaf `i` first.
    public let commitments: [Commitment]

    /// The audit path of leaf `leafIndex` under the header's root.
    /// - Throws: ``SealingError`` `.proofFailure` for an index outside the batch.
    public func auditPath(leafIndex: Int) throws(SealingError) -> [[UInt8]] {
        try BatchSealer.auditPath(commitments, leafIndex: leafIndex)
    }
}
