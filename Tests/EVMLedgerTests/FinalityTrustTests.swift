@testable import EVMLedger
import EVMLightClient
import Ledger
import Secp256k1
import Telemetry
import Testing

/// Issue 21, item 3: a node that forged an anchor block and five parent-linked descendants is
/// refused when finality rests on something it cannot forge (witness nodes, a pinned block,
/// QBFT seals of pinned validators), each at its named step; honest nodes still anchor.
@Suite struct FinalityTrustTests {
    /// The lying node's chain: a forged block 100 whose receipts carry the gateway's anchor event
    /// (no transaction behind it), and five forged descendants linked by parent hash.
    let forged: ScriptedChain
    /// The chain everyone else has at heights 100…105: no anchor in block 100.
    let honest: ScriptedChain

    init() throws {
        forged = try ScriptedChain(descendants: 5)
        let scratch = try ScriptedChain(descendants: 5)
        honest = try ScriptedChain(descendants: 5, receipts: scratch.chain.receipts(anchorLog: Log(
            address: scratch.chain.contract.bytes, topics: [[UInt8](repeating: 1, count: 32)], data: [])))
        #expect(forged.blockHash != honest.blockHash)
    }

    func refusal(_ backend: EVMLedgerBackend, _ chain: ScriptedChain) -> LedgerError? {
        do {
            let progress = try backend.progress(of: try chain.ticket(backend), for: chain.chain.request)
            Issue.record("not refused: \(progress)")
            return nil
        } catch let error as LedgerError {
            return error
        } catch {
            Issue.record("not a ledger error: \(error)")
            return nil
        }
    }

    // MARK: Witnesses

    @Test func aWitnessThatDisagreesRefusesTheForgedAnchorNamingItsIndex() throws {
        let liar = try forged.node()
        let witness = try honest.node()
        // Under single-node trust the forgery is anchored: what the issue measured.
        let fooled = try forged.progress(on: liar, finality: .confirmations(5))
        #expect(fooled.evidence != nil, "single-node trust anchors a forged block")

        let backend = try forged.backend(liar, finality: .confirmations(5),
                                         trust: .init(witnesses: [.init(endpoint: witness.endpoint)]))
        let error = try #require(refusal(backend, forged))
        #expect(error.code == .untrustworthyNode && error.step == "witness", "\(error)")
        #expect(error.reason.contains("witness node 1") && error.reason.contains("height 100"), "\(error)")
        #expect(!error.description.contains("\(witness.server.port)"), "the witness's URL stays out of errors")
    }

    @Test func twoHonestNodesAgreeAndTheAnchorIsFinal() throws {
        let primary = try forged.node()
        let second = try forged.node()  // another node with the same chain
        let backend = try forged.backend(primary, finality: .confirmations(5),
                                         trust: .init(witnesses: [.init(endpoint: second.endpoint)]))
        let progress = try backend.progress(of: try forged.ticket(backend), for: forged.chain.request)
        let evidence = try #require(progress.evidence, "anchored: \(progress)")
        let body = try EVMAnchorEvidence(body: evidence.body)
        #expect(body.finality == .confirmations(headers: forged.descendants.map(\.rawRLP)))
        try forged.chain.verifier(trusted: [forged.descendants.last!.hash], minimum: 5)
            .verify(evidence, for: forged.chain.request)
    }

    @Test func aWitnessThatHasNotReachedTheConfirmationsIsWaitedFor() throws {
        let primary = try forged.node()
        let behind = try forged.node(canonical: [forged.header] + forged.descendants.prefix(3))
        let backend = try forged.backend(primary, finality: .confirmations(5),
                                         trust: .init(witnesses: [.init(endpoint: behind.endpoint)]))
        let progress = try backend.progress(of: try forged.ticket(backend), for: forged.chain.request)
        let detail = try #require(progress.pendingDetail, "pending: \(progress)")
        #expect(detail.contains("witness node 1 has no block 104"), "\(detail)")
    }

    @Test func aWitnessOnAnotherChainIsRefused() throws {
        let primary = try forged.node()
        let other = try forged.node(chainID: "0x1")
        let backend = try forged.backend(primary, finality: .confirmations(5),
                                         trust: .init(witnesses: [.init(endpoint: other.endpoint)]))
        let error = try #require(refusal(backend, forged))
        #expect(error.step == "witness" && error.reason.contains("witness node 1 reports chain id 1"), "\(error)")
    }

