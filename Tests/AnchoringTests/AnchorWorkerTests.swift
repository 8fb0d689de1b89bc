import Anchoring
import Foundation
import Ledger
import Sealing
import Synchronization
import Telemetry
import Testing
import Transparency
import Vault
import VitalGateTesting

/// The anchoring worker against real vault files with the `local` backend. The outage, lying
/// and slow-ledger cases wrap `LocalLedger` in small test doubles (the embedded log itself can
/// be none of these); the `evm` backend meets real failures against py-evm in EVMLedgerTests.
@Suite struct AnchorWorkerTests {
    let dir = try! TemporaryDirectory()
    let keys = GatewayKeys.generate()
    let gatewayID = "anchor-gw"

    /// A vault with sealing on and `batches` sealed batches (so `batches` checkpoints).
    func vault(batches: Int) throws -> Vault {
        let vault = try Vault(path: dir.appending("vault.sqlite").path, keys: keys)
        _ = try vault.enableSealing(SealingConfiguration(gatewayID: gatewayID, policy: try BatchPolicy(maxReadings: 2)),
                                    now: 1_000)
        try addBatches(batches, to: vault)
        return vault
    }

    /// Seals `count` more batches of two sealed records each (the batch policy closes at two).
    func addBatches(_ count: Int, to vault: Vault) throws {
        for batch in 0..<count {
            for record in 0..<2 {
                try vault.recordConfigOutcome(ConfigAuditRecord(type: "config_rejected",
                                                                detail: Array(#"{"n":\#(batch * 2 + record)}"#.utf8), at: 3_000),
                                              newFleetState: nil)
            }
        }
    }

    var verifier: LocalEvidenceVerifier {
        LocalEvidenceVerifier(logKey: try! Vault.logVerifierKey(keys: keys, gatewayID: gatewayID))
    }

    func worker(_ backend: any LedgerBackend) -> AnchorWorker {
        AnchorWorker(configuration: .init(gatewayID: gatewayID, vaultPath: dir.appending("vault.sqlite").path, pollMs: 20,
                                          retryMs: (20, 100)),
                     backend: backend, verifier: verifier)
    }

    func store() throws -> AnchorStore { try AnchorStore(vaultPath: dir.appending("vault.sqlite").path) }

    @Test func theNewestCheckpointIsAnchoredAndBundlesCarryTheEvidence() throws {
        let vault = try vault(batches: 2)
        let store = try store()
        let worker = worker(LocalLedger())
        #expect(worker.round(store) == .progressed)  // submits size 2, not size 1
        #expect(try store.pending()?.size == 2)
        #expect(worker.round(store) == .progressed)  // anchored
        #expect(worker.round(store) == .idle)
        #expect(worker.metrics.submissions == 1 && worker.metrics.anchored == 1)
        let lag = try vault.stats().anchoring
        #expect(lag.anchored == 2 && lag.latestCheckpoint == 2 && lag.unanchoredBatches == 0 && lag.pending == nil)

        // A reading of batch 0 is proven against the anchored checkpoint, which the bundle carries.
        let bundle = try vault.proofBundle(readingID: 1, gatewayID: gatewayID)
        #expect(bundle.log.treeSize == 2 && bundle.anchors.count == 1)
        let trust = try vault.trustAnchors(gatewayID: gatewayID)
        let check: BundleVerifier.AnchorCheck = { [verifier, gatewayID] entry, size, root in
            let result = Result { () throws(LedgerError) in
                try verifier.verify(try AnchorEvidence(json: entry),
                                    for: try AnchorRequest(gatewayID: gatewayID, origin: trust.logOrigin, treeSize: size, rootHash: root))
            }
            if case .failure(let error) = result { return "\(error.step ?? "-"): \(error.reason)" }
            return nil
        }
        let report = BundleVerifier.verify(bundle, trust: trust, anchorCheck: check)
        #expect(report.passed && report.steps.last?.status == .pass, "\(report.text)")

        // An anchor entry for another root fails the anchors step (and only it).
        var forged = bundle
        let other = try LedgerConformance.TestLog(gatewayID: gatewayID).request(size: 2)
        forged.anchors = [AnchorEvidence(type: "local-checkpoint", treeSize: 2, rootHash: other.rootHash, locator: "",
                                         body: JSONWriter.canonicalBytes(.object([("checkpoint", .string(String(decoding: other.signedNote, as: UTF8.self)))]))).json]
        let bad = BundleVerifier.verify(forged, trust: trust, anchorCheck: check)
        #expect(!bad.passed && bad.steps.filter { $0.status == .fail }.map(\.name) == [.anchors])

        // New batches: the lag shows them until the next anchor.
        try addBatches(2, to: vault)
        let behind = try vault.stats().anchoring
        #expect(behind.latestCheckpoint == 4 && behind.unanchoredBatches == 2 && behind.oldestUnanchoredAt == 3_000)
        #expect(worker.round(store) == .progressed && worker.round(store) == .progressed)
        #expect(try vault.stats().anchoring.anchored == 4)
    }

    /// Fails the first `failures` submissions as an unreachable node would.
    final class UnreachableThenUp: LedgerBackend, Sendable {
        let name = "local"
        let remaining: Mutex<Int>
        init(failures: Int) { remaining = Mutex(failures) }
        func submit(_ request: AnchorRequest, replacing: AnchorTicket?) throws(LedgerError) -> AnchorTicket {
            let down = remaining.withLock { value in defer { value -= 1 }; return value > 0 }
            if down { throw LedgerError(code: .unavailable, reason: "connection refused") }
            return try LocalLedger().submit(request, replacing: replacing)
        }
        func progress(of ticket: AnchorTicket, for request: AnchorRequest) throws(LedgerError) -> AnchorProgress {
            try LocalLedger().progress(of: ticket, for: request)
        }
    }

    @Test func anOutageDelaysAnchoringButNotSealingAndItCatchesUp() throws {
        let vault = try vault(batches: 1)
        let store = try store()
        let worker = worker(UnreachableThenUp(failures: 3))
        for _ in 0..<3 { #expect(worker.round(store) == .failed) }
        try addBatches(2, to: vault)  // sealing goes on while the ledger is down
        #expect(try vault.stats().anchoring.anchored == 0)
        #expect(worker.round(store) == .progressed && worker.round(store) == .progressed)
        #expect(try vault.stats().anchoring.anchored == 3 && worker.metrics.failures == 3)
    }

    /// Returns evidence of another log's checkpoint: what a lying ledger would serve.
    struct Lying: LedgerBackend {
        let name = "local"
        func submit(_ request: AnchorRequest, replacing: AnchorTicket?) throws(LedgerError) -> AnchorTicket {
            try LocalLedger().submit(request, replacing: replacing)
        }
        func progress(of ticket: AnchorTicket, for request: AnchorRequest) throws(LedgerError) -> AnchorProgress {
            let fake = try! LedgerConformance.TestLog(gatewayID: request.gatewayID, seed: 99).request(size: request.treeSize)
            return try LocalLedger().progress(of: LocalLedger().submit(fake, replacing: nil), for: fake)
        }
    }

    @Test func evidenceThatDoesNotVerifyIsNeverMarkedAnchored() throws {
        let vault = try vault(batches: 1)
        let store = try store()
        let worker = worker(Lying())
        #expect(worker.round(store) == .progressed)
        #expect(worker.round(store) == .failed && worker.round(store) == .failed)
        #expect(worker.metrics.invalidEvidence == 2 && worker.metrics.anchored == 0)
        let lag = try vault.stats().anchoring
        #expect(lag.anchored == 0 && lag.pending?.lastError?.contains("invalidEvidence") == true)
        #expect(try vault.proofBundle(readingID: 1, gatewayID: gatewayID).anchors.isEmpty)
    }

    /// Keeps a submission pending for `rounds` progress calls, as a chain awaiting confirmations does.
    final class Slow: LedgerBackend, Sendable {
        let name = "local"
        let calls = Mutex(0)
        let rounds: Int
        init(rounds: Int) { self.rounds = rounds }
        func submit(_ request: AnchorRequest, replacing: AnchorTicket?) throws(LedgerError) -> AnchorTicket {
            try LocalLedger().submit(request, replacing: replacing)
        }
        func progress(of ticket: AnchorTicket, for request: AnchorRequest) throws(LedgerError) -> AnchorProgress {
            let call = calls.withLock { value in value += 1; return value }
            if call <= rounds { return .pending(ticket, detail: "waiting for confirmations") }
            return try LocalLedger().progress(of: ticket, for: request)
        }
    }

    @Test func aPendingSubmissionSurvivesARestartWithoutBeingPostedAgain() throws {
        _ = try vault(batches: 1)
        let first = worker(Slow(rounds: 100))
        let store1 = try store()
        #expect(first.round(store1) == .progressed && first.round(store1) == .waiting)
        // `stats` says what the submission waits for (issue 21: e.g. a newer pinned block).
        #expect(try store1.lag().waiting == "waiting for confirmations")
        // "Restart": a new worker and a new connection.
        let second = worker(Slow(rounds: 1))
        let store2 = try store()
        #expect(second.round(store2) == .waiting)
        #expect(second.round(store2) == .progressed)
        #expect(second.metrics.submissions == 0 && second.metrics.anchored == 1)
        #expect(try store2.latestAnchored()?.size == 1)
        #expect(try store2.lag().waiting == nil, "cleared once anchored")
    }

    @Test func theWorkerThreadAnchorsAndStops() throws {
        let vault = try vault(batches: 1)
        let worker = worker(LocalLedger())
        worker.start()
        let deadline = Date().addingTimeInterval(5)
        while worker.metrics.anchored == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        worker.stop()
        #expect(try vault.stats().anchoring.anchored == 1)
    }

    /// Answers `.resubmit` once, as a backend does after a reorg drops the anchor's block.
    final class ReorgedOnce: LedgerBackend, Sendable {
        let name = "local"
        let reorged = Atomic<Bool>(false)
        func submit(_ request: AnchorRequest, replacing: AnchorTicket?) throws(LedgerError) -> AnchorTicket {
            try LocalLedger().submit(request, replacing: replacing)
        }
        func progress(of ticket: AnchorTicket, for request: AnchorRequest) throws(LedgerError) -> AnchorProgress {
            if !reorged.exchange(true, ordering: .relaxed) { return .resubmit(reason: "the anchor block was reorged out") }
            return try LocalLedger().progress(of: ticket, for: request)
        }
    }

    @Test func aReorgedAnchorIsPostedAgainForTheNewestCheckpoint() throws {
        let vault = try vault(batches: 1)
        let store = try store()
        let worker = worker(ReorgedOnce())
        #expect(worker.round(store) == .progressed)  // submits size 1
        try addBatches(1, to: vault)                // size 2 is signed meanwhile
        #expect(worker.round(store) == .resubmitted)  // reorged: size 1 abandoned, size 2 submitted
        #expect(try store.pending()?.size == 2)
        // Why it was posted again is in `stats`, not only the attempt count.
        #expect(try vault.stats().anchoring.lastFailure?.reason == "posted again: the anchor block was reorged out")
        #expect(worker.metrics.lastFailure == .resubmitted)
        #expect(worker.round(store) == .progressed)  // anchored
        #expect(worker.metrics.resubmissions == 1 && worker.metrics.submissions == 2 && worker.metrics.anchored == 1)
        #expect(try vault.stats().anchoring.anchored == 2)
        #expect(try vault.stats().anchoring.lastFailure == nil && worker.metrics.lastFailure == nil)
    }
}
