import EVMLedger
import EVMLightClient
import Ledger
import Secp256k1
import Telemetry
import Testing
import VitalGateTesting

/// The shared ledger conformance suite (VitalGateTesting.LedgerConformance) against the `evm`
/// backend on its own py-evm peer.
@Suite(.serialized) struct EVMLedgerConformanceTests {
    static let shared = Result { () throws -> PeerFixture in try PeerFixture.start() }

    /// An auditor who pins the hash of the evidence's last confirmation as the peer's block JSON
    /// reports it at verification time (an independent source of canonical hashes).
    struct PinnedAtVerification: AnchorEvidenceVerifier {
        let fixture: PeerFixture
        let sender: EthereumAddress
        var evidenceTypes: [String] { [EVMAnchorEvidence.type] }

        func verify(_ evidence: AnchorEvidence, for request: AnchorRequest) throws(LedgerError) {
            var pinned = [UInt8](repeating: 0, count: 32)
            if let body = try? EVMAnchorEvidence(body: evidence.body), case .confirmations(let headers) = body.finality,
               let hash = try? fixture.peer.blockHash(body.blockNumber + UInt64(headers.count)) {
                pinned = hash
            }
            try EVMEvidenceVerifier(chainID: fixture.peer.chainID, contract: fixture.contract, senders: [sender],
                                    trust: .trustedBlocks(hashes: [pinned], minimumConfirmations: 2))
                .verify(evidence, for: request)
        }
    }

    struct Harness: LedgerConformanceHarness {
        let fixture: PeerFixture
        let configuration: EVMLedgerConfiguration
        var backend: any LedgerBackend { (try? EVMLedgerBackend(configuration: configuration))! }
        var verifier: any AnchorEvidenceVerifier {
            PinnedAtVerification(fixture: fixture, sender: configuration.senderAddress)
        }
        func restartedBackend() throws -> any LedgerBackend { try EVMLedgerBackend(configuration: configuration) }
        func advance() throws { try fixture.peer.mine() }
    }

    @Test func theEVMBackendPassesTheSharedSuite() throws {
        let fixture = try Self.shared.get()
        let backend = try fixture.backend(confirmations: 2)
        let harness = Harness(fixture: fixture, configuration: backend.configuration)
        try LedgerConformance.runAll(harness, log: try LedgerConformance.TestLog(gatewayID: "evm-conformance"))
    }
}