    @Test func anUnreachableWitnessIsUnavailableNamedByIndex() throws {
        let primary = try forged.node()
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: 1)  // nothing listens there
        let backend = try forged.backend(primary, finality: .confirmations(5),
                                         trust: .init(witnesses: [.init(endpoint: endpoint)]))
        let error = try #require(refusal(backend, forged))
        #expect(error.code == .unavailable && error.reason.hasPrefix("witness node 1:"), "\(error)")
    }

    // MARK: Pinned blocks

    @Test func aForgedAnchorThatIsNoAncestorOfThePinnedBlockIsRefused() throws {
        // The liar serves the honest history by hash (so the pinned block), yet calls its forged
        // chain canonical.
        let liar = try forged.node(extra: [honest.header] + honest.descendants)
        let pin = try honest.chain.hashing.hash(honest.descendants[4])
        let backend = try forged.backend(liar, finality: .confirmations(5), trust: .init(pinnedBlocks: [pin]))
        let error = try #require(refusal(backend, forged))
        #expect(error.code == .untrustworthyNode && error.step == "pinned-chain", "\(error)")
        #expect(error.reason.contains("not an ancestor of pinned block 105"), "\(error)")

        // A liar that does not even serve the pinned block cannot show anything final.
        let ignorant = try forged.node()
        let waiting = try forged.backend(ignorant, finality: .confirmations(5), trust: .init(pinnedBlocks: [pin]))
        let progress = try waiting.progress(of: try forged.ticket(waiting), for: forged.chain.request)
        #expect(progress.pendingDetail?.contains("any pinned block the node serves") == true, "\(progress)")
    }

    @Test func aPinnedDescendantAnchorsWithTheChainUpToItInTheEvidence() throws {
        let node = try forged.node()
        let pin = try forged.chain.hashing.hash(forged.descendants[3])  // block 104
        let backend = try forged.backend(node, finality: .confirmations(12), trust: .init(pinnedBlocks: [pin]))
        let progress = try backend.progress(of: try forged.ticket(backend), for: forged.chain.request)
        let evidence = try #require(progress.evidence, "anchored: \(progress)")
        let body = try EVMAnchorEvidence(body: evidence.body)
        #expect(body.finality == .pinned(headers: forged.descendants.prefix(4).map(\.rawRLP)))
        // Offline: the pin is what the auditor trusts; the confirmation count does not apply.
        try forged.chain.verifier(trusted: [pin], minimum: 12).verify(evidence, for: forged.chain.request)
        let otherPin = try forged.chain.verifier(trusted: [honest.blockHash], minimum: 0)
        expectLedgerError(.invalidEvidence, step: "finality") { () throws(LedgerError) in
            try otherPin.verify(evidence, for: forged.chain.request)
        }
        // A pinned chain with a header taken out no longer links.
        var cut = body
        cut.finality = .pinned(headers: Array(forged.descendants.prefix(4).map(\.rawRLP).dropFirst()))
        let broken = AnchorEvidence(type: evidence.type, treeSize: evidence.treeSize, rootHash: evidence.rootHash,
                                    locator: evidence.locator, body: cut.encoded())
        let pinned = try forged.chain.verifier(trusted: [pin], minimum: 0)
        expectLedgerError(.invalidEvidence, step: "finality") { () throws(LedgerError) in
            try pinned.verify(broken, for: forged.chain.request)
        }
    }

    @Test func pinnedEvidenceDecodesStrictly() throws {
        var body = try forged.chain.build().body
        body.finality = .pinned(headers: forged.descendants.map(\.rawRLP))
        let bytes = body.encoded()
        #expect(try EVMAnchorEvidence(body: bytes) == body)
        let text = String(decoding: bytes, as: UTF8.self)
        for mutation in [text.replacing(#""kind":"pinned""#, with: #""extra":1,"kind":"pinned""#),
                         text.replacing(#""kind":"pinned""#, with: #""kind":"pinned ""#),
                         text.replacing(#""headers":["#, with: #""headers":[1,"#)] {
            #expect(mutation != text)
            expectLedgerError(.invalidEvidence, step: "parse") { () throws(LedgerError) in
                try EVMAnchorEvidence(body: Array(mutation.utf8))
            }
        }
        // Confirmations evidence is not read as pinned: the count still applies to it.
        body.finality = .confirmations(headers: forged.descendants.prefix(2).map(\.rawRLP))
        let shallow = AnchorEvidence(type: EVMAnchorEvidence.type, treeSize: forged.chain.request.treeSize,
                                     rootHash: forged.chain.request.rootHash, locator: "x", body: body.encoded())
        let verifier = try forged.chain.verifier(trusted: [forged.blockHash], minimum: 3)
        expectLedgerError(.invalidEvidence, step: "finality") { () throws(LedgerError) in
            try verifier.verify(shallow, for: forged.chain.request)
        }
    }

    @Test func thePinnedAnchorBlockItselfNeedsNoHeaders() throws {
        let node = try forged.node()
        let backend = try forged.backend(node, finality: .confirmations(12), trust: .init(pinnedBlocks: [forged.blockHash]))
        let progress = try backend.progress(of: try forged.ticket(backend), for: forged.chain.request)
        let evidence = try #require(progress.evidence, "anchored: \(progress)")
        #expect(try EVMAnchorEvidence(body: evidence.body).finality == .pinned(headers: []))
    }

    @Test func anAnchorNewerThanThePinWaits() throws {
        let old = try forged.chain.header(number: 90, parentHash: [UInt8](repeating: 0x90, count: 32),
                                          receiptsRoot: MerklePatriciaTrie.emptyRootHash)
        let node = try forged.node(extra: [old])
        let backend = try forged.backend(node, finality: .confirmations(5), trust: .init(pinnedBlocks: [old.hash]))
        let progress = try backend.progress(of: try forged.ticket(backend), for: forged.chain.request)
        let detail = try #require(progress.pendingDetail, "pending: \(progress)")
        #expect(detail.contains("block 100 is newer than the newest pinned block (90)"), "\(detail)")

        // With a witness too, the witness can show it final meanwhile.
        let witness = try forged.node()
        let both = try forged.backend(node, finality: .confirmations(5),
                                      trust: .init(witnesses: [.init(endpoint: witness.endpoint)], pinnedBlocks: [old.hash]))
        let anchored = try both.progress(of: try forged.ticket(both), for: forged.chain.request)
        #expect(anchored.evidence != nil, "\(anchored)")
    }

    // MARK: QBFT

    @Test func aForgedQBFTAnchorIsRefusedAtFinality() throws {
        let validators = (0..<4).map { _ in PrivateKey() }
        let forgers = (0..<4).map { _ in PrivateKey() }
        // The liar seals its forged block with its own keys (listing them as validators) and
        // serves five descendants on top.
        let lie = try ScriptedChain(qbftValidators: forgers, sealers: forgers)
        var chain = [lie.header]
        for number in 101...105 {
            chain.append(try lie.chain.header(number: UInt64(number), parentHash: try QBFT.blockHash(chain.last!),
                                              receiptsRoot: MerklePatriciaTrie.emptyRootHash,
                                              extraData: QBFTExtraData(validators: [], round: 0, committedSeals: []).encoded()))
        }
        let node = try lie.node(canonical: chain)
        let backend = try lie.backend(node, finality: .qbft(validators: validators.map(\.publicKey.ethereumAddress)))
        let error = try #require(refusal(backend, lie))
        #expect(error.code == .untrustworthyNode && error.step == "finality", "\(error)")
    }

    // MARK: A header for state reads

    @Test func aStateReaderGetsAFinalHeaderThroughTheSameGate() throws {
        let primary = try forged.node()
        let witness = try forged.node()
        let liar = try honest.node()
        let config = { (trust: EVMLedgerConfiguration.ConfirmationTrust) in
            EVMLedgerConfiguration(endpoint: primary.endpoint, chainID: 1337, contract: forged.chain.contract,
                                   ledgerKey: PrivateKey(), finality: .confirmations(3), confirmationTrust: trust)
        }
        let agreed = try FinalityGate(configuration: config(.init(witnesses: [.init(endpoint: witness.endpoint)])),
                                      rpc: try JSONRPCClient(endpoint: primary.endpoint))
        guard case .final(let block) = try agreed.trustedHeader() else { Issue.record("not final"); return }
        // Head 105, three confirmations: block 102, whose state root the reader may use.
        #expect(block.header.number == 102 && block.stateRoot == forged.descendants[1].stateRoot && block.mode == "witnesses")

        let refused = try FinalityGate(configuration: config(.init(witnesses: [.init(endpoint: liar.endpoint)])),
                                       rpc: try JSONRPCClient(endpoint: primary.endpoint))
        expectLedgerError(.untrustworthyNode, step: "witness") { () throws(LedgerError) in try refused.trustedHeader() }

        let pin = try forged.chain.hashing.hash(forged.descendants[0])
        let pinned = try FinalityGate(configuration: config(.init(pinnedBlocks: [pin])),
                                      rpc: try JSONRPCClient(endpoint: primary.endpoint))
        guard case .final(let pinnedBlock) = try pinned.trustedHeader() else { Issue.record("not final"); return }
        #expect(pinnedBlock.hash == pin && pinnedBlock.mode == "pinned")
    }
}
