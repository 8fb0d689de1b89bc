import FoundationEssentials
import MQTT
import Telemetry
import Vault

/// What the agent does while the vault cannot store (a full disk, a read-only or failing
/// file): nothing received is acknowledged, the broker keeps the messages, and the agent
/// retries with backoff instead of taking every redelivery straight back into the same failure.
/// One alert per outage goes out on the alerts topic; the outage is recorded as a gateway
/// event (`vault_write_failed`) once the vault stores again.
extension IngestService {
    /// A batch could not be stored: drop the connection unacknowledged, and wait before the
    /// broker is asked to redeliver.
    func storageFailed(_ error: VaultError, messages: Int, _ client: any MessageTransport) {
        metrics.storeFailures += 1
        let began = storage.batchFailed(cause: error.storageCause, at: clock.wallMs(),
                                        random: Double.random(in: 0..<1, using: &random))
        if began {
            logger.error("cannot store a batch; dropping the connection so the broker redelivers it",
                         metadata: ["error": "\(error)", "messages": "\(messages)", "retry_in_ms": "\(storage.retryDelayMs)"])
        } else {
            logger.warning("still cannot store; the broker keeps the messages",
                           metadata: ["error": "\(error)", "failed_batches": "\(storage.outage?.failedBatches ?? 0)",
                                      "retry_in_ms": "\(storage.retryDelayMs)"])
        }
        // Own publications (status, this outage's alert) are confirmed first where the broker
        // answers within a second, or libmosquitto would send them again at every retry.
        if client.isConnected { client.abortConnection(awaitingConfirmationsMs: 1000) }
    }

    /// A batch was stored: logs the end of an outage it ends.
    func storageSucceeded(_ result: StoreResult) {
        guard let outage = storage.batchStored(result) else { return }
        logger.notice("the vault stores again", metadata: [
            "failed_batches": "\(outage.failedBatches)", "cause": "\(outage.cause)",
            "outage_ms": "\(clock.wallMs() - outage.since)"])
    }

    /// Publishes the current outage's alert if it has not gone out yet (called once connected).
    func publishStorageAlert(_ client: any MessageTransport) throws(MQTTError) {
        guard let outage = storage.alertDue() else { return }
        let body = JSONWriter.canonicalBytes(.object([
            ("t", .number(Double(outage.since))), ("gateway", .string(configuration.gatewayID)),
            ("category", .string("fault")), ("kind", .string("vault_write_failed")), ("score", .number(1)),
            ("cause", .string(outage.cause)),
        ]))
        try publisher.publishGatewayAlert(body, client)
    }

    /// Records an outage that has ended as a gateway event (the vault is writable again, and
    /// this thread's: call between batches).
    func recordEndedStorageOutage() {
        guard let outage = storage.ended else { return }
        let now = clock.wallMs()
        let detail = JSONWriter.canonicalBytes(.object([
            ("since", .number(Double(outage.since))), ("until", .number(Double(now))),
            ("failed_batches", .number(Double(outage.failedBatches))), ("cause", .string(outage.cause)),
        ]))
        do {
            try store.recordGatewayEvent(type: "vault_write_failed", detail: detail, at: now)
            storage.endRecorded()
        } catch {
            logger.warning("cannot record the storage outage yet", metadata: ["error": "\(error)"])
        }
    }

    /// Waits out a storage outage's retry delay, running the retention step when it is due
    /// (once a second): under `block` pruning and compaction are what make room, and a wait of
    /// up to half a minute without them kept the soak's agent blocked for minutes (BENCHMARKS.md
    /// "Soak"). The store is this thread's: the caller waited for the store worker to be idle.
    func waitOutStorageRetry(ms: Int, _ transport: any MessageTransport, unless stopping: () -> Bool) {
        var left = ms
        while left > 0 && !stopping() {
            let slice = min(left, 1000)
            sleep(ms: slice, unless: stopping)
            left -= slice
            if housekeeping.isDue(.retention, at: clock.monotonicMs()) {
                housekeeping.ran(.retention, at: clock.monotonicMs())
                runRetention(transport)
            }
        }
    }

    /// Sleeps `ms` in steps of at most 100 ms, returning early once `stopping()` is true.
    func sleep(ms: Int, unless stopping: () -> Bool) {
        var slept = 0
        while slept < ms && !stopping() {
            configuration.board?.beat(clock.monotonicMs())  // waiting on purpose is not a stall
            clock.sleep(ms: min(100, ms - slept))
            slept += 100
        }
    }
}
