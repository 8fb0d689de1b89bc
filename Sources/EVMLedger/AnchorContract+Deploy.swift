#if canImport(Glibc)
import Glibc
#endif
public import EVMLightClient
public import Ledger
public import Secp256k1

extension AnchorContract {
    /// Deploys the anchor contract and returns its address, after checking that
    /// - the node is on `chainID`,
    /// - the creation receipt's `contractAddress` is the address derived from the sender and nonce,
    /// - `eth_getCode` at that address equals `runtimeCode`.
    ///
    /// Polls for the receipt every 100 ms until `timeout`. This is a setup helper (operators,
    /// tests); the deployment is not verified against headers the way anchors are.
    /// - Throws: ``LedgerError``: `.untrustworthyNode` (`chain-id`, or `deploy` when the address or
    ///   code differs), `.rejected`, `.unavailable` (also when no receipt arrives in time).
    public static func deploy(rpc: JSONRPCClient, key: PrivateKey, chainID: UInt64, gasLimit: UInt64 = 300_000,
                              fees: EVMLedgerConfiguration.FeePolicy = .init(), timeout: Duration = .seconds(60),
                              initCode: [UInt8] = AnchorContract.initCode,
                              runtimeCode: [UInt8] = AnchorContract.runtimeCode) throws(LedgerError) -> EthereumAddress {
        let node = EthereumNode(rpc: rpc)
        let reported = try node.chainID()
        guard reported == chainID else {
            throw LedgerError(code: .untrustworthyNode, reason: "the node reports chain id \(reported), expected \(chainID)",
                              step: "chain-id")
        }
        let sender = key.publicKey.ethereumAddress
        let nonce = try node.transactionCount(sender, "pending")
        let price = try EVMLedgerBackend.currentFees(node: node, policy: fees)
        let transaction = EIP1559Transaction(
            chainId: chainID, nonce: nonce, maxPriorityFeePerGas: Quantity(price.priority),
            maxFeePerGas: Quantity(price.maxFee), gasLimit: gasLimit, to: nil, data: initCode)
        let signed: SignedTransaction
        do {
            signed = try transaction.sign(with: key)
        } catch {
            throw LedgerError(code: .invalidConfiguration, reason: "signing the deployment failed", underlying: error)
        }
        if case .error(let code, let message) = try node.sendRawTransaction(signed.rawBytes) {
            throw LedgerError(code: .rejected, reason: "deployment rejected by the node: \(message) (code \(code))")
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var receipt: EthereumNode.ReceiptHint?
        while true {
            receipt = try node.receipt(signed.hash)
            if receipt != nil || ContinuousClock.now >= deadline { break }
            usleep(100_000)
        }
        guard let receipt else {
            throw LedgerError(code: .unavailable, reason: "the deployment was not mined within the timeout")
        }
        guard receipt.succeeded else {
            throw LedgerError(code: .rejected, reason: "the deployment reverted (gas used \(receipt.gasUsed))")
        }
        let expected = creationAddress(sender: sender, nonce: nonce)
        guard receipt.contractAddress == expected.bytes else {
            throw LedgerError(code: .untrustworthyNode, reason: "the receipt's contractAddress is not sender+nonce's",
                              step: "deploy")
        }
        guard try node.code(expected) == runtimeCode else {
            throw LedgerError(code: .untrustworthyNode, reason: "the code at the new address is not the expected runtime",
                              step: "deploy")
        }
        return expected
    }
}
