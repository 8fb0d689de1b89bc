import Detection
import Fleet
import MQTT
import Schemas
import Sealing
import Vault

/// The settings a running agent derives from its base configuration (file and command line)
/// overlaid with the effective fleet sections. Built in full before anything is switched, so a
/// document that cannot be applied changes nothing.
struct FleetRuntime {
    var topics: [String]
    var maxBatch: Int
    var broker: BrokerAddress
    var catalog: SchemaCatalog
    /// `nil`: detection off.
    var detection: DetectionConfig?
    /// `nil`: sealing is off in the base configuration (benchmarks), so batch limits do not apply.
    var sealingPolicy: BatchPolicy?
    var storageMaxBytes: UInt64
    /// Retention (`nil`: off) and the budget's policy, a fleet `storage` section's over the file's.
    var retention: RetentionPolicy?
    var whenFull: WhenFull
    /// The fleet's ledger section, if one was applied (`nil`: the local `[ledger]` configuration).
    var ledger: ConfigSections.Ledger?
    /// The fleet's egress section, if one was applied (`nil`: the local `[egress]` configuration).
    var egress: ConfigSections.Egress?

    /// The base configuration alone.
    init(base: IngestConfiguration, baseCatalog: SchemaCatalog) {
        topics = base.topics
        maxBatch = base.maxBatch
        broker = base.mqtt.broker
        catalog = baseCatalog
        detection = base.detection
        sealingPolicy = base.sealing?.policy
        storageMaxBytes = base.storageMaxBytes
        retention = base.retention
        whenFull = base.whenFull
    }

    /// The base configuration overlaid with `sections`.
    /// - Throws: ``ConfigRejection`` `.unsupported` or `.applyFailed` naming the section.
    init(base: IngestConfiguration, baseCatalog: SchemaCatalog, sections: ConfigSections) throws(ConfigRejection) {
        self.init(base: base, baseCatalog: baseCatalog)
        if let ingest = sections.ingest {
            topics = ingest.topics
            maxBatch = Int(ingest.maxBatch)
        }
        if let sealing = sections.sealing, base.sealing != nil {
            do {
                sealingPolicy = try BatchPolicy(maxReadings: Int(sealing.batchMaxReadings),
                                                maxAgeMilliseconds: Int64(sealing.batchMaxAgeMs))
            } catch {
                throw ConfigRejection(.applyFailed(detail: "sealing: \(error.reason)"))
            }
        }
        if let detection = sections.detection {
            if detection.enabled {
                var config = base.detection ?? DetectionConfig()
                config.threshold = detection.threshold
                self.detection = config
            } else {
                self.detection = nil
            }
        }
        if let storage = sections.storage {
            storageMaxBytes = storage.maxBytes
            if let days = storage.keepDays, let policy = retention {
                retention = RetentionPolicy(keepDays: Int(clamping: days), sinks: policy.sinks)
            }
            if let when = storage.whenFull { whenFull = when == .block ? .block : .evictOldest }
        }
        if let ledger = sections.ledger {
            if let control = base.ledgerControl {
                try control.check(ledger)
            } else if ledger.backend != .local {
                throw ConfigRejection(.unsupported(field: "ledger.backend",
                                                   detail: "this agent runs without an anchoring worker (backend local only)"))
            }
            self.ledger = ledger
        }
        if let egress = sections.egress {
            guard let control = base.egressControl else {
                throw ConfigRejection(.unsupported(field: "egress", detail: "this agent runs without delivery workers"))
            }
            try control.check(egress)
            self.egress = egress
        }
        if let broker = sections.broker {
            guard let address = BrokerAddress(url: broker.url) else {
                throw ConfigRejection(.applyFailed(detail: "broker.url does not parse"))
            }
            self.broker = address
        }
        if let schemas = sections.schemas {
            var catalog = baseCatalog
            for (index, file) in schemas.files.enumerated() {
                do { try catalog.add(try FirmwareSchema(json: file.schema, file: file.name)) } catch {
                    throw ConfigRejection(.applyFailed(detail: "schemas.files[\(index)] clashes with the agent's catalogue: \(error.detail)"))
                }
            }
            self.catalog = catalog
        }
    }
}
