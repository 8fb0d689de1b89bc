import Cryptography
import Ingest
import MQTT
import Telemetry
import Testing
import VitalGateTesting

/// Issue 22, items 4-5: what the pipeline posts for the HTTP endpoints, without a broker.
@Suite struct IngestBoardTests {
    @Test func theBoardCarriesCountsHistogramsAndTheBedsButNoPatientIdentifier() throws {
        let pipeline = try InMemoryPipeline()
        let board = IngestBoard(clock: pipeline.clock)
        pipeline.configuration.board = board
        #expect(board.read().heartbeatAgeSeconds == nil)  // not started
        let readings = (0..<50).map { pipeline.vitals($0, spo2: 90 + $0 % 5) }
        pipeline.broker.publishAll(pipeline.setup + readings)
        let (service, done) = try pipeline.run { _ in pipeline.broker.undelivered(to: "vitalgate-test-gw") == 0 }
        #expect(done)
        let (status, heartbeat) = board.read()
        // The last post is the one at the stop: every figure is final.
        #expect(status.metrics == service.metrics)
        #expect(status.metrics.stored == 50)
        #expect(status.metrics.batchSeconds.count == UInt64(status.metrics.batches))
        #expect(status.metrics.commitSeconds.count == UInt64(status.metrics.batches))
        #expect(status.acknowledgementLagSeconds == 0)
        #expect(heartbeat != nil)
        #expect(!status.connected)  // posted after the clean stop
        let bed = try #require(status.beds.first)
        #expect(status.beds.count == 1 && bed.bed == "ICU-3")
        #expect(bed.devices.map(\.device) == ["OXP-7F31A2"] && bed.devices[0].battery == 88)
        // The pseudonym is the store's keyed digest, cut short; the MRN is nowhere.
        #expect(bed.pseudonym == String(pipeline.store.pseudonym(of: "MRN-00012345").hexString.prefix(12)))
        #expect(!"\(status)".contains("MRN-00012345"))
        let minute = try #require(bed.history.last)
        #expect(minute.heartRate == 72 && minute.spo2.map { (90...94).contains($0) } == true)
    }

    @Test func theHeartbeatStopsWhenTheLoopDoes() throws {
        let pipeline = try InMemoryPipeline()
        let board = IngestBoard(clock: pipeline.clock)
        pipeline.configuration.board = board
        pipeline.broker.publishAll(pipeline.setup)
        _ = try pipeline.run { _ in pipeline.broker.undelivered(to: "vitalgate-test-gw") == 0 }
        let before = try #require(board.read().heartbeatAgeSeconds)
        pipeline.clock.advance(ms: 45_000)
        let after = try #require(board.read().heartbeatAgeSeconds)
        #expect(after - before == 45)
    }

    @Test func withoutABoardTheWardIsNotKept() throws {
        let pipeline = try InMemoryPipeline()
        let (service, _) = try pipeline.drain((0..<5).map { pipeline.vitals($0) })
        #expect(service.metrics.stored == 5)
        #expect(service.metrics.batchSeconds.count > 0)  // the histograms are kept anyway: they are counters
    }
}
