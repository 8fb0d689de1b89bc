import Delivery
import MQTT
import Foundation
import Testing
import Vault
import VitalGateTesting

/// Issue 19, the outbox: the cursor moves only on confirmation, failures retry with backoff or
/// the receiver's Retry-After, dead letters never block the records behind them.
@Suite struct DeliveryWorkerTests {
    static func worker(_ fixture: DeliveryFixture, _ sink: InMemorySink, batch: Int = 50) -> DeliveryWorker {
        DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: batch,
                                            backoff: ReconnectBackoffDefaults.test),
                       sink: sink)
    }

    @Test func theCursorMovesOnlyOnceTheSinkConfirmed() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 20)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let sink = InMemorySink()
        sink.fail(with: [DeliveryError(.unavailable, "down"), DeliveryError(.timeout, "slow")])
        let worker = Self.worker(fixture, sink)
        guard case .failed(let first) = worker.round(vault) else { Issue.record("the first attempt did not fail"); return }
        #expect((80...120).contains(first), "the first retry waits 100 ms ±20 %: \(first)")
        #expect(try vault.sinkCursor("memory").lastID == 0 && sink.delivered.isEmpty)
        #expect(try vault.sinkCursor("memory").lastError?.contains("down") == true)
        guard case .failed(let second) = worker.round(vault) else { Issue.record("the second attempt did not fail"); return }
        #expect(second >= 160, "backoff grows: \(second)")
        NDJSONDeliveryTests.drain(worker, vault)
        let cursor = try vault.sinkCursor("memory")
        #expect(cursor.lastID == (try vault.newestRecordID()) && cursor.lastError == nil)
        #expect(sink.delivered == sink.delivered.sorted() && Set(sink.delivered).count == sink.delivered.count)
        #expect(sink.delivered.count == fixture.readings + fixture.alerts)
        #expect(worker.metrics.failures == ["unavailable": 1, "timeout": 1])
    }

    @Test func aReceiversRetryAfterIsHonoured() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let sink = InMemorySink()
        sink.fail(with: [DeliveryError(.unavailable, "429", retryAfterMs: 7_000)])
        #expect(Self.worker(fixture, sink).round(vault) == .failed(retryInMs: 7_000))
    }

    @Test func deadLettersAreRecordedWithTheReasonAndDoNotBlockTheRest() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 20)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let sink = InMemorySink()
        sink.refuse([3, 4])
        let worker = Self.worker(fixture, sink, batch: 10)
        NDJSONDeliveryTests.drain(worker, vault)
        let cursor = try vault.sinkCursor("memory")
        #expect(cursor.lastID == (try vault.newestRecordID()) && cursor.deadLetters == 2)
        #expect(cursor.delivered == Int64(fixture.readings + fixture.alerts - 2))
        #expect(try vault.deadLetters("memory").map(\.recordID) == [3, 4])
        #expect(try vault.deadLetters("memory").allSatisfy { $0.reason == "refused by the in-memory sink" })
        #expect(!sink.delivered.contains(3) && sink.delivered.contains(5))
    }

    @Test func aDeliveryIsBoundedInBytesButTakesAtLeastOneRecord() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let sink = InMemorySink()
        let worker = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: 500,
                                                         backoff: ReconnectBackoffDefaults.test, batchBytes: 1),
                                    sink: sink)
        #expect(worker.round(vault) == .progressed)
        #expect(sink.delivered.count == 1 && sink.calls == 1, "one record per delivery under a 1-byte bound")
        let everything = NDJSONDeliveryTests.drain(worker, vault, limit: 100_000)
        #expect(sink.delivered.count == fixture.readings + fixture.alerts && everything + 1 == sink.calls)

        let whole = InMemorySink(name: "whole")
        let unbounded = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: 500,
                                                            backoff: ReconnectBackoffDefaults.test, batchBytes: 1 << 30),
                                       sink: whole)
        #expect(unbounded.round(vault) == .progressed)
        #expect(whole.delivered.count == min(500, fixture.readings + fixture.alerts))
    }

    @Test func aSinkTakingPartsGetsThemOneByOneUpToTheBatchAndIsConfirmedAsOne() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 60)
        #expect(fixture.readings + fixture.alerts > 100)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let sink = InMemorySink(partRecords: 7)
        sink.refuse([10])
        let worker = Self.worker(fixture, sink, batch: 50)
        #expect(worker.round(vault) == .progressed)
        #expect(sink.parts == [7, 7, 7, 7, 7, 7, 7, 1], "parts of 7 up to the batch of 50")
        #expect(sink.delivered == Array(1...50).filter { $0 != 10 })
        let cursor = try vault.sinkCursor("memory")
        #expect(cursor.lastID == 50 && cursor.delivered == 49 && cursor.deadLetters == 1)

        // A part that fails fails the delivery: the cursor stays, and the next attempt sends
        // the whole delivery again from its first record.
        sink.fail(atPart: 2)
        guard case .failed = worker.round(vault) else { Issue.record("the delivery did not fail"); return }
        #expect(try vault.sinkCursor("memory").lastID == 50)
        #expect(sink.delivered.count == 49 + 14, "the two parts before the failure were confirmed")
        #expect(worker.round(vault) == .progressed)
        #expect(try vault.sinkCursor("memory").lastID == 100)
        #expect(Array(sink.delivered.suffix(50)) == Array(51...100))
        NDJSONDeliveryTests.drain(worker, vault)
        #expect(try vault.sinkCursor("memory").lastID == (try vault.newestRecordID()))
        #expect(Set(sink.delivered).count == fixture.readings + fixture.alerts - 1)
    }

    @Test func aSinkTakingPartsIsNotGivenMoreThanItsBatchInBytesPerPart() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let sink = InMemorySink(partRecords: 20)
        let worker = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: 30,
                                                         backoff: ReconnectBackoffDefaults.test, batchBytes: 1),
                                    sink: sink)
        #expect(worker.round(vault) == .progressed)
        #expect(sink.parts == Array(repeating: 1, count: 30), "one record per part under a 1-byte bound, 30 in all")
    }

    @Test func aSinkThatWaitsForMoreIsNotCalled() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let sink = InMemorySink()
        sink.waitFor(1_000_000)
        #expect(Self.worker(fixture, sink, batch: 1_000_000).round(vault) == .idle && sink.calls == 0)
    }

    @Test func theWorkerThreadDeliversTheBacklogAndStopsCleanly() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let sink = InMemorySink()
        let worker = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, pollMs: 20),
                                    sink: sink)
        worker.start()
        defer { worker.stop() }
        let expected = fixture.readings + fixture.alerts
        let deadline = Date().addingTimeInterval(20)
        while sink.delivered.count < expected && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(sink.delivered.count == expected)
    }
}

enum ReconnectBackoffDefaults {
    /// 100 ms doubling to 800 ms, ±20 %.
    static let test = MQTT.ReconnectBackoff(initialMs: 100, maxMs: 800)
}
