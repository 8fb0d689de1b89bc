import Anchoring
import Ledger
import Vault

extension ScratchVault {
    /// Anchors the latest checkpoint as the agent's anchoring worker does with the local ledger;
    /// returns the anchor queue it used.
    @discardableResult
    func anchorLatestCheckpoint(_ vault: Vault, gatewayID: String = "gw") throws -> AnchorStore {
        let trust = try vault.trustAnchors(gatewayID: gatewayID)
        let worker = AnchorWorker(configuration: .init(gatewayID: gatewayID, vaultPath: path), backend: LocalLedger(),
                                  verifier: LocalEvidenceVerifier(logKey: trust.logKey))
        let store = try AnchorStore(vaultPath: path)
        while worker.round(store) == .progressed {}
        return store
    }
}
