import SQLite

extension Vault {
    /// Checks a sealed reading whose content was pruned: what it keeps (its commitment, checked in
    /// its batch's root like every reading's) must be what its tombstone authenticates under the
    /// reading's key: a changed id, device, kind, seq, device time, arrival, patient, model, schema, digest or
    /// commitment, and content removed by anyone without the key, are found. For an erased
    /// patient's reading nothing can be authenticated; its digest must be the erasure's zeros.
    /// Sealed records are never pruned.
    func auditPrunedReading(_ id: Int64, tombstone: [UInt8], into report: inout AuditReport) throws {
        report.readingsPruned += 1
        guard let row = try db.cached("""
            SELECT device, kind, seq, device_time, received_at, patient_ref, digest, commitment, model, schema_id
            FROM readings WHERE id = ?
            """).firstRow(.integer(id)) else { return }
        let fields = PrunedFields(id: id, device: row[0].textValue ?? "", kind: row[1].textValue ?? "",
                                  seq: row[2].integerValue ?? 0, deviceTime: row[3].integerValue ?? 0,
                                  receivedAt: row[4].integerValue ?? 0, patientRef: row[5].integerValue,
                                  model: row[8].textValue ?? "", schemaID: row[9].textValue ?? "",
                                  digest: row[6].blobValue ?? [], commitment: row[7].blobValue ?? [])
        if fields.kind == "event" {
            report.add("readings", id, "content removed from a sealed record (records are never pruned)")
            return
        }
        let authentic: Bool?
        do { authentic = try prunedRowAuthenticates(fields, tombstone: tombstone) } catch {
            report.add("readings", id, "pruned, but names an unknown patient row")
            return
        }
        switch authentic {
        case nil:
            report.readingsErased += 1
            if fields.digest != Self.scrubbedDigest {
                report.add("readings", id, "digest is not the zeros its patient's erasure left (altered, or not scrubbed)")
            }
        case false?:
            report.add("readings", id, "pruned, but its tombstone does not authenticate the row "
                       + "(a kept column altered, or content removed without the key)")
        case true?:
            break
        }
    }
}
