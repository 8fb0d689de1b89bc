public import EVMLightClient
public import Ledger

/// Verifies `evm-receipt-log` evidence offline, with only what an auditor pins: the chain id,
/// the anchor contract, the gateway's sender address(es) and either trusted block hashes or a
/// QBFT validator set.
///
/// Steps, each named in the thrown error's `step`:
/// 1. `parse`: the body decodes strictly (``EVMAnchorEvidence/init(body:)``), its chain id is the
///    pinned one and the headers are valid block headers.
/// 2. `header-hash`: the header hashes (``HeaderHashing``) to `blockHash` and has `blockNumber`.
/// 3. `receipt-proof`: the proof leads from the header's `receiptsRoot` to a value at key
///    `RLP(receiptIndex)`, which decodes as a receipt.
/// 4. `anchor-event`: the receipt succeeded, and its log at `logIndex` is exactly the anchor
///    event for the request: emitted by the pinned contract, topics `[Anchored topic, sender,
///    keccak256(gateway id)]` with a pinned sender, data `root ‖ treeSize` of the request; the
///    evidence's own root and size equal the request's.
/// 5. `finality`: for trusted hashes, the descendant headers link by parent hash from the anchor
///    block, there are at least `minimumConfirmations` of them (`confirmations` evidence; a
///    `pinned` chain needs none beyond its pinned block), and the anchor block or one of them
///    has a pinned hash; for QBFT, the anchor header carries commit seals from at least ⌈2n/3⌉
///    pinned validators.
public struct EVMEvidenceVerifier: AnchorEvidenceVerifier {
    /// How the verifier decides that the anchor block is final (and on the right chain).
    public enum Trust: Sendable, Hashable {
        /// Block hashes the auditor knows to be on the canonical chain. The anchor block or one
        /// of the descendant headers in the evidence must have one of them, and `confirmations`
        /// evidence must carry at least `minimumConfirmations` descendants of the anchor block
        /// (`pinned` evidence ends at the pinned block, whatever its depth).
        case trustedBlocks(hashes: [[UInt8]], minimumConfirmations: Int, hashing: HeaderHashing = .standard)
        /// A pinned QBFT validator set: the anchor header must carry a quorum of their seals.
        case qbft(validators: [EthereumAddress])
    }

    /// The most descendant headers evidence may carry under confirmations.
    public static let maximumDescendantHeaders = 256
    /// The most headers evidence may carry from the anchor block up to a pinned block.
    public static let maximumPinnedChainHeaders = 1024

    /// The pinned chain id.
    public let chainID: UInt64
    /// The pinned anchor contract.
    public let contract: EthereumAddress
    /// The gateway ledger addresses allowed as the event's sender.
    public let senders: [EthereumAddress]
    /// The finality trust anchor.
    public let trust: Trust
    private let sealVerifier: QBFTSealVerifier?

    /// Pins the trust.
    /// - Throws: ``LedgerError`` `.invalidConfiguration` for no senders, a trusted hash that is not
    ///   32 bytes, a confirmation count outside `0...256` or an invalid validator set.
    public init(chainID: UInt64, contract: EthereumAddress, senders: [EthereumAddress],
                trust: Trust) throws(LedgerError) {
        guard !senders.isEmpty else {
            throw LedgerError(code: .invalidConfiguration, reason: "pin at least one sender address")
        }
        switch trust {
        case .trustedBlocks(let hashes, let minimum, _):
            guard !hashes.isEmpty, hashes.allSatisfy({ $0.count == 32 }) else {
                throw LedgerError(code: .invalidConfiguration, reason: "trusted block hashes must be 32 bytes each")
            }
            guard (0...Self.maximumDescendantHeaders).contains(minimum) else {
                throw LedgerError(code: .invalidConfiguration,
                                  reason: "minimum confirmations must be 0...\(Self.maximumDescendantHeaders)")
            }
            sealVerifier = nil
        case .qbft(let validators):
            do {
                sealVerifier = try QBFTSealVerifier(validators: validators)
            } catch {
                throw LedgerError(code: .invalidConfiguration, reason: "QBFT validator set: \(error.reason)")
            }
        }
        self.chainID = chainID
        self.contract = contract
        self.senders = senders
        self.trust = trust
    }

    public var evidenceTypes: [String] { [EVMAnchorEvidence.type] }

    /// What verified evidence establishes.
    public struct VerifiedAnchor: Sendable, Hashable {
        /// The anchor block.
        public var blockNumber: UInt64
        /// The anchor block's hash.
        public var blockHash: [UInt8]
        /// The gateway address that sent the anchor.
        public var sender: EthereumAddress
        /// Descendant headers checked (0 for QBFT).
        public var confirmations: Int
    }

    public func verify(_ evidence: AnchorEvidence, for request: AnchorRequest) throws(LedgerError) {
        _ = try verifiedAnchor(evidence, for: request)
    }

