import Cryptography
import Sealing
import SQLite

/// What one compaction step did (issue 20).
public struct CompactionOutcome: Sendable, Equatable {
    /// Batches whose reading rows were replaced by their archive row.
    public var batches = 0
    /// Reading rows removed (each now a leaf of its batch's archive).
    public var readings = 0
    /// Batches passed over for good: they hold only sealed records, or a dead-lettered reading,
    /// or rows that do not match their signed header (left as they are, for `audit` to name).
    public var skipped = 0

    public init() {}
}

/// A compacted batch as stored: its leaves (the readings' commitments, in id order) and their tag.
struct CompactedBatch {
    var seq: Int64
    var leaves: [UInt8]
    var tag: [UInt8]

    /// The commitment of the reading at `leaf`, if the archive holds it.
    func commitment(at leaf: Int) -> [UInt8]? {
        let start = leaf * Commitment.byteCount
        guard leaf >= 0, start + Commitment.byteCount <= leaves.count else { return nil }
        return Array(leaves[start..<start + Commitment.byteCount])
    }

    /// Every leaf, or nil when the archive is not a whole number of commitments.
    var commitments: [Commitment]? {
        guard leaves.count % Commitment.byteCount == 0 else { return nil }
        return try? stride(from: 0, to: leaves.count, by: Commitment.byteCount).map {
            try Commitment(bytes: Array(leaves[$0..<$0 + Commitment.byteCount]))
        }
    }

    /// `vg-compacted-v1 ‖ seq ‖ first id ‖ last id ‖ leaves` (integers 8 bytes big-endian): the
    /// tag binds the archive to its batch's place and range under the gateway key.
    static func associatedData(seq: Int64, firstID: Int64, lastID: Int64, leaves: [UInt8]) -> [UInt8] {
        var aad = Array("vg-compacted-v1".utf8)
        for value in [seq, firstID, lastID] { withUnsafeBytes(of: value.bigEndian) { aad.append(contentsOf: $0) } }
        aad.append(contentsOf: leaves)
        return aad
    }
}

extension Vault {
    /// The `meta` keys of compaction: the next batch to look at, and the readings compacted.
    static let compactionNextBatchKey = "compaction_next_batch"
    static let retentionCompactedKey = "retention_compacted"

    /// How long after its newest reading arrived a batch is kept row by row at least (1 hour on
    /// the agent's clock): within it, a copy the broker delivers again (an acknowledgement lost
    /// at a reconnect) still finds its original through the identity index and is stored once.
    public static let compactionMinimumAgeMs: Int64 = 3_600_000

    /// Compacts, in one transaction, the oldest batches whose readings are all pruned (or
    /// evicted), up to about `limit` readings (at least one batch): each batch's reading rows and
    /// their index entries are deleted, and one `compacted_batches` row keeps its leaves (the
    /// commitments, in id order) with a tag under the gateway key. A pruned reading then costs
    /// its 32-byte commitment instead of its row (~190 bytes with its index entry). Sealed
    /// records in the batch (alerts, disclosures, events: never pruned) keep their rows.
    ///
    /// Proofs of compacted readings are built from the leaves and say `pruned`; `audit` checks
    /// each archive's tag and its root against the signed header. A batch that holds a
    /// dead-lettered reading, or whose rows do not match its header, stays as it is.
    /// Batches are taken in order: a batch whose newest reading arrived less than `minimumAgeMs`
    /// before `now`, or that is not wholly pruned yet, ends the step.
    @discardableResult
    public func compactStep(now: Int64, limit: Int, minimumAgeMs: Int64)
        throws(VaultError) -> CompactionOutcome {
        guard limit > 0 else { return CompactionOutcome() }
        // Most steps find nothing to do: seen without the write lock.
        let idle = try read { () throws -> Bool in
            let next = try metaInteger(Self.compactionNextBatchKey)
            let pruned = try metaInteger(Self.retentionScannedKey)
            guard let last = try db.cached("SELECT last_id FROM batches WHERE seq = ?").firstRow(.integer(next))?
                .first?.integerValue else { return true }
            return last > pruned
        }
        if idle { return CompactionOutcome() }
        return try write { try compactInTransaction(now: now, limit: limit, minimumAgeMs: minimumAgeMs) }
    }

