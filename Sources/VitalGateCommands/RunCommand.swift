public import ArgumentParser
import Anchoring
import Delivery
import Detection
import EVMLedger
import Ledger
import Fleet
import FoundationEssentials
import HTTP
import Ingest
import Logging
import MQTT
import Schemas
import Sealing
import SQLite
import Vault

/// `vitalgate run`: the agent. Subscribes to device telemetry and stores it in the vault.
public struct RunCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent: MQTT ingest into the encrypted vault (stops cleanly on SIGINT/SIGTERM).")

    @OptionGroup var agent: AgentOptions
    @Option(name: .long, help: "Stop after this many seconds (default: run until SIGINT/SIGTERM).")
    var duration: Double?
    @Flag(name: .long, help: "Disable anomaly detection.") var noDetection = false
    @Flag(name: .long, help: ArgumentHelp("Store without sealing (benchmarks only).", visibility: .hidden))
    var noSealing = false
    @Option(name: .long, help: ArgumentHelp("Stop after processing this many messages (benchmarks).",
                                            visibility: .hidden))
    var stopAfterMessages: Int?
    @OptionGroup(visibility: .hidden) var hooks: BenchHooks

    public init() {}

    public func run() throws {
        SignalFlag.install()
        let config = try agent.resolve()
        Logger(label: "vitalgate.run").info("configuration", metadata: ["file": "\(agent.configPath() ?? "built-in defaults")"])
        try config.checkFilesReadable()
        _ = try DataPaths(config.gateway.dataDirectory).exists()  // a file there: a clearer error than the key file's
        let anchoring = noSealing ? nil : AnchoringControl(base: config)
        defer { anchoring?.stop() }
        let alertsBroker = MQTTOptionsSource(try config.mqttOptions())
        let keys = try FileKeyStore.load(path: DataPaths(config.gateway.dataDirectory).keyFile)
        // The consent in force: one book, loaded and kept current by ingest, asked by whatever
        // lets data leave (docs/CONSENT.md): every sink and the local alerts topic.
        let consentSettings = try config.consentSettings()
        // `[consent.registry]`: grants and revocations read from the EVM registry into the same book.
        let registry = try ConsentRegistryAgent.make(config, book: consentSettings.book, keys: keys)
        // Each confirmed delivery is accounted in the sealed disclosure log with the sink's
        // cursor, one record per patient per `[consent] disclosure_window_seconds` (docs/CONSENT.md).
        let consent = AgentConsent(book: consentSettings.book)
        let egress = EgressSupervisor(base: config, keys: keys, consent: consent)
        let alerts = Self.makeAlertsWorker(config, keys: keys, broker: alertsBroker, consent: consent)
        // The HTTP endpoints listen before anything starts: a taken port stops the start (75).
        let monitor = config.http.isEnabled
            ? try AgentMonitor(config: config, workers: { [alerts] + egress.currentWorkers }, anchor: { anchoring?.current },
                               registry: { registry })
            : nil
        defer { monitor?.stop() }
        let service = try Self.makeService(config, detection: !noDetection, sealing: !noSealing, duration: duration,
                                           ledgerControl: anchoring, brokerObserver: Self.alertsBrokerObserver(alertsBroker),
                                           egressControl: egress, board: monitor?.board,
                                           retentionSinks: { ([alerts] + egress.currentWorkers).map(\.sinkName) },
                                           consent: consentSettings, hooks: hooks)
        try anchoring?.start()
        alerts.start()
        defer { alerts.stop() }
        try egress.start()
        defer { egress.stop() }
        Self.sealDisclosuresOfRemovedSinks(config, keys: keys, sinks: ([alerts] + egress.currentWorkers).map(\.sinkName))
        registry?.start()
        defer { registry?.stop() }
        let limit = stopAfterMessages ?? Int.max
        try service.run { SignalFlag.stopRequested || service.metrics.messages >= limit }
        let m = service.metrics
        Logger(label: "vitalgate.run").info("summary", metadata: [
            "messages": "\(m.messages)", "stored": "\(m.stored)", "duplicates": "\(m.duplicates)",
            "quarantined": "\(m.quarantined)", "alerts": "\(m.alerts)", "store_failures": "\(m.storeFailures)",
        ])
    }

    /// Seals the open disclosure aggregates of sinks no longer configured (nothing adds to them
    /// again; those of the configured sinks are sealed by their workers when their window ends).
    /// A failure is logged and left for the next start.
    static func sealDisclosuresOfRemovedSinks(_ config: AgentConfig, keys: any KeyStore, sinks: [String]) {
        do {
            let vault = try Vault(path: DataPaths(config.gateway.dataDirectory).vault, keys: keys)
            let sealed = try vault.sealDisclosures(ofSinksOtherThan: Set(sinks))
            if !sealed.isEmpty {
                Logger(label: "vitalgate.run").info("sealed the open disclosures of sinks no longer configured",
                                                    metadata: ["records": "\(sealed.count)"])
            }
        } catch {
            Logger(label: "vitalgate.run").warning("could not seal the open disclosures of removed sinks; retried at the next start",
                                                   metadata: ["error": "\(error)"])
        }
    }

    /// The anchoring worker for `[ledger]` (it opens its own connection to the vault).
    static func makeAnchorWorker(_ config: AgentConfig) throws -> AnchorWorker {
        let paths = DataPaths(config.gateway.dataDirectory)
        let keys = try FileKeyStore.load(path: paths.keyFile)
        let backend: any LedgerBackend
        let verifier: any AnchorEvidenceVerifier
        var trust = "local"
        switch config.ledger.backend {
        case "evm":
            let evm = try EVMLedgerSettings.configuration(config.ledger, keys: keys)
            let chain = try EVMLedgerBackend(configuration: evm)
            backend = chain
            verifier = WorkerEVMVerifier(configuration: evm)
            trust = chain.gate.modeName
            if trust == "single-node" {
                let warning = "ledger trust is single-node: anchors rest on one node's word and protect only "
                    + "against accidents, never against a node that lies (docs/EVM-LEDGER.md, \"Finality trust\")"
                Logger(label: "vitalgate.anchor").warning("\(warning)")
            }
        default:
            backend = LocalLedger()
            verifier = LocalEvidenceVerifier(logKey: try Vault.logVerifierKey(keys: keys, gatewayID: config.gateway.id))
        }
        return AnchorWorker(configuration: .init(gatewayID: config.gateway.id, vaultPath: paths.vault,
                                                 pollMs: Int(config.ledger.pollSeconds * 1000), trust: trust,
                                                 finishOnStop: config.ledger.backend == "local"),
                            backend: backend, verifier: verifier)
    }

    /// Keeps the local alerts sink on the ingest connection's broker, with a client id of its own.
    static func alertsBrokerObserver(_ source: MQTTOptionsSource) -> @Sendable (MQTTOptions) -> Void {
        { ingest in
            var options = ingest
            options.clientID += "-alerts"
            options.will = nil
            options.persistentSession = false
            source.update(options)
        }
    }

    /// The local alerts sink's worker: the gateway's alerts topic on the broker `broker` holds,
    /// never below ingest, and quick to notice a new alert.
    static func makeAlertsWorker(_ config: AgentConfig, keys: any KeyStore, broker: MQTTOptionsSource,
                                 consent: AgentConsent) -> DeliveryWorker {
        DeliveryWorker(configuration: .init(vaultPath: DataPaths(config.gateway.dataDirectory).vault, keys: keys, batchLimit: 100,
                                            pollMs: 100, backoff: ReconnectBackoff(initialMs: 200, maxMs: 10_000),
                                            yieldsToIngest: false),
                       sink: MQTTSink.localAlerts(source: broker, gatewayID: config.gateway.id,
                                                  patient: config.enforcement.alertsTopicPatient),
                       consent: config.sinkConsent(config.enforcement.alertsTopic, book: consent.book))
    }

    /// A delivery worker per configured sink (`[egress]`), each beside ingest on its own
    /// connection to the vault (not started).
    /// Each checks consent for its configured recipient and purpose.
    static func makeEgressWorkers(_ config: AgentConfig, keys: any KeyStore, consent: AgentConsent) throws -> [DeliveryWorker] {
        let egress = config.egress
        var sinks: [(any DeliverySink, AgentConfig.ConsentEnforcementSection.Recipient)] = []
        if !egress.ndjson.isEmpty {
            let mapping = FHIRMapping(gatewayID: config.gateway.id, patientIdentifierSystem: egress.patientIdentifierSystem)
            sinks.append((try NDJSONSink(directory: egress.ndjson, mapping: mapping,
                                         maxAgeMs: Int64(egress.ndjsonMaxAgeSeconds) * 1000), config.enforcement.ndjson))
        }
        if !egress.upstream.isEmpty, let broker = BrokerAddress(url: egress.upstream) {
            let tls = broker.usesTLS || !egress.upstreamCAFile.isEmpty || !egress.upstreamCertFile.isEmpty
                ? MQTTOptions.TLS(caFile: egress.upstreamCAFile.isEmpty ? nil : egress.upstreamCAFile,
                                  caPath: egress.upstreamCAFile.isEmpty ? "/etc/ssl/certs" : nil,
                                  certFile: egress.upstreamCertFile.isEmpty ? nil : egress.upstreamCertFile,
                                  keyFile: egress.upstreamKeyFile.isEmpty ? nil : egress.upstreamKeyFile)
                : nil
            sinks.append((MQTTSink(options: MQTTOptions(broker: broker, clientID: "vitalgate-upstream-\(config.gateway.id)", tls: tls),
                                   gatewayID: config.gateway.id, topicTemplate: egress.upstreamTopic), config.enforcement.upstream))
        }
        if !egress.fhir.isEmpty {
            sinks.append((try fhirSink(config), config.enforcement.fhir))
        }
        let paths = DataPaths(config.gateway.dataDirectory)
        return sinks.map { sink, recipient in
            // A FHIR delivery is several Bundles, posted one while the next is built.
            DeliveryWorker(configuration: .init(vaultPath: paths.vault, keys: keys,
                                                batchLimit: sink is FHIRSink ? egress.fhirBatch * 10 : 500,
                                                batchBytes: sink is FHIRSink ? 4 << 20 : 1 << 20),
                           sink: sink, consent: config.sinkConsent(recipient, book: consent.book))
        }
    }

    /// The `[egress] fhir` sink: its URL, TLS files and credentials.
    static func fhirSink(_ config: AgentConfig) throws -> FHIRSink {
        let egress = config.egress
        let credentials: FHIRCredentials = if !egress.fhirTokenFile.isEmpty {
            .bearerTokenFile(egress.fhirTokenFile)
        } else if !egress.fhirOAuthTokenURL.isEmpty {
            .oauth2(tokenURL: egress.fhirOAuthTokenURL, clientID: egress.fhirOAuthClientID,
                    secretFile: egress.fhirOAuthSecretFile, scope: egress.fhirOAuthScope.isEmpty ? nil : egress.fhirOAuthScope)
        } else {
            .none
        }
        func file(_ path: String) -> String? { path.isEmpty ? nil : path }
        let options = HTTPClient.Options(caFile: file(egress.fhirCAFile), certificateFile: file(egress.fhirCertFile),
                                         keyFile: file(egress.fhirKeyFile), timeoutMs: egress.fhirTimeoutSeconds * 1000,
                                         userAgent: "VitalGate/\(config.gateway.id)")
        let mapping = FHIRMapping(gatewayID: config.gateway.id, patientIdentifierSystem: egress.patientIdentifierSystem)
        return try FHIRSink(baseURL: egress.fhir, mapping: mapping, credentials: credentials, options: options,
                            bundleRecords: egress.fhirBatch)
    }

    /// Builds the ingest service for `config` (shared with `demo` and `bench`).
    /// Converts a vault made before incremental vacuum (a full `VACUUM`, which rewrites the file)
    /// when it is at most `maxBytes` (`[storage] vacuum_at_start_max_bytes`; 0: never). A failure
    /// (another process reading it, too little disk) only delays it to the next start.
    static func convertToIncrementalVacuum(_ vault: Vault, maxBytes: Int) {
        guard maxBytes > 0 else { return }
        let logger = Logger(label: "vitalgate.run")
        let before = vault.fileBytes
        do {
            if try vault.convertToIncrementalVacuum(maxBytes: Int64(maxBytes)) {
                logger.notice("the vault now returns freed space (converted to incremental vacuum)",
                              metadata: ["bytes_before": "\(before)", "bytes_after": "\(vault.fileBytes)"])
            }
        } catch {
            logger.warning("cannot convert the vault to incremental vacuum; retried at the next start",
                           metadata: ["error": "\(error)"])
        }
    }

    static func makeService(_ config: AgentConfig, detection: Bool, sealing: Bool = true, duration: Double?,
                            ledgerControl: (any LedgerControl)? = nil,
                            brokerObserver: (@Sendable (MQTTOptions) -> Void)? = nil,
                            egressControl: (any EgressControl)? = nil, board: IngestBoard? = nil,
                            retentionSinks: (@Sendable () -> [String])? = nil,
                            consent: ConsentSettings? = nil, hooks: BenchHooks? = nil) throws -> IngestService {
        let paths = DataPaths(config.gateway.dataDirectory)
        try paths.ensureExists()
        let keys = try FileKeyStore.load(path: paths.keyFile)
        let synchronous: Connection.SynchronousMode = switch config.ingest.synchronous {
        case .off: .off
        case .normal: .normal
        case .full: .full
        }
        let vault = try Vault(path: paths.vault, keys: keys, synchronous: synchronous, exclusiveWriter: true)
        Self.convertToIncrementalVacuum(vault, maxBytes: config.storage.vacuumAtStartMaxBytes)
        let catalog = try config.schemas.catalog()
        var ingest = IngestConfiguration(
            gatewayID: config.gateway.id, mqtt: try config.mqttOptions(), topics: config.ingest.topics,
            maxBatch: config.ingest.maxBatch, backoff: config.reconnect.backoff,
            limits: DecodeLimits(maxPayloadBytes: config.ingest.maxPayloadBytes,
                                 maxFutureSkewMs: Int64(config.ingest.maxFutureSkewSeconds) * 1000),
            detection: detection && config.detection.enabled ? DetectionConfig(threshold: config.detection.threshold) : nil,
            durationSeconds: duration,
            sealing: sealing ? SealingConfiguration(gatewayID: config.gateway.id, policy: try BatchPolicy(
                maxReadings: config.sealing.batchMaxReadings,
                maxAgeMilliseconds: Int64(config.sealing.batchMaxAgeMs))) : nil)
        ingest.storageMaxBytes = UInt64(config.storage.maxBytes)
        ingest.whenFull = config.storage.whenFull == .block ? .block : .evictOldest
        ingest.retention = config.retention.enabled ? RetentionPolicy(keepDays: config.retention.keepDays) : nil
        ingest.retentionSinks = retentionSinks
        ingest.metricsIntervalSeconds = Double(config.gateway.metricsIntervalSeconds)
        ingest.fleet = try config.fleetSettings()
        ingest.ledgerControl = ledgerControl
        ingest.brokerObserver = brokerObserver
        ingest.egressControl = egressControl
        ingest.board = board
        ingest.consent = consent
        hooks?.apply(to: &ingest)
        return IngestService(configuration: ingest, vault: vault, catalog: catalog)
    }
}
