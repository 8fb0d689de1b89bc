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
        return check(verifiers: verifiers, origin: trust.logOrigin, gatewayID: gatewayID) { evidence in
            unusable ?? "no pinned ledger trust for anchors of type \(evidence.type)"
        }
    }

    /// Parses `entry` strictly and verifies it with the verifier of its type for the checkpoint
    /// of `treeSize` and `root`; a type no verifier handles goes to `unverifiable`.
    static func check(verifiers: [any AnchorEvidenceVerifier], origin: String, gatewayID: String,
                      unverifiable: @escaping @Sendable (AnchorEvidence) -> String?) -> BundleVerifier.AnchorCheck {
        { entry, treeSize, root in
            do throws(LedgerError) {
                let evidence = try AnchorEvidence(json: entry)
                guard let verifier = verifiers.first(where: { $0.evidenceTypes.contains(evidence.type) }) else {
                    return unverifiable(evidence)
                }
                let request = try AnchorRequest(gatewayID: gatewayID, origin: origin, treeSize: treeSize, rootHash: root)
                try verifier.verify(evidence, for: request)
                return nil
            } catch {
                return describe(error)
            }
        }
    }

    static func describe(_ error: LedgerError) -> String { "\(error.step.map { "step \($0): " } ?? "")\(error.reason)" }
}
