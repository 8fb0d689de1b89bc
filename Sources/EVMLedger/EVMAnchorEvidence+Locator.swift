import Telemetry

extension EVMAnchorEvidence {
    /// The evidence's locator, `chain <id> block <number> tx 0x<hash>` (informational: the body
    /// does not carry the transaction hash, so no verifier checks it).
    public func locator(transactionHash: [UInt8]) -> String {
        locatorPrefix + Hex.encode(transactionHash, prefix: true)
    }

    /// Whether `text` is a locator this evidence could carry: its chain and block, and a
    /// transaction hash as 32 bytes of lower-case hex (`audit` holds stored evidence to it; the
    /// hash itself cannot be checked offline).
    public func isLocator(_ text: String) -> Bool {
        guard text.hasPrefix(locatorPrefix + "0x") else { return false }
        let hash = text.utf8.dropFirst(locatorPrefix.utf8.count + 2)
        return hash.count == 64 && hash.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private var locatorPrefix: String { "chain \(chainID) block \(blockNumber) tx " }
}
