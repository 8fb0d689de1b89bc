public import EVMLightClient
public import Ledger

/// How a chain hashes its block headers.
public enum HeaderHashing: String, Sendable, Hashable {
    /// `keccak256(header RLP)`: geth, Besu with ethash/clique/PoS, most chains.
    case standard
    /// Besu QBFT: the header re-encoded with the commit seals removed and round 0
    /// (``QBFT/blockHash(_:)``).
    case qbft

    /// The block hash of `header` under this rule.
    /// - Throws: ``LedgerError`` `.invalidEvidence` if a QBFT header's extraData does not decode.
    public func hash(_ header: BlockHeader) throws(LedgerError) -> [UInt8] {
        switch self {
        case .standard:
            return header.hash
        case .qbft:
            do {
                return try QBFT.blockHash(header)
            } catch {
                throw LedgerError(code: .invalidEvidence, reason: "QBFT extraData does not decode", step: "header-hash",
                                  underlying: error)
            }
        }
    }
}
