import Ledger
import Telemetry
import Testing
import Transparency
import VitalGateTesting

/// The `local` backend through the shared conformance suite, and its verifier's refusals.
@Suite struct LocalLedgerTests {
    struct Harness: LedgerConformanceHarness {
        let log: LedgerConformance.TestLog
        var backend: any LedgerBackend { LocalLedger() }
        var verifier: any AnchorEvidenceVerifier { LocalEvidenceVerifier(logKey: log.verifierKey) }
        func restartedBackend() throws -> any LedgerBackend { LocalLedger() }
        func advance() throws {}
    }

    @Test func passesTheConformanceSuite() throws {
        let log = try LedgerConformance.TestLog()
        try LedgerConformance.runAll(Harness(log: log), log: log)
    }

    @Test func evidenceSignedByAnotherLogKeyIsRejected() throws {
        let log = try LedgerConformance.TestLog()
        let impostor = try LedgerConformance.TestLog(seed: 7)
        let request = try impostor.request(size: 2)
        let evidence = try LedgerConformance.anchor(request, harness: Harness(log: impostor))
        #expect(throws: LedgerError.self) {
            try LocalEvidenceVerifier(logKey: log.verifierKey).verify(evidence, for: try log.request(size: 2))
        }
        let error = LedgerConformance.verificationError(evidence, request, LocalEvidenceVerifier(logKey: log.verifierKey))
        #expect(error?.code == .invalidEvidence && error?.step == "signature")
    }

    @Test func aRequestWithoutANoteIsRefused() throws {
        let log = try LedgerConformance.TestLog()
        let signed = try log.request(size: 1)
        let bare = try AnchorRequest(gatewayID: signed.gatewayID, origin: signed.origin, treeSize: 1, rootHash: signed.rootHash)
        #expect(throws: LedgerError.self) { try LocalLedger().submit(bare, replacing: nil) }
    }

    @Test func malformedEntriesAreRejectedAtParse() throws {
        for text in [#"{}"#, #"{"type":"x","tree_size":1,"root":"00","locator":"","body":{}}"#,
                     #"{"type":"x","tree_size":1.5,"root":"\#(String(repeating: "0", count: 64))","locator":"","body":{}}"#,
                     #"{"type":"x","tree_size":1,"root":"\#(String(repeating: "0", count: 64))","locator":"","body":[]}"#] {
            let json = try JSONParser().parse(text)
            let result = Result { () throws(LedgerError) in try AnchorEvidence(json: json) }
            guard case .failure(let error) = result else { Issue.record("accepted \(text)"); continue }
            #expect(error.code == .invalidEvidence && error.step == "parse")
        }
    }
}
