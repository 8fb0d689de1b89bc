import Detection
import Fleet
import FoundationEssentials
public import Logging
import MQTT
public import Schemas
import Telemetry
import Threading
public import Vault

/// The agent's pipeline: MQTT → decode → (detect) → vault → acknowledge.
///
/// Runs on the calling thread until `stop()` returns true or the configured duration ends;
/// batches are stored by a `StoreWorker` thread while the next ones are received. A batch of
/// messages is committed to the vault in one transaction, and acknowledgements are written
/// only when every received message is committed and synced to disk (see `MQTTClient`;
/// docs/DECISIONS.md 17 and 18). If the vault cannot store a
/// batch, the connection is dropped without acknowledging, and the broker redelivers once the
/// storage backoff has passed (IngestService+StorageOutage).
public final class IngestService {
    public let configuration: IngestConfiguration
    public internal(set) var metrics = IngestMetrics()
    let store: any PipelineStore
    var decoder: MessageDecoder
    var detector: DetectionEngine?
    /// Whether detection runs (a fleet document may switch it off and on; the engine keeps its state).
    var detecting: Bool
    var logger: Logger
    private var backoff: ReconnectBackoff
    var random = SystemRandomNumberGenerator()
    /// Backoff between attempts to store while the vault fails (IngestService+StorageOutage).
    var storageBackoff: ReconnectBackoff
    /// Wait before the next connection, after a batch could not be stored.
    var storageRetryDelayMs = 0
    /// The vault's current storage outage, if any.
    var storageOutage: StorageOutage?
    /// An outage that has ended and is not yet recorded as an event.
    var endedStorageOutage: StorageOutage?
    /// The clocks (`configuration.clock`): periodic work runs on monotonic time, so a step of the
    /// wall clock (NTP's first sync on a gateway without an RTC) neither stalls nor bursts it.
    let clock: any PipelineClock
    /// Detector state is saved every minute.
    private var stateSave: PeriodicWork
    /// The storage cap and erasures by other processes are checked every 5 s.
    private var storageCheck = PeriodicWork(everyMs: 5000)
    /// The metrics are published every `metricsIntervalSeconds` (IngestService+Metrics).
    var metricsPublish: PeriodicWork
    /// When this service started running (ms since the epoch).
    var startedAt: Int64 = 0
    var overStorageCap = false
    private var publishedCheckpoint: String?
    /// The newest checkpoint is published at most once a second.
    private var checkpointPublish = PeriodicWork(everyMs: 1000)
    /// Batches due by age are closed once a second.
    private var sealingTickWork = PeriodicWork(everyMs: 1000)
    /// The catalogue loaded from `Firmware-Schemas/`; fleet-delivered schemas are added to it.
    let baseCatalog: SchemaCatalog
    /// What a fleet document changed, applied on top of `configuration`.
    var runtime: FleetRuntime
    /// Applied fleet documents, rotated policy and effective sections (persisted in the vault).
    var fleetState = FleetState()
    /// SHA-256 of every envelope judged by this process (retained copies come back on every
    /// reconnect; each is judged once).
    var judgedHashes: Set<[UInt8]> = []
    /// A report to publish once connected (after a rollback the old broker must be reached first).
    var pendingReport: ConfigReport?
    /// Alerts raised by batches that are stored but not yet acknowledged; published with the
    /// acknowledgement.
    private var pendingAlerts: [Alert] = []
    /// Remembers the message being decoded, so that one that kills the agent is quarantined
    /// as `poison` at the second restart instead of crash-looping it (`nil`: the guard file
    /// cannot be used; logged at start).
    let poisonGuard: PoisonGuard?

    /// Detector state: one row per patient under that patient's data key (`patient_state`),
    /// the unpaired devices under the gateway key. `legacyDetectionStateKey` is the single blob
    /// of every patient that earlier versions saved under the gateway key; it is read once and
    /// deleted by the next save.
    static let detectionStateName = "detection"
    static let unpairedDetectionStateKey = "detection_unpaired"
    static let legacyDetectionStateKey = "detection_state"

    /// A pipeline over `vault`.
    public convenience init(configuration: IngestConfiguration, vault: Vault, catalog: SchemaCatalog,
                            logger: Logger = Logger(label: "vitalgate.ingest")) {
        self.init(configuration: configuration, store: vault, catalog: catalog, logger: logger)
    }

