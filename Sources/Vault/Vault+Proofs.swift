import Cryptography
public import Sealing
import SQLite
import Telemetry
import Transparency

extension Vault {
    /// The proof bundle for reading `id`: commitment (with salt and canonical bytes unless
    /// erased), batch audit path, signed header, log inclusion and checkpoint. The checkpoint is
    /// the smallest anchored one that covers the batch, with its anchor evidence in `anchors`;
    /// while none is, the latest checkpoint (and no anchors).
    public func proofBundle(readingID id: Int64, gatewayID: String) throws(VaultError) -> ProofBundle {
        let row = try read {
            try db.query("""
                SELECT patient_ref, ciphertext, received_at, commitment, \(ReadingRowColumns.select) FROM readings WHERE id = ?
                """, [.integer(id)]).first
        }
        let batchRow = try read {
            try db.query("SELECT seq, first_id, last_id FROM batches WHERE first_id <= ? ORDER BY first_id DESC LIMIT 1",
                         [.integer(id)]).first
        }
        // A compacted batch's leaves are its archive's; its readings have no rows (a sealed record keeps its row).
        if let batchRow, let seq = batchRow[0].integerValue, let firstID = batchRow[1].integerValue,
           let lastID = batchRow[2].integerValue, id <= lastID,
           let archive = try read({ try compactedBatch(seq) }) {
            guard let commitments = archive.commitments, let commitment = archive.commitment(at: Int(id - firstID)) else {
                throw VaultError(.corruptRow, "the archive of batch \(seq) does not hold reading \(id)")
            }
            var section = ProofBundle.ReadingSection(prunedID: UInt64(id), commitment: commitment)
            if let row { section = try readingSection(id: id, row: row, commitment: row[3].blobValue ?? commitment) }
            return try proofBundle(section, batchSeq: seq, commitments: commitments, leaf: Int(id - firstID),
                                   gatewayID: gatewayID)
        }
        guard let row else { throw VaultError(.notFound, "no reading \(id)") }
        guard let commitment = row[3].blobValue else {
            throw VaultError(.notFound, "reading \(id) predates sealing (no commitment)")
        }
        guard let batchRow, let batchSeq = batchRow[0].integerValue, let firstID = batchRow[1].integerValue,
              let lastID = batchRow[2].integerValue, id <= lastID else {
            throw VaultError(.notFound, "reading \(id) is in the open batch; it is provable once the batch closes")
        }
        let readingSection = try readingSection(id: id, row: row, commitment: commitment)
        let (commitments, leaf) = try read { () throws -> ([Commitment], Int) in
            let commitments = try db.query("""
                SELECT commitment FROM readings WHERE id BETWEEN ? AND ? AND commitment IS NOT NULL ORDER BY id
                """, [.integer(firstID), .integer(lastID)]).compactMap { $0.first?.blobValue }.map { try Commitment(bytes: $0) }
            let leaf = try db.query("SELECT count(*) FROM readings WHERE id >= ? AND id < ? AND commitment IS NOT NULL",
                                    [.integer(firstID), .integer(id)]).first?.first?.integerValue ?? 0
            return (commitments, Int(leaf))
        }
        return try proofBundle(readingSection, batchSeq: batchSeq, commitments: commitments, leaf: leaf, gatewayID: gatewayID)
    }

    /// The reading section of row `row` (`patient_ref, ciphertext, received_at, commitment`, then the row columns).
    private func readingSection(id: Int64, row: [SQLiteValue], commitment: [UInt8]) throws(VaultError)
        -> ProofBundle.ReadingSection {
        do {
            let (salt, canonical) = try saltAndCanonical(id: id, columns: ReadingRowColumns(row: row, at: 4),
                                                        patientRef: row[0].integerValue, ciphertext: row[1].blobValue ?? [])
            return .init(id: UInt64(id), commitment: commitment, salt: salt, canonical: canonical)
        } catch let error where error.code == .erased {
            return .init(erasedID: UInt64(id), commitment: commitment)
        } catch let error where error.code == .pruned {  // retention: the content is gone, the proof stays
            return .init(prunedID: UInt64(id), commitment: commitment)
        }
    }