    /// Verifies and returns what the evidence establishes.
    /// - Throws: ``LedgerError`` `.invalidEvidence` naming the first failed step.
    public func verifiedAnchor(_ evidence: AnchorEvidence, for request: AnchorRequest) throws(LedgerError) -> VerifiedAnchor {
        guard evidence.type == EVMAnchorEvidence.type else {
            throw EVMAnchorEvidence.parseError("evidence type is not \(EVMAnchorEvidence.type)")
        }
        // Step parse.
        let body = try EVMAnchorEvidence(body: evidence.body)
        guard body.chainID == chainID else {
            throw EVMAnchorEvidence.parseError("evidence is for chain \(body.chainID), the pinned chain is \(chainID)")
        }
        let header = try decodeHeader(body.header, "header")
        var descendants: [BlockHeader] = []
        for (index, bytes) in body.chainHeaders.enumerated() {
            descendants.append(try decodeHeader(bytes, "finality.headers[\(index)]"))
        }
        let hashing: HeaderHashing = switch trust {
        case .trustedBlocks(_, _, let hashing): hashing
        case .qbft: .qbft
        }

        // Step header-hash.
        guard try hashing.hash(header) == body.blockHash else {
            throw fail("header-hash", "the header does not hash to blockHash")
        }
        guard header.number == body.blockNumber else {
            throw fail("header-hash", "the header's number is not blockNumber")
        }

        // Step receipt-proof.
        let receipt: Receipt
        do {
            guard let value = try MerklePatriciaTrie.verifyProof(
                root: header.receiptsRoot, key: RLP.encode(body.receiptIndex), proof: body.receiptProof) else {
                throw fail("receipt-proof", "the proof shows no receipt at index \(body.receiptIndex)")
            }
            receipt = try Receipt(encoded: value)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError(code: .invalidEvidence, reason: "receipt proof does not verify against receiptsRoot",
                              step: "receipt-proof", underlying: error)
        }

        // Step anchor-event.
        try Self.checkAnchorEvent(receipt: receipt, logIndex: body.logIndex, contract: contract,
                                  evidenceContract: body.contract, sender: body.sender, allowedSenders: senders,
                                  request: request, code: .invalidEvidence)
        guard evidence.rootHash == request.rootHash, evidence.treeSize == request.treeSize else {
            throw fail("anchor-event", "the evidence's root or tree size is not the request's")
        }

        // Step finality.
        switch (trust, body.finality) {
        case (.trustedBlocks(let trusted, let minimum, _), .confirmations),
             (.trustedBlocks(let trusted, let minimum, _), .pinned):
            var chain = [body.blockHash]
            var parent = body.blockHash
            var number = header.number
            for (index, descendant) in descendants.enumerated() {
                guard descendant.parentHash == parent, number < UInt64.max, descendant.number == number + 1 else {
                    throw fail("finality", "descendant header \(index) does not link to its predecessor")
                }
                parent = try hashing.hash(descendant)
                number = descendant.number
                chain.append(parent)
            }
            // A pinned chain ends at a block the auditor trusts: its depth is not a condition.
            if case .confirmations = body.finality, descendants.count < minimum {
                throw fail("finality", "\(descendants.count) confirmations, \(minimum) required")
            }
            guard chain.contains(where: { trusted.contains($0) }) else {
                throw fail("finality", "neither the anchor block nor a descendant header has a pinned hash")
            }
            return VerifiedAnchor(blockNumber: header.number, blockHash: body.blockHash, sender: body.sender,
                                  confirmations: descendants.count)
        case (.qbft, .qbft):
            do {
                // `sealVerifier` is always set for QBFT trust (init).
                try sealVerifier!.verify(header)
            } catch {
                throw LedgerError(code: .invalidEvidence, reason: "QBFT commit seals do not verify: \(error.reason)",
                                  step: "finality", underlying: error)
            }
            return VerifiedAnchor(blockNumber: header.number, blockHash: body.blockHash, sender: body.sender,
                                  confirmations: 0)
        default:
            throw fail("finality", "the evidence's finality kind does not match the pinned trust")
        }
    }

    /// The `anchor-event` rule, shared by the backend (online, `.untrustworthyNode`) and the
    /// verifier (offline, `.invalidEvidence`).
    static func checkAnchorEvent(receipt: Receipt, logIndex: UInt64, contract: EthereumAddress,
                                 evidenceContract: EthereumAddress, sender: EthereumAddress,
                                 allowedSenders: [EthereumAddress], request: AnchorRequest,
                                 code: LedgerError.Code) throws(LedgerError) {
        func fail(_ reason: String) -> LedgerError { LedgerError(code: code, reason: reason, step: "anchor-event") }
        guard evidenceContract == contract else { throw fail("the evidence names another contract") }
        guard allowedSenders.contains(sender) else { throw fail("the sender is not a pinned gateway address") }
        guard receipt.outcome == .success else { throw fail("the anchor transaction did not succeed") }
        guard logIndex < UInt64(receipt.logs.count) else { throw fail("the receipt has no log at logIndex") }
        let log = receipt.logs[Int(logIndex)]
        guard log.address == contract.bytes else { throw fail("the log was emitted by another contract") }
        guard log.topics.count == 3, log.topics[0] == AnchorContract.eventTopic else {
            throw fail("the log is not an Anchored event")
        }
        guard log.topics[1] == AnchorContract.word(sender) else { throw fail("the event's sender is not the sender") }
        guard log.topics[2] == AnchorContract.gatewayIDHash(request.gatewayID) else {
            throw fail("the event is for another gateway")
        }
        guard log.data == AnchorContract.eventData(for: request) else {
            throw fail("the event's root or tree size is not the request's")
        }
    }

    private func decodeHeader(_ bytes: [UInt8], _ name: String) throws(LedgerError) -> BlockHeader {
        do {
            return try BlockHeader(rlp: bytes)
        } catch {
            throw LedgerError(code: .invalidEvidence, reason: "\(name) is not a block header", step: "parse",
                              underlying: error)
        }
    }

    private func fail(_ step: String, _ reason: String) -> LedgerError {
        LedgerError(code: .invalidEvidence, reason: reason, step: step)
    }
}
