import EVMLightClient
public import Ledger
import Telemetry

extension EVMLedgerBackend {
    public func progress(of ticket: AnchorTicket, for request: AnchorRequest) throws(LedgerError) -> AnchorProgress {
        let state = try EVMTicketState(ticket: ticket)
        try checkChainID()
        if let hint = try findReceipt(state) {
            return try included(hint, ticket: ticket, request: request)
        }
        // Not mined (as far as the node says). Still in the pool?
        var known = false
        for hash in state.allHashes where try node.knowsTransaction(hash) {
            known = true
            break
        }
        if known {
            let pendingMs = clock() - ticket.submittedAt
            guard pendingMs >= configuration.fees.bumpAfter.wholeMilliseconds else {
                return .pending(ticket, detail: "transaction \(Self.short(state.transactionHash)) pending in the pool")
            }
            do {
                let replacement = try submit(request, replacing: ticket)
                if replacement == ticket {
                    return .pending(ticket, detail: "the nonce was used by an earlier submission; polling it")
                }
                let newState = try EVMTicketState(ticket: replacement)
                return .pending(replacement, detail: "pending for \(pendingMs / 1000) s; replaced by "
                                + "\(Self.short(newState.transactionHash)) with maxFeePerGas \(newState.maxFeePerGas) wei")
            } catch where error.code == .rejected && error.reason.hasPrefix("fee cap reached") {
                return .pending(ticket, detail: "pending; \(error.reason)")
            }
        }
        // Unknown to the node: dropped, or the nonce went to another transaction.
        let used = try node.transactionCount(configuration.senderAddress, "latest")
        if used > state.nonce {
            // Mined between the two questions? Look once more before giving up on it.
            if let hint = try findReceipt(state) {
                return try included(hint, ticket: ticket, request: request)
            }
            return .resubmit(reason: "nonce \(state.nonce) was used by another transaction")
        }
        return .resubmit(reason: "transaction \(Self.short(state.transactionHash)) was dropped from the node's pool")
    }

    /// The first receipt the node has for the ticket's transactions, newest first.
    private func findReceipt(_ state: EVMTicketState) throws(LedgerError) -> EthereumNode.ReceiptHint? {
        for hash in state.allHashes {
            if let hint = try node.receipt(hash) { return hint }
        }
        return nil
    }

    /// The node says the transaction is in block `hint.blockHash`: verify, wait for finality,
    /// build and verify the evidence.
    private func included(_ hint: EthereumNode.ReceiptHint, ticket: AnchorTicket,
                          request: AnchorRequest) throws(LedgerError) -> AnchorProgress {
        guard let rawHeader = try node.rawHeader(hash: hint.blockHash) else {
            if try isReorgedOut(hint.blockHash, number: hint.blockNumber) {
                return .resubmit(reason: "block \(hint.blockNumber) was reorged out before finality")
            }
            return .pending(ticket, detail: "the node does not serve block \(hint.blockNumber) yet")
        }
        let header = try Self.decodeHeader(rawHeader, step: "header-hash")
        guard try blockHash(header, step: "header-hash") == hint.blockHash, header.number == hint.blockNumber else {
            throw untrustworthy("header-hash", "the header served for block \(hint.blockNumber) does not hash to its hash")
        }
        let receipts = try node.rawReceipts(blockHash: hint.blockHash)
        let trie = MerklePatriciaTrie(orderedValues: receipts)
        guard trie.rootHash == header.receiptsRoot else {
            throw untrustworthy("receipts-root", "the receipts served for block \(hint.blockNumber) do not match its receiptsRoot")
        }
        guard hint.transactionIndex < UInt64(receipts.count),
              let receipt = try? Receipt(encoded: receipts[Int(hint.transactionIndex)]) else {
            throw untrustworthy("anchor-event", "no receipt at the transaction index the node named")
        }
        if receipt.outcome == .failure {
            throw LedgerError(code: .rejected, reason: "the anchor transaction reverted in block \(hint.blockNumber) "
                              + "(check the gas limit and the contract address)")
        }
        let sender = configuration.senderAddress
        let expected = AnchorContract.expectedLog(for: request, contract: configuration.contract, sender: sender)
        guard let logIndex = receipt.logs.firstIndex(of: expected) else {
            throw untrustworthy("anchor-event", "the receipt has no anchor event for this request from this contract")
        }

        // Finality: from something this node cannot forge (FinalityGate).
        let final: FinalityGate.FinalBlock
        switch try gate.decide(header: header, hash: hint.blockHash) {
        case .final(let block): final = block
        case .pending(let reason): return .pending(ticket, detail: reason)
        case .reorged(let reason): return .resubmit(reason: reason)
        }
        let finality = final.finality
        let trust = final.trust

        let body = EVMAnchorEvidence(
            chainID: configuration.chainID, contract: configuration.contract, blockNumber: header.number,
            blockHash: hint.blockHash, header: rawHeader, receiptIndex: hint.transactionIndex,
            receiptProof: trie.proof(for: RLP.encode(hint.transactionIndex)), logIndex: UInt64(logIndex),
            sender: sender, finality: finality)
        let evidence = AnchorEvidence(
            type: EVMAnchorEvidence.type, treeSize: request.treeSize, rootHash: request.rootHash,
            locator: body.locator(transactionHash: hint.transactionHash),
            body: body.encoded())
        // One code path: the evidence must pass exactly what an offline auditor runs.
        do {
            let verifier = try EVMEvidenceVerifier(chainID: configuration.chainID, contract: configuration.contract,
                                                   senders: [sender], trust: trust)
            try verifier.verify(evidence, for: request)
        } catch {
            throw LedgerError(code: .untrustworthyNode, reason: "the evidence built from the node's answers does not verify: "
                              + error.reason, step: error.step == "finality" ? "finality" : (error.step ?? "evidence"),
                              underlying: error)
        }
        return .anchored(evidence)
    }

    private func isReorgedOut(_ hash: [UInt8], number: UInt64) throws(LedgerError) -> Bool {
        try gate.isReorgedOut(hash, number: number)
    }

    private func blockHash(_ header: BlockHeader, step: String) throws(LedgerError) -> [UInt8] {
        try gate.blockHash(header, step: step)
    }

    private static func decodeHeader(_ raw: [UInt8], step: String) throws(LedgerError) -> BlockHeader {
        try FinalityGate.decodeHeader(raw, step: step)
    }

    private func untrustworthy(_ step: String, _ reason: String) -> LedgerError {
        LedgerError(code: .untrustworthyNode, reason: reason, step: step)
    }

    static func short(_ hash: [UInt8]) -> String {
        Hex.encode(hash.prefix(6), prefix: true) + "…"
    }
}
