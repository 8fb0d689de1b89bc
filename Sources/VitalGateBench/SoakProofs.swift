import FoundationEssentials
import Sealing
import SQLite
import Telemetry
import Vault
import VitalGateCommands

/// Proofs sampled after a soak run, half among pruned readings and half among the others, each
/// bundle written as JSON, read back and verified offline as `vitalgate verify` does (pinned
/// keys, the local ledger's anchor evidence checked).
enum SoakProofs {
    struct Result {
        var pruned = 0
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
        let vault = try Vault(path: vaultPath, keys: keys)
        let trust = try vault.trustAnchors(gatewayID: gateway)
        let check = AnchorChecks.check(trust: trust, gatewayID: gateway)
        var rng = SystemRandomNumberGenerator()
        // Half and half; all from one kind when the vault holds only that kind.
        let fromPruned = keptIDs.isEmpty ? count : prunedIDs.isEmpty ? 0 : count / 2
        let picks = (0..<fromPruned).compactMap { _ in prunedIDs.randomElement(using: &rng) }
            + (0..<(count - fromPruned)).compactMap { _ in keptIDs.randomElement(using: &rng) }
        for id in picks {
            guard let bundle = try provable(vault, id, gateway) else {
                result.notProvable += 1
                continue
            }
            let report = BundleVerifier.verify(try ProofBundle(json: bundle.json), trust: trust, anchorCheck: check)
            if report.pruned { result.pruned += 1 } else { result.unpruned += 1 }
            if report.passed {
                result.verified += 1
            } else {
                result.failed += 1
                if result.failures.count < 5 { result.failures.append("reading \(id): \(report.text)") }
            }
        }
        return result
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