    private func compactInTransaction(now: Int64, limit: Int, minimumAgeMs: Int64) throws -> CompactionOutcome {
        var outcome = CompactionOutcome()
        var next = try metaInteger(Self.compactionNextBatchKey)
        let pruned = try metaInteger(Self.retentionScannedKey)
        let batch = try db.cached("SELECT first_id, last_id, header FROM batches WHERE seq = ?")
        let members = try db.cached("""
            SELECT id, kind, commitment, length(ciphertext), received_at FROM readings WHERE id BETWEEN ? AND ? ORDER BY id
            """)
        let deadLetter = try db.cached("SELECT 1 FROM dead_letters WHERE record_id BETWEEN ? AND ? LIMIT 1")
        let archive = try db.cached("INSERT INTO compacted_batches (seq, leaves, tag) VALUES (?, ?, ?)")
        let remove = try db.cached("DELETE FROM readings WHERE id BETWEEN ? AND ? AND kind != 'event'")
        while outcome.readings < limit && outcome.batches + outcome.skipped < max(limit / 8, 4) {
            guard let row = try batch.firstRow(.integer(next)), let first = row[0].integerValue,
                  let last = row[1].integerValue, last <= pruned else { break }
            let rows = try members.allRows(.integer(first), .integer(last))
            if let newest = rows.compactMap({ $0[4].integerValue }).max(), newest > now - minimumAgeMs { break }
            var leaves: [UInt8] = []
            leaves.reserveCapacity(rows.count * Commitment.byteCount)
            // A batch of sealed records only has nothing to compact.
            var whole = rows.count == Int(last - first + 1) && rows.contains { $0[1].textValue != "event" }
            for (offset, member) in rows.enumerated() where whole {
                let content = member[3].integerValue ?? .max
                guard member[0].integerValue == first + Int64(offset),
                      member[1].textValue == "event" || content <= Int64(Self.prunedContentMaxBytes),
                      let commitment = member[2].blobValue, commitment.count == Commitment.byteCount else {
                    whole = false
                    break
                }
                leaves.append(contentsOf: commitment)
            }
            // The leaves must be what the batch signed: a batch altered in the file is left for audit.
            if whole, let header = try? BatchHeader(encoded: row[2].blobValue ?? []), Int(header.size) == rows.count,
               let commitments = CompactedBatch(seq: next, leaves: leaves, tag: []).commitments,
               BatchSealer.root(commitments) == header.root,
               try deadLetter.firstRow(.integer(first), .integer(last)) == nil {
                let aad = CompactedBatch.associatedData(seq: next, firstID: first, lastID: last, leaves: leaves)
                let tag = try AES256GCM.encrypt([], key: gatewayKey, nonce: nonces.bytes(AES256GCM.nonceByteCount),
                                                associatedData: aad).combined
                try archive.run(.integer(next), .blob(leaves), .blob(tag))
                try remove.run(.integer(first), .integer(last))
                outcome.batches += 1
                outcome.readings += db.changes
            } else {
                outcome.skipped += 1
            }
            next += 1
        }
        guard outcome.batches + outcome.skipped > 0 else { return outcome }
        try setMetaInteger(Self.compactionNextBatchKey, next)
        if outcome.readings > 0 {
            try setMetaInteger(Self.retentionCompactedKey, try metaInteger(Self.retentionCompactedKey) + Int64(outcome.readings))
        }
        return outcome
    }

    /// The archive of batch `seq`, if it was compacted.
    func compactedBatch(_ seq: Int64) throws -> CompactedBatch? {
        guard let row = try db.cached("SELECT leaves, tag FROM compacted_batches WHERE seq = ?").firstRow(.integer(seq))
        else { return nil }
        return CompactedBatch(seq: seq, leaves: row[0].blobValue ?? [], tag: row[1].blobValue ?? [])
    }

    /// Whether an archive's tag authenticates its leaves for the batch of `seq` and its id range.
    func compactedBatchAuthenticates(_ archive: CompactedBatch, firstID: Int64, lastID: Int64) -> Bool {
        guard archive.tag.count == Self.prunedContentMaxBytes,
              let box = try? AES256GCM.EncryptedBox(combined: archive.tag) else { return false }
        let aad = CompactedBatch.associatedData(seq: archive.seq, firstID: firstID, lastID: lastID, leaves: archive.leaves)
        return (try? AES256GCM.decrypt(box, key: gatewayKey, associatedData: aad)) != nil
    }

    /// The highest reading id ever given: the newest row, or the last id of the newest batch when
    /// its rows were compacted away. Ids are never reused (an id names a leaf in a signed batch).
    static let highestReadingIDQuery = """
        SELECT max(coalesce((SELECT max(id) FROM readings), 0),
                   coalesce((SELECT last_id FROM batches ORDER BY seq DESC LIMIT 1), 0))
        """
}
