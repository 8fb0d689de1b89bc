import Detection
import Fleet
import FoundationEssentials
public import Logging
import MQTT
public import Schemas
import Telemetry
import Threading
public import Vault

/// The agent's pipeline. A message goes through these stages, each owned by one type:
///
/// | stage | owner | thread |
/// |---|---|---|
/// | receive, acknowledge | `MessageTransport` (libmosquitto) | ingest |
/// | decode | `DecodeStage` (schemas, device state, poison guard) | ingest |
/// | detect | `DetectStage` (detectors and their saved state) | ingest |
/// | store | `StoreWorker` over a `PipelineStore` (the vault) | store |
/// | seal | `SealStage`, and the vault's store transaction for full batches | ingest, store |
/// | publish | `GatewayPublisher` (the gateway's own topics) | ingest |
/// | housekeeping | `Housekeeping` (the timetable), fleet documents, storage checks | ingest |
///
/// Runs on the calling thread until `stop()` returns true or the configured duration ends.
/// A batch is committed in one transaction on the store thread while the next is received and
/// decoded; acknowledgements are written only when every received message is committed and
/// synced (docs/DECISIONS.md 17 and 18). If the store cannot commit a batch, the connection is
/// dropped unacknowledged and the broker redelivers after a backoff (IngestService+StorageOutage).
public final class IngestService {
    public let configuration: IngestConfiguration
    public internal(set) var metrics = IngestMetrics()
    let store: any PipelineStore
    var logger: Logger
    /// Monotonic time for periodic work and deadlines, wall time for stamps (`configuration.clock`).
    let clock: any PipelineClock
    var decode: DecodeStage
    var detect: DetectStage
    let seal: SealStage
    var publisher: GatewayPublisher
    var housekeeping: Housekeeping
    private var backoff: ReconnectBackoff
    var random = SystemRandomNumberGenerator()
    /// Outages of the store with their backoff, and the storage cap (IngestService+StorageOutage).
    var storage: StorageHealth
    /// When this service started running (ms since the epoch).
    var startedAt: Int64 = 0
    /// The catalogue loaded from `Firmware-Schemas/`; fleet-delivered schemas are added to it.
    let baseCatalog: SchemaCatalog
    /// What a fleet document changed, applied on top of `configuration`.
    var runtime: FleetRuntime
    /// Applied fleet documents, rotated policy and effective sections (persisted in the store).
    var fleetState = FleetState()
    /// When the oldest message received and not yet acknowledged arrived (monotonic ms).
    var oldestUnacknowledgedMs: Int64?
    /// The latest checkpoint's tree size, as last published.
    var checkpointSize: UInt64?
    /// Whether the vault is evicting at its budget now (one alarm per episode).
    var evicting = false
    /// The vault's space after the last stored batch or retention step (IngestService+Budget).
    let spaceGauge = SpaceGauge()
    /// Since when the next batch has waited for the WAL's checkpoint (monotonic ms).
    var checkpointWaitSince: Int64?
    /// When the figures go to `configuration.board` next (once a second).
    var boardPost = PeriodicWork(everyMs: 1000)
    /// The beds for the status page (`nil` unless there is a board to post them on).
    var ward: WardView?
    /// SHA-256 of every envelope judged by this process (retained copies come back on every
    /// reconnect; each is judged once).
    var judgedHashes: Set<[UInt8]> = []
    /// The topics whose messages are documents, not telemetry: fleet configuration and consent.
    let documentTopics: Set<String>

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
        backoff = configuration.backoff
        storage = StorageHealth(backoff: configuration.backoff)
        baseCatalog = catalog
        runtime = FleetRuntime(base: configuration, baseCatalog: catalog)
        documentTopics = Set(configuration.configTopics + configuration.consentTopics)
        var detecting = configuration.detection != nil
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
        decode = DecodeStage(catalog: runtime.catalog, limits: configuration.limits, store: store, logger: logger)
        detect = DetectStage(runtime.detection ?? configuration.detection, enabled: detecting, restoringFrom: store,
                             logger: logger)
        seal = SealStage(configuration.sealing, logger: logger)
        publisher = GatewayPublisher(topics: configuration.gatewayTopics,
                                     metricsIntervalSeconds: configuration.metricsIntervalSeconds,
                                     clock: configuration.clock, logger: logger)
        housekeeping = Housekeeping(sealing: configuration.sealing != nil, now: configuration.clock.monotonicMs())
        ward = configuration.board == nil ? nil : WardView()
        if let ledger = runtime.ledger { configuration.ledgerControl?.apply(ledger) }
        if let egress = runtime.egress { configuration.egressControl?.apply(egress) }
        configuration.brokerObserver?(clientOptions(broker: runtime.broker))
        loadConsentBook()
    }

    /// Runs until `stop()` returns true (checked at least every 100 ms) or the duration elapses.
    /// Starts the stages in order and stops them in reverse: stop receiving, store and
    /// acknowledge what was received, seal, then close the store thread.
    public func run(stop: () -> Bool) throws {
        var transport = try configuration.transport(clientOptions(broker: runtime.broker))
        decode.reportLastStop()
        let checkpointer = store.startWALCheckpointer()
        defer { checkpointer?.stop() }
        try seal.start(store, policy: runtime.sealingPolicy, now: clock.wallMs())
        let deadline = configuration.durationSeconds.map { clock.monotonicMs() + Int64($0 * 1000) }
        func stopping() -> Bool { stop() || deadline.map { clock.monotonicMs() >= $0 } ?? false }
        startedAt = clock.wallMs()
        // The byte budget is enforced before the first batch: a full vault refuses it.
        runRetention(transport)
        housekeeping.ran(.retention, at: clock.monotonicMs())
        let storer = StoreWorker(store: store, gauge: spaceGauge)
        defer { storer.stop() }
        var everConnected = false
        while !stopping() {
            configuration.board?.beat(clock.monotonicMs())
            postStatusIfDue(transport)
            if !transport.isConnected {
                guard reconnect(transport, storer, first: !everConnected, stopping: stopping) else { continue }
                everConnected = true
            }
            let documents = pumpOnce(transport, storer)
            publishMetricsIfDue(transport)
            if !documents.isEmpty {
                // Consent documents are not retained: each is stored before it is acknowledged.
                settle(storer.waitIdle(), transport)
                for document in documents where isConsentDocument(document) { handleConsentDocument(document, transport) }
                quiesce(storer, transport)
                for document in documents where !isConsentDocument(document) {
                    handleConfigDocument(document, transport: &transport)
                }
            }
            // The store is this thread's only while no batch is being stored: periodic work
            // runs between batches, or waits for them once it is overdue.
            if storer.pending == 0 || housekeeping.anyDue(at: clock.monotonicMs()) {
                quiesce(storer, transport)
                runHousekeeping(transport)
            }
        }
        quiesce(storer, transport)
        shutDown(transport)
        postStatusIfDue(transport, force: true)
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
    func subscribeAndAnnounce(_ transport: any MessageTransport) throws(MQTTError) {
        for topic in runtime.topics + configuration.configTopics + configuration.consentTopics {
            try transport.subscribe(topic, qos: 1)
        }
        try publisher.announceOnline(transport)
        try publishStorageAlert(transport)
        try transport.flush()
    }

    /// (Re)connects once whatever is still queued is stored: a new connection starts clean.
    private func reconnect(_ transport: any MessageTransport, _ storer: StoreWorker, first: Bool,
                           stopping: () -> Bool) -> Bool {
        settle(storer.waitIdle(), transport)
        storer.clearFailure()
        let retryDelay = storage.takeRetryDelay()
        if retryDelay > 0 {
            waitOutStorageRetry(ms: retryDelay, transport, unless: stopping)
            if stopping() { return false }
        }
        do {
            if first { try transport.connect() } else { try transport.reconnect() }
            try subscribeAndAnnounce(transport)
            backoff.reset()
            oldestUnacknowledgedMs = nil  // whatever was unacknowledged comes again on this connection
            metrics.connects += 1
            logger.info("connected", metadata: ["broker": "\(transport.options.broker)",
                                                "session_present": "\(transport.sessionPresent)"])
            storage.connected()
            return true
        } catch {
            metrics.connectFailures += 1
            let delay = backoff.nextDelayMs(random: Double.random(in: 0..<1, using: &random))
            logger.warning("connect failed; retrying", metadata: ["error": "\(error)", "delay_ms": "\(delay)"])
            sleep(ms: delay, unless: stopping)
            return false
        }
    }

    /// Clean stop: nothing unacknowledged is pending (each round stores then acknowledges), so
    /// save the detectors, seal the open batch, publish `offline` and disconnect.
    private func shutDown(_ transport: any MessageTransport) {
        decode.stoppedCleanly()
        detect.saveState(to: store, at: clock.wallMs())
        recordEndedStorageOutage()
        if seal.isEnabled {
            if !seal.sealAll(store, now: clock.wallMs()) { metrics.sealingFailures += 1 }
            publisher.publishCheckpoint(store.latestCheckpoint, transport, force: true)
        }
        publishMetricsIfDue(transport, force: true)
        publisher.announceOffline(transport)
        if transport.isConnected { transport.disconnect() }
        logger.info("stopped", metadata: ["messages": "\(metrics.messages)", "stored": "\(metrics.stored)"])
    }
}
