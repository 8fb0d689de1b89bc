@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Secp256k1
import Testing
import VitalGateTesting

/// Figures for docs/EVM-LEDGER.md, printed (not asserted beyond sanity): sustained anchors per
/// minute against the py-evm peer with automine, evidence verification time, gas per anchor.
@Suite(.serialized) struct PeerBenchmarkTests {
    /// Its own peer: other suites run in parallel and switch the shared one's modes.
    static let shared = Result { () throws -> PeerFixture in try PeerFixture.start() }

    @Test func anchorsPerMinuteVerificationTimeAndGas() throws {
        let fixture = try Self.shared.get()
        try fixture.peer.reset()
        let backend = try fixture.backend(confirmations: 2)
        let count = 30
        let requests = try (0..<count).map { index throws(LedgerError) in
            try sampleRequest(gateway: "gw-bench", size: UInt64(index + 1), rootByte: UInt8(index))
        }
        // Sustained: submit each anchor and poll all outstanding ones, like the anchoring worker;
        // automine makes every anchor a block, so later anchors confirm earlier ones.
        let start = Date()
        var outstanding: [(AnchorRequest, AnchorTicket)] = []
        var evidences: [(AnchorEvidence, AnchorRequest)] = []
        var rounds = 0
        while evidences.count < count {
            rounds += 1
            if outstanding.count + evidences.count < count {
                let request = requests[outstanding.count + evidences.count]
                outstanding.append((request, try backend.submit(request, replacing: nil)))
            } else {
                try fixture.peer.mine()  // the tail needs blocks without anchors
            }
            var still: [(AnchorRequest, AnchorTicket)] = []
            for (request, ticket) in outstanding {
                switch try backend.progress(of: ticket, for: request) {
                case .anchored(let evidence): evidences.append((evidence, request))
                case .pending(let next, _): still.append((request, next))
                case .resubmit(let reason): Issue.record("unexpected resubmit: \(reason)")
                }
            }
            outstanding = still
            #expect(rounds < 10 * count)
        }
        let seconds = Date().timeIntervalSince(start)
        let perMinute = Double(count) / seconds * 60

        // Verification time per bundle, median over many runs.
        let (evidence, request) = evidences[0]
        let body = try EVMAnchorEvidence(body: evidence.body)
        let pinned = try backend.node.rawHeader(number: body.blockNumber + 2).map { try BlockHeader(rlp: $0).hash }!
        let verifier = try EVMEvidenceVerifier(chainID: 1337, contract: fixture.contract,
                                               senders: [backend.configuration.senderAddress],
                                               trust: .trustedBlocks(hashes: [pinned], minimumConfirmations: 2))
        var samples: [Double] = []
        for _ in 0..<300 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try verifier.verify(evidence, for: request)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }
        samples.sort()
        let median = samples[samples.count / 2]

        let gas = try EVMTicketState(ticket: try backend.submit(requests[0], replacing: nil)).transactionHash
        let gasUsed = try backend.node.receipt(gas)?.gasUsed ?? 0
        print(String(format: "EVMLedger benchmark: %d anchors (2 confirmations) in %.2f s = %.0f anchors/min; "
                     + "evidence %d bytes, verification median %.0f µs (p90 %.0f µs); gasUsed %llu per anchor",
                     count, seconds, perMinute, evidence.body.count, median, samples[samples.count * 9 / 10], gasUsed))
        #expect(perMinute > 10)
        #expect((21_000...60_000).contains(gasUsed))
    }

    /// Its own peer serving HTTPS and requiring a client certificate, started when first used.
    static let sharedTLS = Result { () throws -> PeerFixture in try PeerFixture.start(pki: try TestPKI()) }

    /// The transport alone: JSON-RPC round trips of a small call on the backend's kept-alive
    /// connection (the peer answers `eth_chainId` without touching the chain), plain and over
    /// mutual TLS.
    @Test(arguments: [false, true])
    func roundTripsOfASmallCall(tls: Bool) throws {
        let fixture = try (tls ? Self.sharedTLS : Self.shared).get()
        try fixture.peer.reset()
        let backend = try fixture.backend(confirmations: 2)
        for _ in 0..<20 { _ = try backend.rpc.call("eth_chainId") }  // warm up: connection, allocations
        var samples: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<1000 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            #expect(try backend.rpc.call("eth_chainId") == .string("0x539"))
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        samples.sort()
        print(String(format: "EVMLedger transport (%@): %d eth_chainId calls in %.2f s = %.0f calls/s; "
                     + "round trip median %.0f µs, p90 %.0f µs, p99 %.0f µs", tls ? "https, mutual TLS" : "http",
                     samples.count, seconds, Double(samples.count) / seconds, samples[samples.count / 2],
                     samples[samples.count * 9 / 10], samples[samples.count * 99 / 100]))
    }
}