    /// The bundle of `reading`, leaf `leaf` of batch `batchSeq` whose leaves are `commitments`.
    private func proofBundle(_ readingSection: ProofBundle.ReadingSection, batchSeq: Int64, commitments: [Commitment],
                             leaf: Int, gatewayID: String) throws(VaultError) -> ProofBundle {
        let id = Int64(readingSection.id)
        let logStore = try logStore()
        let (header, signature, checkpoint, evidence) = try read {
            () throws -> ([UInt8], [UInt8], (Int64, String)?, [UInt8]?) in
            let batch = try db.query("SELECT header, signature FROM batches WHERE seq = ?", [.integer(batchSeq)]).first
            let anchored = try db.query("""
                SELECT a.size, c.note, a.evidence FROM anchors a JOIN checkpoints c ON c.size = a.size
                WHERE a.status = 'anchored' AND a.size > ? ORDER BY a.size LIMIT 1
                """, [.integer(batchSeq)]).first
            let latest = try anchored ?? db.query("SELECT size, note, NULL FROM checkpoints ORDER BY size DESC LIMIT 1").first
            return (batch?[0].blobValue ?? [], batch?[1].blobValue ?? [],
                    latest.map { ($0[0].integerValue ?? 0, $0[1].textValue ?? "") }, latest?[2].blobValue)
        }
        guard let (size, note) = checkpoint, size > batchSeq else {
            throw VaultError(.notFound, "no checkpoint covers batch \(batchSeq) yet")
        }
        do {
            let origin = (sealingLog.configuration ?? SealingConfiguration(gatewayID: gatewayID)).origin
            let decodedHeader = try BatchHeader(encoded: header)
            let path = try BatchSealer.auditPath(commitments, leafIndex: leaf)
            let inclusion = try logStore.inclusionProof(leafIndex: UInt64(batchSeq), treeSize: UInt64(size))
            return ProofBundle(
                reading: readingSection,
                batch: .init(header: decodedHeader, signature: signature, leafIndex: UInt64(leaf), auditPath: path),
                log: .init(origin: origin, leafIndex: UInt64(batchSeq), treeSize: UInt64(size), inclusionPath: inclusion,
                           checkpoint: note),
                anchors: try evidence.map { [try JSONParser(maxBytes: 1 << 21, maxDepth: 16).parse($0)] } ?? [])
        } catch {
            throw VaultError(.corruptRow, "cannot build the proof for reading \(id)", underlying: error)
        }
    }

    /// Decrypts a reading row of plaintext v2 or v3 into its salt and canonical bytes.
    func saltAndCanonical(id: Int64, columns: ReadingRowColumns, patientRef: Int64?, ciphertext: [UInt8])
        throws(VaultError) -> ([UInt8], [UInt8]) {
        let content = try readingContent(id: id, columns: columns, patientRef: patientRef, ciphertext: ciphertext,
                                         receivedAt: 0)
        guard let salt = content.salt else { throw VaultError(.corruptRow, "reading \(id) has no salt (plaintext v1)") }
        return (salt, content.canonical)
    }
}

extension Vault {
    /// A consistency proof between two stored checkpoints of the embedded log (RFC 6962 §2.1.2):
    /// the older log is a prefix of the newer one. Returns both signed notes and the proof.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws(VaultError)
        -> (old: String, new: String, proof: [[UInt8]]) {
        let notes = try read { () throws -> [Int64: String] in
            let rows = try db.query("SELECT size, note FROM checkpoints WHERE size IN (?, ?)",
                                    [.integer(Int64(oldSize)), .integer(Int64(newSize))])
            var notes: [Int64: String] = [:]
            for row in rows { notes[row[0].integerValue ?? -1] = row[1].textValue }
            return notes
        }
        guard let old = notes[Int64(oldSize)], let new = notes[Int64(newSize)] else {
            throw VaultError(.notFound, "no stored checkpoints of sizes \(oldSize) and \(newSize)")
        }
        let store = try logStore()
        do {
            return (old, new, try store.consistencyProof(from: oldSize, to: newSize))
        } catch {
            throw VaultError(.notFound, "no consistency proof from \(oldSize) to \(newSize)", underlying: error)
        }
    }
}
