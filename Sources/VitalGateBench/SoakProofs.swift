import FoundationEssentials
import Sealing
import SQLite
import Telemetry
import Vault
import VitalGateCommands

/// Proofs sampled after a soak run, half among pruned readings (half of those among compacted
/// batches' readings, when there are both) and half among the others, each
/// bundle written as JSON, read back and verified offline as `vitalgate verify` does (pinned
/// keys, the local ledger's anchor evidence checked).
enum SoakProofs {
    struct Result {
        var pruned = 0
        /// Of the pruned, readings of compacted batches (proven from their batch's archive).
        var compacted = 0
        var unpruned = 0
        var verified = 0
        /// Bundles whose verification failed (each one is a finding).
        var failed = 0
        /// Readings in a batch that no checkpoint covers yet (not a failure).
        var notProvable = 0
        var failures: [String] = []
    }

    static func sample(vaultPath: String, keys: GatewayKeys, gateway: String, count: Int) throws -> Result {
        var result = Result()
        guard count > 0 else { return result }
        let connection = try Connection(path: vaultPath, readOnly: true)
        var prunedIDs: [Int64] = [], keptIDs: [Int64] = []
        for row in try connection.query("""
            SELECT id, length(ciphertext) <= 28 FROM readings WHERE kind != 'event' AND commitment IS NOT NULL
            """) {
            guard let id = row[0].integerValue else { continue }
            if row[1].integerValue == 1 { prunedIDs.append(id) } else { keptIDs.append(id) }
        }
        let compactedIDs = try compactedIDs(connection)
        let vault = try Vault(path: vaultPath, keys: keys)
        let trust = try vault.trustAnchors(gatewayID: gateway)
        let check = AnchorChecks.check(trust: trust, gatewayID: gateway)
        let compactedSet = Set(compactedIDs)
        var rng = SystemRandomNumberGenerator()
        // Half and half; all from one kind when the vault holds only that kind.
        let anyPruned = !prunedIDs.isEmpty || !compactedIDs.isEmpty
        let fromPruned = keptIDs.isEmpty ? count : anyPruned ? count / 2 : 0
        let fromCompacted = compactedIDs.isEmpty ? 0 : prunedIDs.isEmpty ? fromPruned : fromPruned / 2
        let picks = (0..<fromCompacted).compactMap { _ in compactedIDs.randomElement(using: &rng) }
            + (0..<(fromPruned - fromCompacted)).compactMap { _ in prunedIDs.randomElement(using: &rng) }
            + (0..<(count - fromPruned)).compactMap { _ in keptIDs.randomElement(using: &rng) }
        for id in picks {
            guard let bundle = try provable(vault, id, gateway) else {
                result.notProvable += 1
                continue
            }
            let report = BundleVerifier.verify(try ProofBundle(json: bundle.json), trust: trust, anchorCheck: check)
            if report.pruned { result.pruned += 1 } else { result.unpruned += 1 }
            if report.pruned, compactedSet.contains(id) { result.compacted += 1 }
            if report.passed {
                result.verified += 1
            } else {
                result.failed += 1
                if result.failures.count < 5 { result.failures.append("reading \(id): \(report.text)") }
            }
        }
        return result
    }

    /// The ids of the readings of compacted batches (their batches' ranges, less the sealed
    /// records, which keep their rows).
    static func compactedIDs(_ connection: Connection) throws -> [Int64] {
        let hasTable = try connection.query("SELECT 1 FROM sqlite_schema WHERE name = 'compacted_batches'").first != nil
        guard hasTable else { return [] }
        let records = Set(try connection.query("SELECT id FROM readings WHERE kind = 'event'").compactMap { $0.first?.integerValue })
        return try connection.query("SELECT b.first_id, b.last_id FROM compacted_batches c JOIN batches b ON b.seq = c.seq")
            .flatMap { row -> ClosedRange<Int64> in
                let first = row[0].integerValue ?? 0
                return first...max(first, row[1].integerValue ?? 0)
            }
            .filter { !records.contains($0) }
    }

    /// The reading's proof bundle, `nil` while no checkpoint covers its batch.
    private static func provable(_ vault: Vault, _ id: Int64, _ gateway: String) throws -> ProofBundle? {
        do {
            return try vault.proofBundle(readingID: id, gatewayID: gateway)
        } catch {
            if error.code == .notFound { return nil }
            throw error
        }
    }
}
