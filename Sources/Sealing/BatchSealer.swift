public import Cryptography
internal import Transparency

/// Seals batches for one gateway: computes the RFC 6962 root of the commitments, builds the
/// header chained to the previous one, and signs it with the gateway identity key.
///
/// The vault keeps one sealer per gateway, restored from the last stored header on start
/// (``init(gatewayID:configVersion:identityKey:after:)``).
public struct BatchSealer: Sendable {
    /// The gateway id written in every header.
    public let gatewayID: String
    /// The schema/config version written in every header.
    public let configVersion: String
    private let identityKey: Ed25519.PrivateKey
    /// The sequence the next batch gets.
    public private(set) var nextSequence: UInt64
    /// The hash the next header names as its predecessor.
    public private(set) var previousHash: [UInt8]

    /// Creates a sealer that continues after `last` (or starts the chain at sequence 0).
    public init(gatewayID: String, configVersion: String, identityKey: Ed25519.PrivateKey,
                after last: BatchHeader? = nil) {
        self.gatewayID = gatewayID
        self.configVersion = configVersion
        self.identityKey = identityKey
        self.nextSequence = last.map { $0.sequence + 1 } ?? 0
        self.previousHash = last?.hash ?? BatchHeader.genesisPreviousHash
    }

    /// Seals `entries` (in leaf order) as the next batch.
    /// - Throws: ``SealingError`` `.invalidHeader` for no entries or more than 2^32 - 1, bad
    ///   gateway id or config version; `.signingFailure`.
    public mutating func seal(_ entries: [BatchEntry]) throws(SealingError) -> SealedBatch {
        guard !entries.isEmpty, let size = UInt32(exactly: entries.count) else {
            throw SealingError(code: .invalidHeader, reason: "a batch holds 1...2^32-1 readings, got \(entries.count)")
        }
        let commitments = entries.map(\.commitment)
        let times = entries.map(\.receivedAt)
        let header = try BatchHeader(
            gatewayID: gatewayID, sequence: nextSequence, firstReceivedAt: times.min() ?? 0,
            lastReceivedAt: times.max() ?? 0, size: size, root: Self.root(commitments),
            previousHash: previousHash, configVersion: configVersion)
        let signed = try header.signed(with: identityKey)
        nextSequence += 1
        previousHash = header.hash
        return SealedBatch(signedHeader: signed, commitments: commitments)
    }

    /// The RFC 6962 root of `commitments` (leaf `i` = commitment `i`'s 32 bytes).
    public static func root(_ commitments: [Commitment]) -> [UInt8] {
        MerkleHasher.rootHash(ofLeaves: commitments.map(\.bytes))
    }

    /// The audit path of leaf `leafIndex` in the tree of `commitments`.
    /// - Throws: ``SealingError`` `.proofFailure` for an index outside the batch.
    public static func auditPath(_ commitments: [Commitment], leafIndex: Int) throws(SealingError) -> [[UInt8]] {
        guard commitments.indices.contains(leafIndex) else {
            throw SealingError(code: .proofFailure, reason: "leaf \(leafIndex) is outside a batch of \(commitments.count)")
        }
        do {
            return try tree(commitments).inclusionProof(leafIndex: UInt64(leafIndex), treeSize: UInt64(commitments.count))
        } catch {
            throw SealingError(code: .proofFailure, reason: "cannot build the audit path of leaf \(leafIndex)",
                               underlying: error)
        }
    }

    private static func tree(_ commitments: [Commitment]) -> MerkleTree {
        var tree = MerkleTree()
        for commitment in commitments { tree.append(leaf: commitment.bytes) }
        return tree
    }
}
