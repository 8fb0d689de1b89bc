import MQTT
import Telemetry

/// The housekeeping stage's work, between batches while the store is this thread's.
extension IngestService {
    /// Closes the batches that are due and publishes the newest checkpoint; saves the detectors
    /// every minute; records an ended storage outage; checks the storage cap and erasures by
    /// other processes every 5 s.
    func runHousekeeping(_ transport: any MessageTransport) {
        if seal.isEnabled {
            if !seal.tick(store, now: clock.wallMs()) { metrics.sealingFailures += 1 }
            let note = store.latestCheckpoint
            publisher.publishCheckpoint(note, transport)
            checkpointSize = note.flatMap(Self.treeSize)
            housekeeping.ran(.sealingTick, at: clock.monotonicMs())
        }
        if housekeeping.isDue(.stateSave, at: clock.monotonicMs()) {
            housekeeping.ran(.stateSave, at: clock.monotonicMs())
            detect.saveState(to: store, at: clock.wallMs())
        }
        recordEndedStorageOutage()
        if housekeeping.isDue(.storageCheck, at: clock.monotonicMs()) {
            checkStorageCap(transport)
            forgetErasedPatients()
        }
        if housekeeping.isDue(.retention, at: clock.monotonicMs()) {
            housekeeping.ran(.retention, at: clock.monotonicMs())
            runRetention(transport)
        }
    }

    /// Drops the keys and detector state of patients erased by another process (the
    /// `erase-patient` command while the agent runs).
    private func forgetErasedPatients() {
        do {
            let erased = try store.refreshErasures()
            guard !erased.isEmpty else { return }
            for patient in erased {
                detect.forgetPatient(patient)
                configuration.consent?.book.remove(patient: patient)
            }
            logger.notice("patients erased while running: their keys and detector state are dropped",
                          metadata: ["patients": "\(erased.count)"])
        } catch {
            logger.warning("cannot check for erased patients", metadata: ["error": "\(error)"])
        }
    }

    /// Compares the store's size with the storage cap and raises one storage alert per crossing
    /// (what is pruned or evicted at the budget is `runRetention`'s).
    func checkStorageCap(_ transport: any MessageTransport) {
        housekeeping.ran(.storageCheck, at: clock.monotonicMs())
        let cap = runtime.storageMaxBytes
        let size = cap > 0 ? store.usedBytes : 0  // what the budget counts: pages in use and the WAL
        guard storage.capChecked(size: size, cap: cap) else { return }
        metrics.storageCapExceeded += 1
        let now = clock.wallMs()
        logger.error("the vault is over its storage cap", metadata: ["bytes": "\(size)", "cap": "\(cap)"])
        let body = JSONWriter.canonicalBytes(.object([
            ("t", .number(Double(now))), ("gateway", .string(configuration.gatewayID)), ("category", .string("fault")),
            ("kind", .string("storage_cap_exceeded")), ("score", .number(1)),
            ("bytes", .number(Double(size))), ("cap", .number(Double(cap))),
        ]))
        do {
            try store.recordGatewayEvent(type: "storage_cap_exceeded", detail: body, at: now)
            try publisher.publishGatewayAlert(body, transport)
            try transport.flush()
        } catch {
            logger.warning("cannot record or publish the storage alert", metadata: ["error": "\(error)"])
        }
    }
}
