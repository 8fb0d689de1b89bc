import EVMLedger
import Ledger
public import Sealing
import Telemetry

/// The anchor checks `verify` runs: one evidence verifier per anchor type, built from what the
/// auditor pins.
public enum AnchorChecks {
    /// `local-checkpoint` anchors are checked against the pinned log key; `evm-receipt-log`
    /// anchors against `trust.ledger` plus `trustedBlocks`, and fail without them.
    public static func check(trust: TrustAnchors, gatewayID: String, trustedBlocks: [[UInt8]] = []) -> BundleVerifier.AnchorCheck {
        var verifiers: [any AnchorEvidenceVerifier] = [LocalEvidenceVerifier(logKey: trust.logKey)]
        var setupFailure: String?
        if let ledger = trust.ledger {
            do { verifiers.append(try EVMLedgerSettings.verifier(trust: ledger, extraTrustedBlocks: trustedBlocks)) } catch {
                setupFailure = "the pinned ledger cannot be used: \(error)"
            }
        }
        let unusable = setupFailure
        let pinned = verifiers
        let origin = trust.logOrigin
        return { entry, treeSize, root in
            do throws(LedgerError) {
                let evidence = try AnchorEvidence(json: entry)
                guard let verifier = pinned.first(where: { $0.evidenceTypes.contains(evidence.type) }) else {
                    return unusable ?? "no pinned ledger trust for anchors of type \(evidence.type)"
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
