import Sealing
import SQLite

extension Vault {
    /// Checks batch `seq` if it was compacted (returns false otherwise, and checks nothing): its
    /// archive's tag must authenticate the leaves for this batch and id range under the gateway
    /// key (an archive made or altered without the key is found), the leaves must be the
    /// header's size and Merkle root (a flipped byte is found), and the only rows left in its
    /// range are its sealed records, each with the commitment of its leaf (a reading row there was
    /// inserted; the records' content is checked with every row's).
    func auditCompactedBatch(_ seq: Int64, header: BatchHeader, firstID: Int64, lastID: Int64,
                             into report: inout AuditReport) throws -> Bool {
        guard let archive = try compactedBatch(seq) else { return false }
        report.readingsCompacted += Int(header.size)
        if !compactedBatchAuthenticates(archive, firstID: firstID, lastID: lastID) {
            report.add("compacted_batches", seq, "archive does not authenticate under the gateway key (altered, or made without the key)")
        }
        if let commitments = archive.commitments, commitments.count == Int(header.size),
           commitments.count == Int(lastID - firstID + 1) {
            if BatchSealer.root(commitments) != header.root {
                report.add("compacted_batches", seq, "Merkle root of its archived leaves differs from the signed root")
            }
        } else {
            report.add("compacted_batches", seq, "archive holds \(archive.leaves.count) bytes of leaves, "
                       + "its signed header says \(header.size) readings")
        }
        let left = try db.cached("SELECT id, kind, commitment FROM readings WHERE id BETWEEN ? AND ? ORDER BY id")
            .allRows(.integer(firstID), .integer(lastID))
        for row in left {
            let id = row[0].integerValue ?? firstID
            if row[1].textValue != "event" {
                report.add("readings", id, "a reading row in compacted batch \(seq) (inserted)")
            } else if row[2].blobValue != archive.commitment(at: Int(id - firstID)) {
                report.add("readings", id, "commitment differs from its leaf in compacted batch \(seq)")
            }
        }
        return true
    }

    /// Archives whose batch does not exist (batches are numbered from 0 without gaps).
    func auditOrphanArchives(batches: Int, into report: inout AuditReport) throws {
        for row in try db.query("SELECT seq FROM compacted_batches WHERE seq < 0 OR seq >= ?", [.integer(Int64(batches))]) {
            report.add("compacted_batches", row[0].integerValue ?? -1, "archive of a batch that does not exist")
        }
    }
}
