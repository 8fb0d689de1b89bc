@testable import Ingest
import MQTT
import Telemetry
import Testing

/// The storage-health rules on their own: an outage begins with the first failed batch, retries
/// back off, it ends only with readings stored on a connection made after it began, its alert
/// is due once, and the cap alerts once per crossing.
@Suite struct StorageHealthTests {
    static func stored(_ readings: Int) -> StoreResult {
        var result = StoreResult()
        result.stored = readings
        return result
    }

    @Test func anOutageBacksOffAndEndsOnlyWithReadingsStoredAfterARetry() {
        var health = StorageHealth(backoff: ReconnectBackoff(initialMs: 100, maxMs: 400, jitter: 0))
        let began = health.batchFailed(cause: "disk_full", at: 1_000, random: 0.5)
        let (first, second) = (health.takeRetryDelay(), health.takeRetryDelay())
        #expect(began && first == 100 && second == 0)
        let continued = [health.batchFailed(cause: "disk_full", at: 1_100, random: 0.5),
                         health.batchFailed(cause: "disk_full", at: 1_300, random: 0.5)]
        #expect(continued == [false, false])
        #expect(health.retryDelayMs == 400 && health.outage?.failedBatches == 3 && health.outage?.since == 1_000)
        // A batch committed before the failure may report success after it: not an end.
        let early = health.batchStored(Self.stored(5))
        #expect(early == nil && health.outage != nil)
        health.connected()
        // Retained info/pair alone prove nothing about the readings table.
        let controlsOnly = health.batchStored(StoreResult())
        #expect(controlsOnly == nil)
        let ended = health.batchStored(Self.stored(5))
        #expect(ended?.failedBatches == 3 && ended?.cause == "disk_full")
        #expect(health.outage == nil && health.ended == ended && health.retryDelayMs == 0)
        health.endRecorded()
        #expect(health.ended == nil)
        // The backoff starts over for the next outage.
        let next = health.batchFailed(cause: "storage_error", at: 9_000, random: 0.5)
        #expect(next && health.retryDelayMs == 100)
    }

    @Test func anOutagesAlertIsDueOnce() {
        var health = StorageHealth(backoff: ReconnectBackoff())
        let none = health.alertDue()
        _ = health.batchFailed(cause: "disk_full", at: 1, random: 0)
        let due = health.alertDue()
        _ = health.batchFailed(cause: "disk_full", at: 2, random: 0)
        let again = health.alertDue()
        #expect(none == nil && due?.cause == "disk_full" && again == nil)
    }

    @Test func theCapAlertsOncePerCrossing() {
        var health = StorageHealth(backoff: ReconnectBackoff())
        let under = health.capChecked(size: 900, cap: 1_000)
        let crossed = health.capChecked(size: 1_001, cap: 1_000)
        let still = health.capChecked(size: 5_000, cap: 1_000)
        #expect(!under && crossed && !still && health.overCap)
        let below = health.capChecked(size: 800, cap: 1_000)
        #expect(!below && !health.overCap)
        let crossedAgain = health.capChecked(size: 1_200, cap: 1_000)
        let noCap = health.capChecked(size: 1_200, cap: 0)
        #expect(crossedAgain && !noCap, "once per crossing; no cap: never over")
    }
}
