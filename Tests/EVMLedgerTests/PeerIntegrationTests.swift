@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Secp256k1
import Synchronization
import Telemetry
import Testing
import VitalGateTesting

/// A wall clock the tests move by hand (fee-bump timing).
final class ManualClock: Sendable {
    let milliseconds = Atomic<Int64>(1_700_000_000_000)
    func advance(seconds: Int64) { milliseconds.add(seconds * 1000, ordering: .relaxed) }
    var now: @Sendable () -> Int64 { { [self] in milliseconds.load(ordering: .relaxed) } }
}

/// One py-evm peer and one deployed anchor contract for every test of a suite.
struct PeerFixture: Sendable {
    let peer: EVMPeer
    let contract: EthereumAddress
    let deployGasUsed: UInt64

    /// A new peer (serving HTTPS with mutual TLS when `pki` is given) with the contract deployed.
    static func start(pki: TestPKI? = nil) throws -> PeerFixture {
        let peer = try EVMPeer(pki: pki)
        let deployer = PrivateKey()
        try peer.fund(deployer.publicKey.ethereumAddress)
        let contract = try AnchorContract.deploy(rpc: peer.rpc, key: deployer, chainID: peer.chainID,
                                                 timeout: .seconds(20))
        return PeerFixture(peer: peer, contract: contract, deployGasUsed: 0)
    }

    /// A backend with a fresh, funded ledger key.
    func backend(confirmations: Int = 2, chainID: UInt64? = nil, fees: EVMLedgerConfiguration.FeePolicy = .init(),
                 clock: (@Sendable () -> Int64)? = nil, endpoint: HTTPEndpoint? = nil,
                 transport: JSONRPCClient.Transport? = nil, key: PrivateKey? = nil,
                 trust: EVMLedgerConfiguration.ConfirmationTrust = .init(singleNode: true)) throws -> EVMLedgerBackend {
        let key = key ?? PrivateKey()
        if endpoint == nil { try peer.fund(key.publicKey.ethereumAddress) }
        let configuration = EVMLedgerConfiguration(
            endpoint: endpoint ?? peer.endpoint, chainID: chainID ?? peer.chainID, contract: contract, ledgerKey: key,
            finality: .confirmations(confirmations), gasLimit: 60_000, fees: fees,
            transport: transport ?? peer.transport(), confirmationTrust: trust)
        return try EVMLedgerBackend(configuration: configuration, clock: clock ?? EVMLedgerBackend.systemClock)
    }

    /// Polls until anchored: mines a block whenever the anchor is pending, resubmits (replacing
    /// the ticket) when asked to.
    func drive(_ backend: EVMLedgerBackend, _ request: AnchorRequest, _ start: AnchorTicket,
               mineWhilePending: Bool = true) throws -> (AnchorEvidence, AnchorTicket) {
        var ticket = start
        for _ in 0..<30 {
            switch try backend.progress(of: ticket, for: request) {
            case .anchored(let evidence):
                return (evidence, ticket)
            case .pending(let next, _):
                ticket = next
                if mineWhilePending { try peer.mine() }
            case .resubmit:
                ticket = try backend.submit(request, replacing: ticket)
            }
        }
        throw EVMPeer.Failure(description: "not anchored after 30 rounds")
    }
}

func state(_ ticket: AnchorTicket) throws -> EVMTicketState { try EVMTicketState(ticket: ticket) }

func expectPending(_ progress: AnchorProgress, sourceLocation: SourceLocation = #_sourceLocation) -> AnchorTicket? {
    guard case .pending(let ticket, _) = progress else {
        Issue.record("expected .pending, got \(progress)", sourceLocation: sourceLocation)
        return nil
    }
    return ticket
}

/// The backend against the real py-evm peer: deploy, anchor, finality, reorgs, dropped and
/// replaced transactions, and lying nodes.
@Suite(.serialized) struct PeerIntegrationTests {
    static let shared = Result { () throws -> PeerFixture in try PeerFixture.start() }
    let fixture: PeerFixture
    var peer: EVMPeer { fixture.peer }

    init() throws {
        fixture = try Self.shared.get()
        try fixture.peer.reset()
    }

