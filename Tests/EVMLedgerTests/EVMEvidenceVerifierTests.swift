import EVMLedger
import EVMLightClient
import Ledger
import Secp256k1
import Telemetry
import Testing

/// Evidence for blocks the tests build themselves: it verifies, and every mutation fails at the
/// step that owns the broken property.
@Suite struct EVMEvidenceVerifierTests {
    func chain() throws -> SyntheticChain { SyntheticChain(request: try sampleRequest()) }

    func replacingBody(_ evidence: AnchorEvidence, _ body: EVMAnchorEvidence) -> AnchorEvidence {
        var copy = evidence
        copy.body = body.encoded()
        return copy
    }

    /// Expects `verifier` to refuse `evidence` for `request` as invalid evidence, at `step`.
    func expectRefused(_ evidence: AnchorEvidence, for request: AnchorRequest, by verifier: EVMEvidenceVerifier,
                       at step: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        expectLedgerError(.invalidEvidence, step: step, sourceLocation: sourceLocation) { () throws(LedgerError) in
            try verifier.verify(evidence, for: request)
        }
    }

    @Test func syntheticEvidenceVerifies() throws {
        let chain = try chain()
        let built = try chain.build()
        // Pinned: the last descendant, a middle one or the anchor block itself.
        for trusted in [built.descendants.last!.hash, built.descendants[0].hash, built.body.blockHash] {
            let verifier = try chain.verifier(trusted: [trusted], minimum: 3)
            let verified = try verifier.verifiedAnchor(built.evidence, for: chain.request)
            #expect(verified.blockNumber == 100)
            #expect(verified.confirmations == 3)
            #expect(verified.sender == chain.sender)
        }
        #expect(try chain.verifier(trusted: [built.body.blockHash]).evidenceTypes == ["evm-receipt-log"])
    }

    @Test func bodyRoundTripsAndIsCanonical() throws {
        let built = try chain().build()
        let decoded = try EVMAnchorEvidence(body: built.evidence.body)
        #expect(decoded == built.body)
        let text = String(decoding: built.evidence.body, as: UTF8.self)
        #expect(text.hasPrefix("{\"blockHash\":\"0x"))
        #expect(text.contains("\"finality\":{\"headers\":[\"0x"))
        #expect(text.contains("\"kind\":\"confirmations\""))
        // A single receipt's path, not the block's receipts: a few hundred bytes per node.
        #expect(built.body.receiptProof.count <= 3)
    }

