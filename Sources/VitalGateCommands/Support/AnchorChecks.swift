import Ledger
import Sealing
import Telemetry

/// The anchor checks `verify` runs: one evidence verifier per anchor type, built from what the
/// auditor pins.
enum AnchorChecks {
    /// `local-checkpoint` anchors are checked against the pinned log key; other types need their
    /// ledger's trust (a pinned chain), and fail without it.
    static func check(trust: TrustAnchors, gatewayID: String) -> BundleVerifier.AnchorCheck {
        let verifiers: [any AnchorEvidenceVerifier] = [LocalEvidenceVerifier(logKey: trust.logKey)]
        let origin = trust.logOrigin
        return { entry, treeSize, root in
            do throws(LedgerError) {
                let evidence = try AnchorEvidence(json: entry)
                guard let verifier = verifiers.first(where: { $0.evidenceTypes.contains(evidence.type) }) else {
                    return "no pinned ledger trust for anchors of type \(evidence.type)"
                }
                let request = try AnchorRequest(gatewayID: gatewayID, origin: origin, treeSize: treeSize, rootHash: root)
                try verifier.verify(evidence, for: request)
                return nil
            } catch {
                return "\(error.step.map { "step \($0): " } ?? "")\(error.reason)"
            }
        }
    }
}
