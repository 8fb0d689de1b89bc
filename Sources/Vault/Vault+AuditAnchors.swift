import Sealing
import SQLite
import Telemetry
import Transparency

extension Vault {
    /// The largest stored evidence `audit` parses (an `evm-receipt-log` body is at most 4 MiB).
    static let maximumEvidenceBytes = 8 << 20

    /// `anchors.evidence` of every anchored row, offline: the stored bytes parse and are the
    /// canonical JSON the anchoring worker wrote; the entry's `tree_size` and `root` are those of
    /// the stored, log-signed checkpoint of the row's size; and, when `check` is given (the
    /// backends' verifiers live outside this module), the evidence verifies for that checkpoint.
    /// One row in memory at a time (one anchor per anchoring round, so few rows).
    func auditAnchors(origin: String, logVerifier: any NoteVerifier, check: BundleVerifier.AnchorCheck?,
                      into report: inout AuditReport) throws(VaultError) {
        try read {
            let anchors = try db.prepare("SELECT size, evidence FROM anchors WHERE status = 'anchored' ORDER BY size")
            let checkpoint = try db.prepare("SELECT note FROM checkpoints WHERE size = ?")
            while try anchors.step() {
                let size = anchors.int64(0)
                report.anchorsChecked += 1
                guard let stored = anchors.blob(1) else {
                    report.add("anchors", size, "anchored, but its evidence is missing")
                    continue
                }
                guard let entry = try? JSONParser(maxBytes: Self.maximumEvidenceBytes, maxDepth: 16).parse(stored),
                      JSONWriter.canonicalBytes(entry) == stored else {
                    report.add("anchors", size, "evidence does not parse as the canonical JSON it was stored as (altered)")
                    continue
                }
                guard let note = try checkpoint.firstRow(.integer(size))?.first?.textValue else {
                    report.add("anchors", size, "anchors a checkpoint that is not stored")
                    continue
                }
                // A checkpoint that does not verify is named under `checkpoints`; nothing to compare with.
                guard let signed = try? SignedCheckpoint.open(Array(note.utf8), origin: origin, logVerifier: logVerifier)
                else { continue }
                let root = signed.checkpoint.rootHash
                guard entry["tree_size"]?.numberValue == Double(size), entry["root"]?.stringValue == root.hexString else {
                    report.add("anchors", size, "evidence commits to another tree size or root than checkpoint \(size)")
                    continue
                }
                if let failure = check?(entry, UInt64(size), root) {
                    report.add("anchors", size, "evidence does not verify: \(failure)")
                }
            }
        }
    }
}