    /// A pipeline over any store (tests use `InMemoryStore`).
    public init(configuration: IngestConfiguration, store: any PipelineStore, catalog: SchemaCatalog,
                logger: Logger = Logger(label: "vitalgate.ingest")) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        clock = configuration.clock
        stateSave = PeriodicWork(everyMs: 60_000, lastRun: configuration.clock.monotonicMs())
        metricsPublish = PeriodicWork(everyMs: Int64(configuration.metricsIntervalSeconds * 1000))
        backoff = configuration.backoff
        storageBackoff = configuration.backoff
        baseCatalog = catalog
        runtime = FleetRuntime(base: configuration, baseCatalog: catalog)
        detecting = configuration.detection != nil
        if configuration.fleet != nil {
            do {
                if let saved = try store.fleetState() {
                    let state = try FleetState(encoded: saved)
                    runtime = try FleetRuntime(base: configuration, baseCatalog: catalog, sections: state.sections)
                    fleetState = state
                    detecting = runtime.detection != nil
                }
            } catch {
                logger.error("the persisted fleet configuration cannot be used; running the local configuration",
                             metadata: ["error": "\(error)"])
            }
        }
        do {
            poisonGuard = try PoisonGuard(path: store.path + ".decoding")
        } catch {
            poisonGuard = nil
            logger.error("running without the poison-message guard", metadata: ["error": "\(error)"])
        }
        decoder = MessageDecoder(catalog: runtime.catalog, limits: configuration.limits)
        if let ledger = runtime.ledger { configuration.ledgerControl?.apply(ledger) }
        for state in store.deviceStates() {
            decoder.restore(state.device, DeviceState(model: state.model, firmware: state.firmware, serial: state.serial,
                                                      patient: state.patient, bed: state.bed))
        }
        if let detection = runtime.detection ?? configuration.detection {
            detector = Self.restoredEngine(detection, from: store, logger: logger)
        }
    }

    /// Runs until `stop()` returns true (checked at least every 100 ms) or the duration elapses.
    public func run(stop: () -> Bool) throws {
        var client = try configuration.transport(clientOptions(broker: runtime.broker))
        reportLastStop()
        let checkpointer = store.startWALCheckpointer()
        defer { checkpointer?.stop() }
        if var sealing = configuration.sealing {
            if let policy = runtime.sealingPolicy { sealing.policy = policy }
            // Readings a crash left in an open batch are sealed before anything new arrives.
            let recovered = try store.enableSealing(sealing, now: clock.wallMs())
            if recovered > 0 { logger.notice("sealed batches left open by the last run", metadata: ["batches": "\(recovered)"]) }
        }
        let deadline = configuration.durationSeconds.map { clock.monotonicMs() + Int64($0 * 1000) }
        func stopping() -> Bool { stop() || deadline.map { clock.monotonicMs() >= $0 } ?? false }
        var everConnected = false
        startedAt = clock.wallMs()
        let storer = StoreWorker(store: store)
        defer { storer.stop() }
        while !stopping() {
            if !client.isConnected {
                // Whatever is still queued finishes first; a new connection starts clean.
                settle(storer.waitIdle(), client)
                storer.clearFailure()
                pendingAlerts.removeAll()
                if storageRetryDelayMs > 0 {
                    sleep(ms: storageRetryDelayMs, unless: stopping)
                    storageRetryDelayMs = 0
                    if stopping() { break }
                }
                guard connect(client, first: !everConnected, stopping: stopping) else { continue }
                everConnected = true
                storageOutage?.retried = true
            }
            let documents = pumpOnce(client, storer)
            publishMetricsIfDue(client)
            if !documents.isEmpty {
                quiesce(storer, client)
                for document in documents { handleConfigDocument(document, client: &client) }
            }
            // The vault is this thread's only while no batch is being stored: periodic work
            // runs between batches, or waits for them once it is overdue.
            let now = clock.monotonicMs()
            let due = stateSave.isDue(at: now) || storageCheck.isDue(at: now)
            let tickDue = configuration.sealing != nil && sealingTickWork.isDue(at: now)
            if storer.pending == 0 || due || tickDue {
                quiesce(storer, client)
                if configuration.sealing != nil {
                    tickSealing(client)
                    sealingTickWork.ran(at: clock.monotonicMs())
                }
                if stateSave.isDue(at: clock.monotonicMs()) { saveDetectionState() }
                recordEndedStorageOutage()
                if storageCheck.isDue(at: clock.monotonicMs()) {
                    checkStorageCap(client)
                    forgetErasedPatients()
                }
            }
        }
        quiesce(storer, client)
        shutDown(client)
    }

    /// MQTT options for `broker`: the configured ones with the will, and TLS for `mqtts://`.
    func clientOptions(broker: BrokerAddress) -> MQTTOptions {
        var options = configuration.mqtt
        options.will = configuration.will
        if broker != options.broker {
            options.broker = broker
            if broker.usesTLS, options.tls == nil { options.tls = MQTTOptions.TLS(caPath: "/etc/ssl/certs") }
        }
        return options
    }

    /// Subscribes to telemetry and configuration topics and announces `online` (retained).
    func subscribeAndAnnounce(_ client: any MessageTransport) throws(MQTTError) {
        for topic in runtime.topics + configuration.configTopics { try client.subscribe(topic, qos: 1) }
        try client.publish(MQTTOptions.Message(topic: configuration.gatewayTopics.status, payload: Array("online".utf8),
                                               qos: 1, retain: true))
        if let report = pendingReport {
            try client.publish(reportMessage(report))
            pendingReport = nil
        }
        try publishStorageAlert(client)
        try client.flush()
    }

    private func connect(_ client: any MessageTransport, first: Bool, stopping: () -> Bool) -> Bool {
        do {
            if first { try client.connect() } else { try client.reconnect() }
            try subscribeAndAnnounce(client)
            backoff.reset()
            metrics.connects += 1
            logger.info("connected", metadata: ["broker": "\(client.options.broker)",
                                                "session_present": "\(client.sessionPresent)"])
            return true
        } catch {
            metrics.connectFailures += 1
            let delay = backoff.nextDelayMs(random: Double.random(in: 0..<1, using: &random))
            logger.warning("connect failed; retrying", metadata: ["error": "\(error)", "delay_ms": "\(delay)"])
            sleep(ms: delay, unless: stopping)
            return false
        }
    }

    /// One round: hand the finished batches' outcomes over, acknowledge once everything
    /// received is stored, then receive and decode the next batch and queue it for storing.
    /// Returns the configuration documents received (acknowledged like any message; retained
    /// copies come back if the agent stops first).
    ///
    /// Acknowledgements are written only when no received message is waiting for its commit
    /// and sync (`MQTTClient` writes every queued PUBACK at once). Under a backlog that is when
    /// the broker's window (`max_inflight`) is used up, and the batches received until then
    /// are synced together; under live traffic, after each batch.
    private func pumpOnce(_ client: any MessageTransport, _ storer: StoreWorker) -> [InboundMessage] {
        settle(storer.takeOutcomes(), client)
        guard client.isConnected else { return [] }
        let idle = storer.pending == 0
        if idle {
            acknowledgeStored(storer, client)
        } else if client.unacknowledgedCount >= Int(client.options.maxInflight) {
            // The broker should stop at our receive maximum, but mosquitto 2.0.11 stops
            // honouring it after the first acknowledgements of a resumed session and sends a
            // whole backlog at once: without this, nothing would be acknowledged until it is
            // drained, and a crash meanwhile would bring all of it back.
            quiesce(storer, client)
            return []
        }
        var batch: [InboundMessage]
        do {
            batch = try client.receive(timeoutMs: idle ? 100 : 0, maxMessages: runtime.maxBatch)
        } catch {
            metrics.connectionLosses += 1
            logger.warning("connection lost", metadata: ["error": "\(error)"])
            return []
        }
        guard !batch.isEmpty else {
            if idle { try? client.flush() } else { quiesce(storer, client) }  // nothing more: sync and acknowledge
            return []
        }
        var documents: [InboundMessage] = []
        if configuration.fleet != nil {
            let configTopics = configuration.configTopics
            batch.removeAll { message in
                guard configTopics.contains(message.topic) else { return false }
                documents.append(message)
                return true
            }
        }
        let now = clock.wallMs()
        var incoming: [IncomingMessage] = []
        incoming.reserveCapacity(batch.count)
        var alerts: [Alert] = []
        for message in batch {
            let outcome: DecodeOutcome
            let fingerprint = PoisonGuard.Fingerprint(topic: message.topic, payload: message.payload)
            if let poisonGuard, poisonGuard.isPoison(fingerprint) {
                outcome = quarantinePoison(message)
            } else {
                poisonGuard?.willDecode(fingerprint, topic: message.topic)
                outcome = decoder.decode(topic: message.topic, payload: message.payload, receivedAt: now)
                Self.testFatalHook(message.payload)
                if detecting, detector != nil { alerts += detector!.process(outcome, at: now) }
                poisonGuard?.didDecode()
            }
            incoming.append(IncomingMessage(topic: message.topic, payload: message.payload, receivedAt: now,
                                            outcome: outcome))
        }
        guard !incoming.isEmpty else { return documents }
        let records = alerts.map {
            AlertRecord(at: $0.t, device: $0.device?.rawValue, patient: $0.patient, category: $0.category.rawValue,
                        kind: $0.kind, score: $0.score, body: Array($0.jsonLine.utf8))
        }
        // Double buffering: this batch was decoded while the previous one was stored; it is
        // handed over once that one is done, so at most two decoded batches are held.
        settle(storer.waitForRoom(), client)
        guard client.isConnected else { return [] }  // dropped: the broker redelivers this batch too
        storer.submit(incoming, alerts: records)
        pendingAlerts += alerts
        return documents
    }

    /// Counts stored batches; on a failed one, drops the connection without acknowledging, so
    /// the broker redelivers it and everything received after it (after a backoff).
    private func settle(_ outcomes: [StoreWorker.Outcome], _ client: any MessageTransport) {
        for outcome in outcomes {
            switch outcome.result {
            case .success(let result):
                record(result, outcome)
                storageSucceeded(result)
            case .failure(let error):
                guard !outcome.skipped else { continue }  // queued behind a failed batch, not attempted
                storageFailed(error, messages: outcome.messages, client)
                pendingAlerts.removeAll()
            }
        }
    }

    /// Waits for every queued batch, then acknowledges. The vault is this thread's afterwards.
    private func quiesce(_ storer: StoreWorker, _ client: any MessageTransport) {
        settle(storer.waitIdle(), client)
        acknowledgeStored(storer, client)
    }

    /// Acknowledges everything received (all of it is stored: call only with nothing pending)
    /// and publishes the alerts of those batches.
    private func acknowledgeStored(_ storer: StoreWorker, _ client: any MessageTransport) {
        settle(storer.takeOutcomes(), client)  // a batch that just finished may have failed
        guard client.isConnected, storer.pending == 0 else { return }
        do {
            try client.acknowledge()
            for alert in pendingAlerts {
                try client.publish(MQTTOptions.Message(topic: configuration.gatewayTopics.alerts, payload: Array(alert.jsonLine.utf8),
                                                       qos: 1, retain: false))
            }
            pendingAlerts.removeAll()
            try client.flush()
        } catch {
            metrics.connectionLosses += 1
            logger.warning("connection lost after storing a batch", metadata: ["error": "\(error)"])
        }
    }

    func markStorageChecked() { storageCheck.ran(at: clock.monotonicMs()) }

    /// Closes batches that are due and publishes the newest checkpoint (retained).
    private func tickSealing(_ client: any MessageTransport) {
        do { try store.sealingTick(now: clock.wallMs()) } catch {
            metrics.sealingFailures += 1
            logger.error("sealing failed; the readings stay stored and will be sealed later",
                         metadata: ["error": "\(error)"])
        }
        publishCheckpointIfNew(client)
    }

    /// Publishes the newest checkpoint at most once a second (each one replaces the retained
    /// previous one, so under load a note per batch would only cost the broker), and always at
    /// a clean stop (`force`).
    private func publishCheckpointIfNew(_ client: any MessageTransport, force: Bool = false) {
        guard client.isConnected, let note = store.latestCheckpoint, note != publishedCheckpoint,
              force || checkpointPublish.isDue(at: clock.monotonicMs()) else { return }
        do {
            try client.publish(MQTTOptions.Message(topic: configuration.gatewayTopics.checkpoint, payload: Array(note.utf8),
                                                   qos: 1, retain: true))
            try client.flush()
            publishedCheckpoint = note
            checkpointPublish.ran(at: clock.monotonicMs())
        } catch {
            logger.warning("cannot publish the checkpoint", metadata: ["error": "\(error)"])
        }
    }

    private func record(_ result: StoreResult, _ outcome: StoreWorker.Outcome) {
        metrics.batches += 1
        metrics.messages += outcome.messages
        metrics.stored += result.stored
        metrics.duplicates += result.duplicates
        metrics.conflicts += result.conflicts
        metrics.unpaired += result.unpaired
        metrics.quarantined += result.quarantined
        metrics.events += result.events
        metrics.alerts += result.alerts
        for reason in outcome.quarantineReasons { metrics.quarantinedByReason[reason, default: 0] += 1 }
    }

    /// Drops the keys and detector state of patients erased by another process (the
    /// `erase-patient` command while the agent runs).
    private func forgetErasedPatients() {
        do {
            let erased = try store.refreshErasures()
            guard !erased.isEmpty else { return }
            for patient in erased { detector?.forgetPatient(patient) }
            logger.notice("patients erased while running: their keys and detector state are dropped",
                          metadata: ["patients": "\(erased.count)"])
        } catch {
            logger.warning("cannot check for erased patients", metadata: ["error": "\(error)"])
        }
    }

    /// Saves the detector state a patient at a time (memory stays at one patient's blob, ~43 KB,
    /// where one blob of every patient cost several MB of transient copies).
    private func saveDetectionState() {
        stateSave.ran(at: clock.monotonicMs())
        guard let detector else { return }
        do {
            try store.setPatientStates(Self.detectionStateName, patients: detector.patientIDs, at: clock.wallMs()) {
                detector.snapshot(patient: $0)
            }
            try store.setEncryptedState(Self.unpairedDetectionStateKey, detector.snapshotUnpaired())
            try store.removeEncryptedState(Self.legacyDetectionStateKey)
        } catch {
            logger.warning("cannot save detection state", metadata: ["error": "\(error)"])
        }
    }

    /// A detection engine with the saved state: a legacy whole-engine blob if one is left, then
    /// the unpaired devices and every patient's row (newer, so they win).
    static func restoredEngine(_ config: DetectionConfig, from store: any PipelineStore, logger: Logger) -> DetectionEngine {
        var engine = DetectionEngine(config: config)
        do {
            if let legacy = try store.encryptedState(legacyDetectionStateKey) { try engine.restore(legacy) }
            if let unpaired = try store.encryptedState(unpairedDetectionStateKey) { try engine.restoreUnpaired(from: unpaired) }
            var failed = 0
            try store.forEachPatientState(detectionStateName, onError: { _, _ in failed += 1 }) { blob in
                do { try engine.restorePatient(from: blob) } catch { failed += 1 }
            }
            if failed > 0 {
                logger.warning("some patients' detection state was not restored; they start cold",
                               metadata: ["patients": "\(failed)"])
            }
        } catch {
            logger.warning("detection state not restored; starting cold", metadata: ["error": "\(error)"])
            return DetectionEngine(config: config)
        }
        return engine
    }

    /// Clean stop: nothing unacknowledged is pending (each round stores then acknowledges),
    /// so publish `offline`, disconnect, and persist detector state.
    private func shutDown(_ client: any MessageTransport) {
        poisonGuard?.stoppedCleanly()
        saveDetectionState()
        recordEndedStorageOutage()
        if configuration.sealing != nil {
            // A clean stop leaves no reading unsealed.
            do { try store.sealAll(now: clock.wallMs()) } catch {
                metrics.sealingFailures += 1
                logger.error("cannot seal the open batch at shutdown; it is sealed at the next start",
                             metadata: ["error": "\(error)"])
            }
            publishCheckpointIfNew(client, force: true)
        }
        publishMetricsIfDue(client, force: true)
        if client.isConnected {
            _ = try? client.publish(MQTTOptions.Message(topic: configuration.gatewayTopics.status,
                                                        payload: Array("offline".utf8), qos: 1, retain: true))
            try? client.flush()
            client.disconnect()
        }
        logger.info("stopped", metadata: ["messages": "\(metrics.messages)", "stored": "\(metrics.stored)"])
    }
}
