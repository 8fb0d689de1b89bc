import EVMLedger
import Ledger
import Sealing
import Telemetry
import Vault

extension AnchorChecks {
    /// What `audit` holds stored evidence to, from the agent's own configuration and keys:
    /// - `local-checkpoint`: verified against the log key;
    /// - `evm-receipt-log`: when `[ledger]` is `evm`, re-verified as the anchoring worker did
    ///   (fully under QBFT, and `pinned` evidence against the configured pinned blocks; under
    ///   confirmations everything but the newest header's place on the canonical chain, which only
    ///   a node or a pinned block hash can show); otherwise parsed strictly;
    /// - every entry carries the locator its backend writes (the EVM transaction hash, which the
    ///   evidence does not commit to, only in shape).
    ///
    /// The key file is read only for `evm` (the gateway's sender address is derived from it).
    static func audit(_ config: AgentConfig, trust: TrustAnchors, keyFile: String) throws -> BundleVerifier.AnchorCheck {
        var verifiers: [any AnchorEvidenceVerifier] = [LocalEvidenceVerifier(logKey: trust.logKey)]
        if config.ledger.backend == "evm" {
            verifiers.append(WorkerEVMVerifier(configuration: try EVMLedgerSettings.configuration(config.ledger, keys: try FileKeyStore.load(path: keyFile))))
        }
        let origin = trust.logOrigin
        let verify = check(verifiers: verifiers, origin: origin, gatewayID: config.gateway.id) { evidence in
            guard evidence.type == EVMAnchorEvidence.type else { return "evidence of unknown type \(evidence.type)" }
            do throws(LedgerError) { _ = try EVMAnchorEvidence(body: evidence.body) } catch { return describe(error) }
            return nil
        }
        return { entry, treeSize, root in
            verify(entry, treeSize, root) ?? locatorProblem(entry, origin: origin)
        }
    }

    /// Why `entry`'s locator is not the one its backend writes, or `nil`.
    static func locatorProblem(_ entry: JSONValue, origin: String) -> String? {
        guard let evidence = try? AnchorEvidence(json: entry) else { return nil }  // named by the check
        switch evidence.type {
        case LocalEvidenceVerifier.evidenceType where evidence.locator != LocalLedger.locator(origin: origin):
            return "the locator is not the embedded log's"
        case EVMAnchorEvidence.type:
            guard let body = try? EVMAnchorEvidence(body: evidence.body), body.isLocator(evidence.locator) else {
                return "the locator does not name the evidence's chain, block and a transaction hash"
            }
            return nil
        default:
            return nil
        }
    }
}
