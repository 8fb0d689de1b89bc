import EVMLedger
import EVMLightClient
import Ledger
import Secp256k1
import Telemetry

/// A block built by the tests: receipts (the anchor receipt among others), a header committing to
/// them and descendant headers, so evidence can be produced without a node.
struct SyntheticChain {
    var chainID: UInt64 = 1337
    var contract = try! EthereumAddress(hex: "0x5fbdb2315678afecb367f032d93f642f64180aa3")
    var senderKey = try! PrivateKey(rawRepresentation: [UInt8](repeating: 0, count: 31) + [0x42])
    var sender: EthereumAddress { senderKey.publicKey.ethereumAddress }
    var request: AnchorRequest
    var anchorIndex = 2
    var blockNumber: UInt64 = 100
    var descendantCount = 3
    /// QBFT: validators and the keys that seal the anchor block (nil: a standard header).
    var qbftKeys: [PrivateKey]?
    var qbftSealers: [PrivateKey] = []

    init(request: AnchorRequest) {
        self.request = request
    }

    /// The receipts of the anchor block: noise before and after the anchor receipt.
    func receipts(anchorLog: Log? = nil) -> [Receipt] {
        let other = try! EthereumAddress(hex: "0x000000000000000000000000000000000000beef")
        var receipts: [Receipt] = []
        var gas: UInt64 = 0
        for index in 0..<5 {
            gas += 21_000 + UInt64(index) * 1000
            if index == anchorIndex {
                let log = anchorLog ?? AnchorContract.expectedLog(for: request, contract: contract, sender: sender)
                let noise = Log(address: other.bytes, topics: [[UInt8](repeating: 7, count: 32)], data: [1, 2, 3])
                receipts.append(Receipt(type: 2, outcome: .success, cumulativeGasUsed: gas, logs: [noise, log]))
            } else {
                let log = Log(address: other.bytes, topics: [AnchorContract.eventTopic], data: [UInt8(index)])
                receipts.append(Receipt(type: index % 2 == 0 ? 2 : 0, outcome: .success, cumulativeGasUsed: gas,
                                        logs: [log]))
            }
        }
        return receipts
    }

    func header(number: UInt64, parentHash: [UInt8], receiptsRoot: [UInt8], extraData: [UInt8] = [0xCA, 0xFE]) throws
        -> BlockHeader {
        try BlockHeader(
            parentHash: parentHash, ommersHash: Keccak256.hash([0xC0]),
            beneficiary: [UInt8](repeating: 0x11, count: 20), stateRoot: [UInt8](repeating: UInt8(number & 0xFF), count: 32),
            transactionsRoot: MerklePatriciaTrie.emptyRootHash, receiptsRoot: receiptsRoot,
            logsBloom: [UInt8](repeating: 0, count: 256), difficulty: [], number: number, gasLimit: 30_000_000,
            gasUsed: 100_000, timestamp: 1_700_000_000 + number, extraData: extraData,
            mixHash: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 8), baseFeePerGas: [7])
    }

    /// A QBFT extraData over the validators, sealed over `header`'s seal hash by `qbftSealers`.
    func sealedQBFTHeader(_ unsealed: (_ extraData: [UInt8]) throws -> BlockHeader) throws -> BlockHeader {
        let validators = (qbftKeys ?? []).map(\.publicKey.ethereumAddress.bytes)
        let plain = QBFTExtraData(validators: validators, round: 1, committedSeals: [])
        let sealHash = try QBFT.hashForCommittedSeal(unsealed(plain.encoded()))
        let seals = try qbftSealers.map { key in
            try QBFTExtraData.CommittedSeal(bytes: key.signRecoverable(hash: sealHash).compactRepresentation)
        }
        return try unsealed(QBFTExtraData(validators: validators, round: 1, committedSeals: seals).encoded())
    }

    var hashing: HeaderHashing { qbftKeys == nil ? .standard : .qbft }

    /// The anchor header, its descendants and the evidence.
    func build(receipts: [Receipt]? = nil) throws -> (evidence: AnchorEvidence, header: BlockHeader,
                                                     descendants: [BlockHeader], body: EVMAnchorEvidence) {
        let receipts = receipts ?? self.receipts()
        let trie = MerklePatriciaTrie(orderedValues: receipts.map { $0.encoded() })
        let parent = [UInt8](repeating: 0x99, count: 32)
        let header: BlockHeader
        if qbftKeys != nil {
            header = try sealedQBFTHeader { extra in
                try self.header(number: blockNumber, parentHash: parent, receiptsRoot: trie.rootHash, extraData: extra)
            }
        } else {
            header = try self.header(number: blockNumber, parentHash: parent, receiptsRoot: trie.rootHash)
        }
        let blockHash = try hashing.hash(header)
        var descendants: [BlockHeader] = []
        var previous = blockHash
        if qbftKeys == nil {
            for offset in 1...UInt64(max(descendantCount, 1)) where descendants.count < descendantCount {
                let next = try self.header(number: blockNumber + offset, parentHash: previous,
                                           receiptsRoot: MerklePatriciaTrie.emptyRootHash)
                descendants.append(next)
                previous = next.hash
            }
        }
        let logIndex = receipts[anchorIndex].logs.firstIndex {
            $0 == AnchorContract.expectedLog(for: request, contract: contract, sender: sender)
        } ?? 1
        let body = EVMAnchorEvidence(
            chainID: chainID, contract: contract, blockNumber: blockNumber, blockHash: blockHash,
            header: header.rawRLP, receiptIndex: UInt64(anchorIndex),
            receiptProof: trie.proof(for: RLP.encode(UInt64(anchorIndex))), logIndex: UInt64(logIndex),
            sender: sender,
            finality: qbftKeys == nil ? .confirmations(headers: descendants.map(\.rawRLP)) : .qbft)
        let evidence = AnchorEvidence(type: EVMAnchorEvidence.type, treeSize: request.treeSize,
                                      rootHash: request.rootHash, locator: "synthetic", body: body.encoded())
        return (evidence, header, descendants, body)
    }

    /// A verifier trusting `trusted` block hashes and requiring `minimum` confirmations.
    func verifier(trusted: [[UInt8]], minimum: Int = 2, senders: [EthereumAddress]? = nil) throws -> EVMEvidenceVerifier {
        try EVMEvidenceVerifier(chainID: chainID, contract: contract, senders: senders ?? [sender],
                                trust: .trustedBlocks(hashes: trusted, minimumConfirmations: minimum))
    }
}
