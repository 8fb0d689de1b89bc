import Cryptography
import Sealing
import Telemetry
import Testing
import VitalGateTesting
import Transparency

@Suite("InMemoryLedger properties")
struct LedgerPropertyTests {
    @Test("random batch sizes: every reading is sealed once, every bundle verifies, the chain is intact",
          arguments: 0..<24)
    func randomBatches(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &+ 0xC0FFEE)
        let maxReadings = Int.random(in: 1...17, using: &random)
        let maxAge = Int64.random(in: 50...2_000, using: &random)
        let count = Int.random(in: 1...60, using: &random)
        var fixture = try Fixture(count: 0, policy: try BatchPolicy(maxReadings: maxReadings, maxAgeMilliseconds: maxAge),
                                  cosign: false)
        var time: Int64 = 1_700_000_000_000
        for index in 0..<count {
            time += Int64.random(in: 0...300, using: &random)
            if Bool.random(using: &random) { try fixture.ledger.tick(at: time) }
            let id = try fixture.ledger.commit(canonical: Fixture.reading(index).canonicalBytes, receivedAt: time)
            #expect(id == UInt64(index))
        }
        try fixture.ledger.shutdown(at: time + 1)
        #expect(fixture.ledger.unsealedCount == 0)
        try fixture.ledger.publishCheckpoint(witnesses: fixture.witnesses, timestamp: 1_700_000_500)

        let batches = fixture.ledger.batches
        #expect(batches.reduce(0) { $0 + $1.commitments.count } == count)
        #expect(batches.allSatisfy { (1...maxReadings).contains($0.commitments.count) })
        for (batch, reason) in zip(batches, fixture.ledger.closeReasons) where reason == .count {
            #expect(batch.commitments.count == maxReadings)
        }
        #expect(fixture.ledger.closeReasons.dropLast().allSatisfy { $0 != .shutdown })
        #expect(fixture.ledger.logSize == UInt64(batches.count))
        #expect(BatchChain.verify(fixture.ledger.headers, publicKey: fixture.identityKey.publicKey) == nil)
        for batch in batches {
            #expect(BatchSealer.root(batch.commitments) == batch.signedHeader.header.root)
            #expect(batch.signedHeader.header.firstReceivedAt <= batch.signedHeader.header.lastReceivedAt)
        }

        let trust = try fixture.trust()
        for id in 0..<UInt64(count) {
            let bundle = try fixture.ledger.bundle(forReading: id)
            let report = BundleVerifier.verify(try ProofBundle(json: bundle.json), trust: trust)
            #expect(report.passed, "reading \(id): \(report.text)")
        }
        // One random reading, one random byte of its commitment or audit path: the batch step fails.
        let victim = UInt64.random(in: 0..<UInt64(count), using: &random)
        var bundle = try fixture.ledger.bundle(forReading: victim)
        if bundle.batch.auditPath.isEmpty || Bool.random(using: &random) {
            bundle.reading.salt = bundle.reading.salt?.flipping(Int.random(in: 0..<32, using: &random))
            #expect(BundleVerifier.verify(bundle, trust: trust).failedSteps == [.commitment])
        } else {
            let element = Int.random(in: 0..<bundle.batch.auditPath.count, using: &random)
            bundle.batch.auditPath[element] = bundle.batch.auditPath[element].flipping(Int.random(in: 0..<32, using: &random))
            #expect(BundleVerifier.verify(bundle, trust: trust).failedSteps == [.batchInclusion])
        }
    }

    @Test("a bundle made against an older checkpoint still verifies after the log grows")
    func olderCheckpoint() throws {
        var fixture = try Fixture(count: 8)
        let early = try fixture.ledger.bundle(forReading: 0)
        for index in 8..<20 {
            try fixture.ledger.commit(canonical: Fixture.reading(index).canonicalBytes, receivedAt: 1_700_000_100_000 + Int64(index))
        }
        try fixture.ledger.shutdown(at: 1_700_000_200_000)
        try fixture.ledger.publishCheckpoint(witnesses: fixture.witnesses)
        let late = try fixture.ledger.bundle(forReading: 0)
        #expect(early.log.treeSize < late.log.treeSize)
        #expect(BundleVerifier.verify(early, trust: try fixture.trust()).passed)
        #expect(BundleVerifier.verify(late, trust: try fixture.trust()).passed)
        // An old proof against the new checkpoint fails: the size comes from the checkpoint.
        var mixed = early
        mixed.log.checkpoint = late.log.checkpoint
        #expect(BundleVerifier.verify(mixed, trust: try fixture.trust()).failedSteps == [.logInclusion])
    }
}