    @Test func deployedCodeIsTheRuntime() throws {
        #expect(try NodeValues.data(peer.call("eth_getCode", [.string(fixture.contract.description), .string("latest")]),
                                    "code") == AnchorContract.runtimeCode)
    }

    @Test func anchorReachesAnchoredWithEvidenceTheOfflineVerifierAccepts() throws {
        let backend = try fixture.backend()
        let request = try sampleRequest(gateway: "gw-anchor")
        let ticket = try backend.submit(request, replacing: nil)
        let submitted = try state(ticket)
        // Automine put it in a block at once; no confirmations yet.
        let head = try peer.blockNumber()
        guard let same = expectPending(try backend.progress(of: ticket, for: request)) else { return }
        #expect(same == ticket)
        try peer.mine(2)
        guard case .anchored(let evidence) = try backend.progress(of: ticket, for: request) else {
            Issue.record("not anchored")
            return
        }
        #expect(evidence.type == "evm-receipt-log")
        #expect(evidence.rootHash == request.rootHash && evidence.treeSize == request.treeSize)
        #expect(evidence.locator.contains("block \(head)"))
        let body = try EVMAnchorEvidence(body: evidence.body)
        #expect(body.blockNumber == head)
        #expect(body.blockHash == (try peer.blockHash(head)))
        #expect(body.sender == backend.configuration.senderAddress)

        // An auditor pinning the hash of the last confirmation, or of the anchor block, as the
        // node's block JSON reports them.
        for pinned in [try peer.blockHash(head + 2), try peer.blockHash(head)] {
            let verifier = try EVMEvidenceVerifier(
                chainID: 1337, contract: fixture.contract, senders: [backend.configuration.senderAddress],
                trust: .trustedBlocks(hashes: [pinned], minimumConfirmations: 2))
            try verifier.verify(evidence, for: request)
            expectLedgerError(.invalidEvidence, step: "anchor-event") { () throws(LedgerError) in
                try verifier.verify(evidence, for: try sampleRequest(gateway: "gw-other"))
            }
            expectLedgerError(.invalidEvidence, step: "finality") { () throws(LedgerError) in
                try EVMEvidenceVerifier(chainID: 1337, contract: fixture.contract,
                                        senders: [backend.configuration.senderAddress],
                                        trust: .trustedBlocks(hashes: [pinned], minimumConfirmations: 3))
                    .verify(evidence, for: request)
            }
        }
        // The receipt the node reports agrees on the gas.
        let receipt = try backend.node.receipt(submitted.transactionHash)
        #expect(receipt?.succeeded == true)
        print("EVMLedger: anchor tx gasUsed \(receipt?.gasUsed ?? 0); evidence body \(evidence.body.count) bytes")
    }

    @Test func reorgBeforeFinalityResubmitsAndReanchoring() throws {
        let backend = try fixture.backend()
        let request = try sampleRequest(gateway: "gw-reorg")
        let ticket = try backend.submit(request, replacing: nil)
        let nonce = try state(ticket).nonce
        let head = try peer.blockNumber()
        try peer.mine(1)
        _ = expectPending(try backend.progress(of: ticket, for: request))  // 1 of 2 confirmations
        // The anchor block and its child are replaced by a longer fork without the transaction.
        let reorg = try peer.call("test_reorg", [.number(2)])
        #expect(reorg["lostTransactions"]?.arrayValue?.count == 1)
        guard case .resubmit(let reason) = try backend.progress(of: ticket, for: request) else {
            Issue.record("expected .resubmit after the reorg")
            return
        }
        #expect(!reason.isEmpty)
        let again = try backend.submit(request, replacing: ticket)
        #expect(try state(again).nonce == nonce)  // the rolled-back nonce is used again
        let (evidence, _) = try fixture.drive(backend, request, again)
        let body = try EVMAnchorEvidence(body: evidence.body)
        #expect(body.blockHash != (try peer.blockHash(head)) || body.blockNumber != head)
        #expect(try peer.blockHash(body.blockNumber) == body.blockHash)
    }

    @Test func aReorgRightAfterInclusionResubmits() throws {
        // The anchor block is replaced before any confirmation. (A receipt that still points at a
        // replaced block is covered by ScriptedNodeTests: this peer forgets lost transactions.)
        let backend = try fixture.backend(confirmations: 1)
        let request = try sampleRequest(gateway: "gw-reorg-late")
        let ticket = try backend.submit(request, replacing: nil)
        try peer.call("test_reorg", [.number(1)])
        try peer.mine(1)
        guard case .resubmit = try backend.progress(of: ticket, for: request) else {
            Issue.record("expected .resubmit")
            return
        }
    }

    @Test func droppedTransactionIsResubmittedWithTheSameNonce() throws {
        try peer.setAutoMine(false)
        let backend = try fixture.backend()
        let request = try sampleRequest(gateway: "gw-drop")
        let ticket = try backend.submit(request, replacing: nil)
        let nonce = try state(ticket).nonce
        _ = expectPending(try backend.progress(of: ticket, for: request))
        let dropped = try peer.call("test_dropPending")
        #expect(dropped.arrayValue?.count == 1)
        guard case .resubmit(let reason) = try backend.progress(of: ticket, for: request) else {
            Issue.record("expected .resubmit after the drop")
            return
        }
        #expect(reason.contains("dropped"))
        // A fresh submission picks the same nonce (nothing used it), and so does a replacement.
        let fresh = try backend.submit(request, replacing: nil)
        #expect(try state(fresh).nonce == nonce)
        try peer.call("test_dropPending")
        let replacement = try backend.submit(request, replacing: ticket)
        #expect(try state(replacement).nonce == nonce)
        let (evidence, _) = try fixture.drive(backend, request, replacement)
        #expect(try EVMAnchorEvidence(body: evidence.body).sender == backend.configuration.senderAddress)
    }

    @Test func aStuckTransactionIsReplacedWithBumpedFees() throws {
        try peer.setAutoMine(false)
        let clock = ManualClock()
        let backend = try fixture.backend(fees: .init(bumpAfter: .seconds(30)), clock: clock.now)
        let request = try sampleRequest(gateway: "gw-bump")
        let ticket = try backend.submit(request, replacing: nil)
        let original = try state(ticket)
        clock.advance(seconds: 10)
        #expect(expectPending(try backend.progress(of: ticket, for: request)) == ticket)
        clock.advance(seconds: 25)
        guard let bumped = expectPending(try backend.progress(of: ticket, for: request)) else { return }
        let replacement = try state(bumped)
        #expect(replacement.transactionHash != original.transactionHash)
        #expect(replacement.nonce == original.nonce)
        #expect(replacement.maxFeePerGas * 8 >= original.maxFeePerGas * 9)
        #expect(replacement.maxPriorityFeePerGas * 8 >= original.maxPriorityFeePerGas * 9)
        #expect(replacement.earlierHashes == [original.transactionHash])
        #expect(bumped.submittedAt == clock.now())
        // The pool holds only the replacement.
        #expect(try peer.call("test_pending") == .array([.string(Hex.encode(replacement.transactionHash, prefix: true))]))
        let (_, final) = try fixture.drive(backend, request, bumped)
        #expect(try state(final).transactionHash == replacement.transactionHash)
        #expect(try backend.node.receipt(original.transactionHash) == nil)
    }

    @Test func aReplacementWhoseOriginalWasMinedPollsTheOriginal() throws {
        try peer.setAutoMine(false)
        let backend = try fixture.backend()
        let request = try sampleRequest(gateway: "gw-late-bump")
        let ticket = try backend.submit(request, replacing: nil)
        try peer.mine(1)  // the original is mined
        // The worker decides to bump anyway: the node says "nonce too low"; keep the original.
        let replaced = try backend.submit(request, replacing: ticket)
        #expect(replaced == ticket)
        let (_, final) = try fixture.drive(backend, request, replaced)
        #expect(final == ticket)
    }

    @Test func theFeeCapStopsBumpsButNotProgress() throws {
        try peer.setAutoMine(false)
        let clock = ManualClock()
        // The node suggests 1 gwei priority; the cap leaves no room for a 12.5% bump.
        let fees = EVMLedgerConfiguration.FeePolicy(maximumFeePerGas: 4_000_000_000, maximumPriorityFeePerGas: 1_000_000_000,
                                                    bumpAfter: .seconds(1))
        let backend = try fixture.backend(fees: fees, clock: clock.now)
        let request = try sampleRequest(gateway: "gw-cap")
        let ticket = try backend.submit(request, replacing: nil)
        clock.advance(seconds: 5)
        guard case .pending(let same, let detail) = try backend.progress(of: ticket, for: request) else {
            Issue.record("expected .pending")
            return
        }
        #expect(same == ticket)
        #expect(detail.contains("fee cap"))
        expectLedgerError(.rejected) { () throws(LedgerError) in try backend.submit(request, replacing: ticket) }
        _ = try fixture.drive(backend, request, ticket)
    }

    // MARK: Lying nodes

    /// An anchor whose block already has its confirmations, not yet checked by `progress`.
    func confirmedTicket(_ backend: EVMLedgerBackend, _ request: AnchorRequest) throws -> AnchorTicket {
        let ticket = try backend.submit(request, replacing: nil)
        try peer.mine(2)
        return ticket
    }

    func expectLie(_ mode: String, step: String, backend: EVMLedgerBackend, ticket: AnchorTicket,
                   request: AnchorRequest, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try peer.lie(mode)
        expectLedgerError(.untrustworthyNode, step: step, sourceLocation: sourceLocation) { () throws(LedgerError) in
            try backend.progress(of: ticket, for: request)
        }
        try peer.lie("none")
    }

    @Test(arguments: [("header", "header-hash"), ("receipts", "receipts-root"), ("forged-event", "anchor-event"),
                      ("chain-id", "chain-id")])
    func aLyingNodeIsCaughtAndNothingIsAnchored(mode: String, step: String) throws {
        let backend = try fixture.backend()
        let request = try sampleRequest(gateway: "gw-lie-\(mode)")
        let ticket = try confirmedTicket(backend, request)
        try expectLie(mode, step: step, backend: backend, ticket: ticket, request: request)
        // The truth again: the same ticket anchors.
        guard case .anchored = try backend.progress(of: ticket, for: request) else {
            Issue.record("not anchored once the node tells the truth")
            return
        }
    }

    @Test func aForgedEventMatchingTheRequestFailsTheChainLink() throws {
        // The forged-event node complements the first 32 data bytes (the root). Ask about the
        // request whose root *is* that complement: the forged block now carries a matching event,
        // and only the next real header's parentHash gives the forgery away.
        let backend = try fixture.backend()
        let real = try sampleRequest(gateway: "gw-forge")
        let ticket = try confirmedTicket(backend, real)
        let forgedRequest = try AnchorRequest(gatewayID: real.gatewayID, origin: real.origin, treeSize: real.treeSize,
                                              rootHash: real.rootHash.map { ~$0 })
        try expectLie("forged-event", step: "chain-link", backend: backend, ticket: ticket, request: forgedRequest)
        // Offline, the forged evidence cannot be built; the honest one still verifies.
        let (evidence, _) = try fixture.drive(backend, real, ticket, mineWhilePending: false)
        let head = try peer.blockNumber()
        try EVMEvidenceVerifier(chainID: 1337, contract: fixture.contract, senders: [backend.configuration.senderAddress],
                                trust: .trustedBlocks(hashes: [try peer.blockHash(head)], minimumConfirmations: 2))
            .verify(evidence, for: real)
    }

    @Test func aLyingChainIDStopsSubmissions() throws {
        let backend = try fixture.backend()
        try peer.lie("chain-id")
        expectLedgerError(.untrustworthyNode, step: "chain-id") { () throws(LedgerError) in
            try backend.submit(try sampleRequest(gateway: "gw-chain"), replacing: nil)
        }
        try peer.lie("none")
    }

    @Test func aWrongConfiguredChainIDIsDetected() throws {
        let backend = try fixture.backend(chainID: 1338)
        expectLedgerError(.untrustworthyNode, step: "chain-id") { () throws(LedgerError) in
            try backend.submit(try sampleRequest(gateway: "gw-wrong-chain"), replacing: nil)
        }
    }

    // MARK: Unavailable nodes

    @Test func aSlowNodeTimesOut() throws {
        let backend = try fixture.backend(transport: peer.transport(request: .milliseconds(300)))
        try peer.delay(ms: 800)
        let start = Date()
        expectLedgerError(.unavailable) { () throws(LedgerError) in
            try backend.submit(try sampleRequest(gateway: "gw-slow"), replacing: nil)
        }
        #expect(Date().timeIntervalSince(start) < 2.5)
        Thread.sleep(forTimeInterval: 1)  // let the peer finish the delayed answer
        try peer.delay(ms: 0)
    }

    @Test func nothingListeningIsUnavailableQuickly() throws {
        let closed = try TestHTTPServer { _, _ in .close }
        let port = closed.port
        closed.stop()
        let backend = try fixture.backend(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port))
        let start = Date()
        expectLedgerError(.unavailable) { () throws(LedgerError) in
            try backend.submit(try sampleRequest(), replacing: nil)
        }
        #expect(Date().timeIntervalSince(start) < 2)
    }
}

/// A peer that dies under a backend with a kept-alive connection.
@Suite(.serialized) struct PeerShutdownTests {
    @Test func aKilledPeerIsUnavailableQuickly() throws {
        let peer = try EVMPeer()
        let key = PrivateKey()
        try peer.fund(key.publicKey.ethereumAddress)
        let configuration = EVMLedgerConfiguration(
            endpoint: peer.endpoint, chainID: 1337,
            contract: try EthereumAddress(hex: "0x000000000000000000000000000000000000a11c"), ledgerKey: key,
            finality: .confirmations(2), transport: peer.transport(request: .seconds(5)),
            confirmationTrust: .init(singleNode: true))
        let backend = try EVMLedgerBackend(configuration: configuration)
        let request = try sampleRequest(gateway: "gw-killed")
        let ticket = try backend.submit(request, replacing: nil)
        peer.stop()
        let start = Date()
        expectLedgerError(.unavailable) { () throws(LedgerError) in try backend.progress(of: ticket, for: request) }
        expectLedgerError(.unavailable) { () throws(LedgerError) in try backend.submit(request, replacing: nil) }
        #expect(Date().timeIntervalSince(start) < 2)
    }
}
