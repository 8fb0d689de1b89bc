public import EVMLightClient
public import Ledger

/// The consent registry's header source on the agent's own finality rule: the header
/// ``FinalityGate/trustedHeader()`` shows final (QBFT seals, witnesses that agree, or the newest
/// pinned block). A header that rests on one node's word (`trust = "single-node"`) is refused:
/// consent read from it would be whatever that node says (docs/CONSENT-REGISTRY.md).
public struct FinalityGateHeaderSource: TrustedHeaderSource {
    /// The gate that decides.
    public let gate: FinalityGate

    /// A source deciding through `gate`.
    /// - Throws: ``LedgerError`` `.invalidConfiguration` when the gate trusts a single node.
    public init(gate: FinalityGate) throws(LedgerError) {
        guard gate.modeName != "single-node" else {
            throw LedgerError(code: .invalidConfiguration,
                              reason: "consent cannot rest on one node's word: configure QBFT validators, witnesses or pinned blocks",
                              step: "trusted-header")
        }
        self.gate = gate
    }

    /// The newest header the gate shows final.
    /// - Throws: ``LedgerError``: the gate's refusals (`.untrustworthyNode` at its steps);
    ///   `.unavailable` with step `trusted-header` while no header is final yet (the reason says
    ///   what is missing) or when the node no longer has it on its chain.
    public func finalHeader() async throws(LedgerError) -> BlockHeader {
        switch try gate.trustedHeader() {
        case .final(let block):
            guard block.mode != "single-node" else {
                throw LedgerError(code: .untrustworthyNode, reason: "the header rests on one node's word", step: "trusted-header")
            }
            return block.header
        case .pending(let reason):
            throw LedgerError(code: .unavailable, reason: "no final header yet: \(reason)", step: "trusted-header")
        case .reorged(let reason):
            throw LedgerError(code: .unavailable, reason: "the final header left the chain: \(reason)", step: "trusted-header")
        }
    }
}
