public import Cryptography
public import Transparency

/// The whole sealing pipeline in memory: commitments, the batch accumulator, the sealer, the
/// embedded log (a ``MerkleTree`` of batch header hashes) and signed checkpoints, producing a
/// ``ProofBundle`` for any sealed reading.
///
/// It is the reference composition of the pure pieces and what the tests and benchmarks
/// drive; the vault does the same with SQLite tables in place of the arrays here.
public struct InMemoryLedger: Sendable {
    private struct StoredReading: Sendable {
        var commitment: Commitment
        var salt: [UInt8]?
        var canonical: [UInt8]?
        var receivedAt: Int64
        var place: (batch: Int, leaf: Int)?
    }

    /// The log's origin line.
    public let origin: String
    private var accumulator: BatchAccumulator
    private var sealer: BatchSealer
    private let logSigner: NoteSigner
    private var readings: [StoredReading] = []
    /// Ids of committed readings not yet in a sealed batch, oldest first.
    private var unsealed: [Int] = []
    private var log = MerkleTree()

    /// The sealed batches, in sequence order (batch `i` is log leaf `i`).
    public private(set) var batches: [SealedBatch] = []
    /// Why each batch closed, parallel to ``batches``.
    public private(set) var closeReasons: [BatchAccumulator.CloseReason] = []
    /// The latest published checkpoint.
    public private(set) var checkpoint: SignedCheckpoint?

    /// Creates an empty ledger.
    /// - Parameters:
    ///   - identityKey: the gateway key that signs batch headers.
    ///   - logSigner: the log key that signs checkpoints (its name should equal `origin`).
    public init(gatewayID: String, configVersion: String = "seal-v1", policy: BatchPolicy = .bedsideDefault,
                identityKey: Ed25519.PrivateKey, logSigner: NoteSigner, origin: String) {
        self.origin = origin
        self.accumulator = BatchAccumulator(policy: policy)
        self.sealer = BatchSealer(gatewayID: gatewayID, configVersion: configVersion, identityKey: identityKey)
        self.logSigner = logSigner
    }

    /// The number of committed readings.
    public var readingCount: Int { readings.count }
    /// The number of committed readings not yet sealed in a batch.
    public var unsealedCount: Int { unsealed.count }
    /// The signed headers, in sequence order.
    public var headers: [SignedBatchHeader] { batches.map(\.signedHeader) }
    /// The number of log leaves (batch header hashes).
    public var logSize: UInt64 { log.count }

    /// Commits a reading's canonical bytes received at `receivedAt` (ms) with a fresh salt,
    /// feeds the accumulator and seals whatever it closes.
    /// - Returns: the reading id (its index).
    @discardableResult
    public mutating func commit(canonical: [UInt8], receivedAt: Int64) throws(SealingError) -> UInt64 {
        let (salt, commitment) = Commitment.make(canonical: canonical)
        let id = readings.count
        readings.append(StoredReading(commitment: commitment, salt: salt, canonical: canonical, receivedAt: receivedAt))
        try apply(accumulator.handle(.readingCommitted(at: receivedAt)), newReading: id)
        return UInt64(id)
    }

    /// Feeds the timer.
    public mutating func tick(at time: Int64) throws(SealingError) {
        try apply(accumulator.handle(.tick(at: time)), newReading: nil)
    }

    /// Closes the open batch.
    public mutating func shutdown(at time: Int64) throws(SealingError) {
        try apply(accumulator.handle(.shutdown(at: time)), newReading: nil)
    }

    /// Signs a checkpoint of the current log with the log key, cosigned by `witnesses` at
    /// POSIX time `timestamp`, and makes it the one bundles refer to.
    /// - Throws: ``SealingError`` `.signingFailure`.
    @discardableResult
    public mutating func publishCheckpoint(witnesses: [CosignatureSigner] = [],
                                           timestamp: UInt64 = 1_700_000_000) throws(SealingError) -> SignedCheckpoint {
        do {
            var signed = try SignedCheckpoint(
                checkpoint: try Checkpoint(origin: origin, size: log.count, rootHash: log.rootHash), logSigner: logSigner)
            for witness in witnesses { try signed.addCosignature(by: witness, timestamp: timestamp) }
            checkpoint = signed
            return signed
        } catch {
            throw SealingError(code: .signingFailure, reason: "cannot sign a checkpoint of size \(log.count)",
                               underlying: error)
        }
    }

    /// Crypto-erases a reading: its salt and canonical bytes are destroyed.
    /// - Throws: ``SealingError`` `.unknownReading`.
    public mutating func erase(readingID: UInt64) throws(SealingError) {
        let index = try self.index(readingID)
        readings[index].salt = nil
        readings[index].canonical = nil
    }

    /// The proof bundle of reading `readingID` against the latest checkpoint.
    /// - Throws: ``SealingError`` `.unknownReading`, `.notYetProvable` (batch still open or not
    ///   covered by the checkpoint), `.proofFailure`.
    public func bundle(forReading readingID: UInt64) throws(SealingError) -> ProofBundle {
        let reading = readings[try index(readingID)]
        guard let place = reading.place else {
            throw SealingError(code: .notYetProvable, reason: "reading \(readingID) is in the open batch")
        }
        guard let checkpoint, checkpoint.checkpoint.size > UInt64(place.batch) else {
            throw SealingError(code: .notYetProvable, reason: "no checkpoint covers batch \(place.batch) yet")
        }
        let batch = batches[place.batch]
        let readingSection: ProofBundle.ReadingSection
        if let salt = reading.salt, let canonical = reading.canonical {
            readingSection = .init(id: readingID, commitment: reading.commitment.bytes, salt: salt, canonical: canonical)
        } else {
            readingSection = .init(erasedID: readingID, commitment: reading.commitment.bytes)
        }
        let inclusion: [[UInt8]]
        do {
            inclusion = try log.inclusionProof(leafIndex: UInt64(place.batch), treeSize: checkpoint.checkpoint.size)
        } catch {
            throw SealingError(code: .proofFailure, reason: "cannot build the log inclusion proof", underlying: error)
        }
        return ProofBundle(
            reading: readingSection,
            batch: .init(header: batch.signedHeader.header, signature: batch.signedHeader.signature,
                         leafIndex: UInt64(place.leaf), auditPath: try batch.auditPath(leafIndex: place.leaf)),
            log: .init(origin: origin, leafIndex: UInt64(place.batch), treeSize: checkpoint.checkpoint.size,
                       inclusionPath: inclusion, checkpoint: String(decoding: checkpoint.serialized, as: UTF8.self)))
    }

    private func index(_ readingID: UInt64) throws(SealingError) -> Int {
        guard let index = Int(exactly: readingID), readings.indices.contains(index) else {
            throw SealingError(code: .unknownReading, reason: "no reading \(readingID)")
        }
        return index
    }

    private mutating func apply(_ actions: [BatchAccumulator.Action], newReading: Int?) throws(SealingError) {
        for action in actions {
            switch action {
            case .append:
                guard let newReading else { continue }
                unsealed.append(newReading)
            case .close(let reason, let count):
                let members = Array(unsealed.prefix(count))
                unsealed.removeFirst(members.count)
                let sealed = try sealer.seal(members.map {
                    BatchEntry(commitment: readings[$0].commitment, receivedAt: readings[$0].receivedAt)
                })
                let batchIndex = batches.count
                for (leaf, id) in members.enumerated() { readings[id].place = (batchIndex, leaf) }
                batches.append(sealed)
                closeReasons.append(reason)
                log.append(leaf: sealed.signedHeader.header.hash)
            }
        }
    }
}