    @Test func malformedBodiesFailAtParse() throws {
        let chain = try chain()
        let built = try chain.build()
        let verifier = try chain.verifier(trusted: [built.body.blockHash], minimum: 0)
        let text = String(decoding: built.evidence.body, as: UTF8.self)
        let mutations: [String] = [
            "",
            "[]",
            " " + text,
            text.replacing("{\"blockHash\"", with: "{\"extra\":1,\"blockHash\""),
            text.replacing("\"logIndex\":1", with: "\"logIndex\":-1"),
            text.replacing("\"logIndex\":1", with: "\"logIndex\":1.5"),
            text.replacing("\"logIndex\":1", with: "\"logIndex\":\"1\""),
            text.replacing("\"chainId\":1337", with: "\"chainId\":1.337e3"),
            text.replacing("\"kind\":\"confirmations\"", with: "\"kind\":\"pos\""),
            text.replacing("\"sender\":\"0x", with: "\"sender\":\"0xAA"),
            text.uppercased(),
        ]
        for (index, mutated) in mutations.enumerated() {
            var evidence = built.evidence
            evidence.body = Array(mutated.utf8)
            expectRefused(evidence, for: chain.request, by: verifier, at: "parse")
            _ = index
        }
        var wrongType = built.evidence
        wrongType.type = "local-checkpoint"
        expectRefused(wrongType, for: chain.request, by: verifier, at: "parse")
        // A header that is not a header.
        var body = built.body
        body.header = [0xC0]
        expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "parse")
    }

    @Test func otherChainFailsAtParse() throws {
        var chain = try chain()
        chain.chainID = 1
        let built = try chain.build()
        let verifier = try EVMEvidenceVerifier(chainID: 1337, contract: chain.contract, senders: [chain.sender],
                                               trust: .trustedBlocks(hashes: [built.body.blockHash], minimumConfirmations: 0))
        expectRefused(built.evidence, for: chain.request, by: verifier, at: "parse")
    }

    @Test func changedHeaderByteFailsAtHeaderHash() throws {
        let chain = try chain()
        let built = try chain.build()
        let verifier = try chain.verifier(trusted: [built.body.blockHash])
        // Offsets inside stateRoot (91…122) and receiptsRoot; each flip keeps the RLP valid.
        for offset in [91, 100, 122, 200] {
            var body = built.body
            body.header[offset] ^= 0x01
            expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "header-hash")
        }
        var body = built.body
        body.blockNumber += 1
        expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "header-hash")
    }

    @Test func wrongReceiptProofFailsAtReceiptProof() throws {
        let chain = try chain()
        let built = try chain.build()
        let verifier = try chain.verifier(trusted: [built.body.blockHash])
        for node in built.body.receiptProof.indices {
            var body = built.body
            body.receiptProof[node][body.receiptProof[node].count / 2] ^= 0x80
            expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "receipt-proof")
        }
        var missing = built.body
        missing.receiptProof.removeLast()
        var otherIndex = built.body
        otherIndex.receiptIndex = 3  // the proof is for index 2
        var absent = built.body
        absent.receiptIndex = 40
        for body in [missing, otherIndex, absent] {
            expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "receipt-proof")
        }
    }

    @Test func eventFromAnotherContractFailsAtAnchorEvent() throws {
        let chain = try chain()
        let impostor = try EthereumAddress(hex: "0x1111111111111111111111111111111111111111")
        let forged = AnchorContract.expectedLog(for: chain.request, contract: impostor, sender: chain.sender)
        let built = try chain.build(receipts: chain.receipts(anchorLog: forged))
        let verifier = try chain.verifier(trusted: [built.body.blockHash])
        expectRefused(built.evidence, for: chain.request, by: verifier, at: "anchor-event")
        // Nor may the evidence name the impostor as "the contract".
        var body = built.body
        body.contract = impostor
        expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "anchor-event")
    }

    @Test func otherRootSizeGatewayOrSenderFailAtAnchorEvent() throws {
        let chain = try chain()
        let built = try chain.build()
        let verifier = try chain.verifier(trusted: [built.body.blockHash])
        let others = [
            try sampleRequest(rootByte: 0xAC),
            try sampleRequest(size: 1235),
            try sampleRequest(gateway: "gw-0002"),
        ]
        for other in others {
            var evidence = built.evidence
            evidence.rootHash = other.rootHash
            evidence.treeSize = other.treeSize
            expectRefused(evidence, for: other, by: verifier, at: "anchor-event")
        }
        // The evidence's own root/size must be the request's too.
        var relabelled = built.evidence
        relabelled.treeSize += 1
        expectRefused(relabelled, for: chain.request, by: verifier, at: "anchor-event")
        // A sender the auditor did not pin.
        let stranger = PrivateKey().publicKey.ethereumAddress
        let strict = try chain.verifier(trusted: [built.body.blockHash], senders: [stranger])
        expectRefused(built.evidence, for: chain.request, by: strict, at: "anchor-event")
        // An event naming another sender, while the evidence claims ours.
        let foreign = AnchorContract.expectedLog(for: chain.request, contract: chain.contract, sender: stranger)
        let forged = try chain.build(receipts: chain.receipts(anchorLog: foreign))
        let lenient = try chain.verifier(trusted: [forged.body.blockHash], senders: [chain.sender, stranger])
        expectRefused(forged.evidence, for: chain.request, by: lenient, at: "anchor-event")
        // The log index pointing at the noise log.
        var body = built.body
        body.logIndex = 0
        expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "anchor-event")
    }

    @Test func revertedReceiptFailsAtAnchorEvent() throws {
        let chain = try chain()
        var receipts = chain.receipts()
        receipts[chain.anchorIndex].outcome = .failure
        let built = try chain.build(receipts: receipts)
        let verifier = try chain.verifier(trusted: [built.body.blockHash])
        expectRefused(built.evidence, for: chain.request, by: verifier, at: "anchor-event")
    }

    @Test func tooFewConfirmationsFailAtFinality() throws {
        let chain = try chain()
        let built = try chain.build()
        let verifier = try chain.verifier(trusted: [built.descendants.last!.hash], minimum: 4)
        expectRefused(built.evidence, for: chain.request, by: verifier, at: "finality")
        #expect(throws: Never.self) { try chain.verifier(trusted: [built.descendants.last!.hash], minimum: 3)
            .verify(built.evidence, for: chain.request) }
    }

    @Test func brokenParentLinkFailsAtFinality() throws {
        let chain = try chain()
        let built = try chain.build()
        let verifier = try chain.verifier(trusted: [built.body.blockHash])
        // Descendant 1 whose parent is not descendant 0.
        let stranger = try chain.header(number: 102, parentHash: [UInt8](repeating: 0x55, count: 32),
                                        receiptsRoot: MerklePatriciaTrie.emptyRootHash)
        var body = built.body
        body.finality = .confirmations(headers: [built.descendants[0].rawRLP, stranger.rawRLP, built.descendants[2].rawRLP])
        expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "finality")
        // Reordered descendants.
        body.finality = .confirmations(headers: [built.descendants[1].rawRLP, built.descendants[0].rawRLP])
        expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "finality")
    }

    @Test func unknownPinnedHashFailsAtFinality() throws {
        let chain = try chain()
        let built = try chain.build()
        let verifier = try chain.verifier(trusted: [[UInt8](repeating: 0x42, count: 32)])
        expectRefused(built.evidence, for: chain.request, by: verifier, at: "finality")
    }

    @Test func invalidTrustIsAConfigurationError() throws {
        let chain = try chain()
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in
            try EVMEvidenceVerifier(chainID: 1, contract: chain.contract, senders: [],
                                    trust: .trustedBlocks(hashes: [[UInt8](repeating: 0, count: 32)], minimumConfirmations: 1))
        }
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in
            try EVMEvidenceVerifier(chainID: 1, contract: chain.contract, senders: [chain.sender],
                                    trust: .trustedBlocks(hashes: [[1, 2]], minimumConfirmations: 1))
        }
        expectLedgerError(.invalidConfiguration) { () throws(LedgerError) in
            try EVMEvidenceVerifier(chainID: 1, contract: chain.contract, senders: [chain.sender], trust: .qbft(validators: []))
        }
    }

    // MARK: QBFT

    @Test(arguments: [1, 3, 4, 7])
    func qbftQuorumPassesAndOneFewerFails(validatorCount: Int) throws {
        let keys = (0..<validatorCount).map { _ in PrivateKey() }
        let quorum = (2 * validatorCount + 2) / 3
        var chain = try chain()
        chain.qbftKeys = keys
        let verifier = try EVMEvidenceVerifier(chainID: chain.chainID, contract: chain.contract, senders: [chain.sender],
                                               trust: .qbft(validators: keys.map(\.publicKey.ethereumAddress)))
        chain.qbftSealers = Array(keys.prefix(quorum))
        let sealed = try chain.build()
        #expect(String(decoding: sealed.evidence.body, as: UTF8.self).contains("\"finality\":{\"kind\":\"qbft\"}"))
        let verified = try verifier.verifiedAnchor(sealed.evidence, for: chain.request)
        #expect(verified.blockHash == (try QBFT.blockHash(sealed.header)))

        chain.qbftSealers = Array(keys.prefix(quorum - 1))
        let short = try chain.build()
        expectRefused(short.evidence, for: chain.request, by: verifier, at: "finality")
    }

    @Test func qbftSealsByOutsidersOrAKindMismatchFail() throws {
        let keys = (0..<4).map { _ in PrivateKey() }
        var chain = try chain()
        chain.qbftKeys = keys
        chain.qbftSealers = [keys[0], keys[1], PrivateKey()]
        let built = try chain.build()
        let validators = keys.map(\.publicKey.ethereumAddress)
        let verifier = try EVMEvidenceVerifier(chainID: chain.chainID, contract: chain.contract, senders: [chain.sender],
                                               trust: .qbft(validators: validators))
        expectRefused(built.evidence, for: chain.request, by: verifier, at: "finality")
        // Confirmations evidence offered to a QBFT verifier, and the other way round.
        let plain = try SyntheticChain(request: chain.request).build()
        expectRefused(plain.evidence, for: chain.request, by: verifier, at: nil)
        chain.qbftSealers = Array(keys.prefix(3))
        let sealed = try chain.build()
        let byHashes = try EVMEvidenceVerifier(
            chainID: chain.chainID, contract: chain.contract, senders: [chain.sender],
            trust: .trustedBlocks(hashes: [sealed.body.blockHash], minimumConfirmations: 0, hashing: .qbft))
        expectRefused(sealed.evidence, for: chain.request, by: byHashes, at: "finality")
    }

    @Test func qbftHeaderHashIgnoresSealsButNotContent() throws {
        let keys = (0..<4).map { _ in PrivateKey() }
        var chain = try chain()
        chain.qbftKeys = keys
        chain.qbftSealers = Array(keys.prefix(3))
        let built = try chain.build()
        let verifier = try EVMEvidenceVerifier(chainID: chain.chainID, contract: chain.contract, senders: [chain.sender],
                                               trust: .qbft(validators: keys.map(\.publicKey.ethereumAddress)))
        #expect(built.body.blockHash != built.header.hash)
        var body = built.body
        body.header[100] ^= 1
        expectRefused(replacingBody(built.evidence, body), for: chain.request, by: verifier, at: "header-hash")
    }
}
