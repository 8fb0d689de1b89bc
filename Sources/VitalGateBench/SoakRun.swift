import FoundationEssentials
import Glibc
import LocalBroker
import MQTT
import Simulator
import SQLite
import Telemetry
import Threading
import Vault
import VitalGateCommands

/// One soak run of `vitalgate-bench soak`: a real agent (`vitalgate run`) on a private broker,
/// fed one simulated bed at its real rate played `speed` times faster, delivering to an upstream
/// broker (a second mosquitto) that is down for one compressed day, under a byte budget.
struct SoakRun {
    struct Settings {
        var days = 7.0
        var speed = 250.0
        var budgetBytes: Int64 = 256 << 20
        var keepDays = 1
        /// 1-based compressed day during which the upstream is down (0: never).
        var outageDay = 3
        var whenFull = "block"
        var seed: UInt64 = 11
        var schemas: String?
        var batchMaxReadings = 50
        var pruneStepLimit = 250
        var vacuumStepPages = 64
        var proofs = 200
        /// Seconds without progress after publishing ends before the run stops waiting.
        var stallSeconds = 90.0
        var keepDirectory = false
    }

    let settings: Settings
    static let gateway = "soak"

    /// Runs it; throws only when the run could not be carried out.
    func run(log: @escaping (String) -> Void) throws -> SoakOutcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-soak-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if !settings.keepDirectory { try? FileManager.default.removeItem(atPath: directory) } }
        var outcome = SoakOutcome(settings: settings)
        outcome.loadBefore = Self.loadAverage()
        let began = ContinuousClock.now

        // The broker keeps whatever the agent does not acknowledge (no queue limit: under `block`
        // a whole day can wait there).
        let local = try LocalBroker(limits: .init(maxQueuedMessages: 0, maxQueuedBytes: 0, maxInflightMessages: 100))
        let upstreamPort = try LocalBroker.freeLoopbackPort()
        let upstreamDirectory = URL(fileURLWithPath: directory + "/upstream")
        let upstream = UpstreamBroker(directory: upstreamDirectory, port: upstreamPort)
        try upstream.start()
        defer { upstream.stop() }
        let receiver = try SoakReceiver(broker: upstream.address, clientID: "soak-cloud",
                                        filter: "vitalgate/\(Self.gateway)/#", gateway: Self.gateway)
        defer { receiver.stop() }

        let data = directory + "/data"
        try DataPaths(data).ensureExists()
        let keys = try FileKeyStore.initialize(path: DataPaths(data).keyFile)
        let config = directory + "/soak.conf"
        try configuration(upstream: upstream.address).write(toFile: config, atomically: true, encoding: .utf8)
        let origin = SystemClock().wallMs()
        let clock = CompressedClock(originMs: origin, speed: settings.speed)
        let agent = try AgentProcess(
            broker: local.address, dataDirectory: data, gateway: Self.gateway, schemas: settings.schemas,
            log: directory + "/agent.log",
            extraArguments: ["--config", config, "--no-detection", "--http", "off",
                             "--clock-speed", String(settings.speed), "--clock-origin-ms", String(origin),
                             "--prune-step-limit", String(settings.pruneStepLimit),
                             "--vacuum-step-pages", String(settings.vacuumStepPages)])
        defer { if agent.process.isRunning { _ = agent.stop() } }
        try agent.requireOnline(broker: local.address)

        let start = clock.wallMs()
        let monitor = try SoakMonitor(vaultPath: DataPaths(data).vault, clock: clock, start: start, settings: settings,
                                      upstream: upstream, log: log)
        let publisher = try SimulationPublisher(configuration: .init(
            broker: local.address, clientID: "soak-simulator",
            simulator: SimulatorConfig(patients: 1, seed: settings.seed, startTime: start, faults: []),
            speed: settings.speed, maxInFlight: 500, drainTimeoutMs: 120_000))
        log(String(printf: "soak: %.2f days of one bed at %.0fx (about %.0f s), budget %.1f MiB, ", settings.days,
                   settings.speed, settings.days * 86_400 / settings.speed, Double(settings.budgetBytes) / 1_048_576)
            + (settings.outageDay > 0 ? "upstream down on day \(settings.outageDay)" : "upstream never down")
            + ", when_full = \(settings.whenFull)")
        let report = try publisher.run(until: .simulatedSeconds(settings.days * 86_400)) {
            monitor.tick(published: publisher.published)
            return !agent.process.isRunning
        }
        outcome.published = report.published
        outcome.publishSeconds = (ContinuousClock.now - began).seconds
        log("soak: published \(report.published) messages (\(report.acknowledged) acknowledged by the broker); catching up")
        monitor.catchUp(published: report.published, receiver: receiver, stallSeconds: settings.stallSeconds,
                        agentRunning: { agent.process.isRunning })
        upstream.ensureUp()
        receiver.stop()
        let (clean, peak) = agent.stop()
        outcome.agentCleanExit = clean
        outcome.agentPeakRSSKiB = peak ?? 0
        outcome.heldByBroker = try Self.countQueued(on: local.address, clientID: "vitalgate-\(Self.gateway)")
        outcome.samples = monitor.samples
        outcome.outage = monitor.outageReal
        outcome.maxBacklog = monitor.maxBacklog
        outcome.compressedDaysReached = Double(clock.wallMs() - start) / 86_400_000
        outcome.realSeconds = (ContinuousClock.now - began).seconds
        outcome.finalFileBytes = SoakMonitor.fileBytes(DataPaths(data).vault)
        try account(&outcome, data: data, keys: keys, receiver: receiver.snapshot)
        outcome.proofs = try SoakProofs.sample(vaultPath: DataPaths(data).vault, keys: keys, gateway: Self.gateway,
                                               count: settings.proofs)
        outcome.loadAfter = Self.loadAverage()
        if settings.keepDirectory { log("soak: kept \(directory)") }
        return outcome
    }

    /// The agent's configuration file: the budget, retention, the upstream sink, and batches of
    /// about the size one bed's 10-second batches have (`batch_max_age_ms` runs on the
    /// compressed clock too; see BENCHMARKS.md).
    private func configuration(upstream: BrokerAddress) -> String {
        """
        [sealing]
        batch_max_readings = \(settings.batchMaxReadings)

        [storage]
        max_bytes = \(settings.budgetBytes)
        when_full = "\(settings.whenFull)"

        [retention]
        enabled = true
        keep_days = \(settings.keepDays)

        [egress]
        upstream = "\(upstream.description)"

        """
    }

    /// Counts what was published, stored and delivered (the agent stopped).
    private func account(_ outcome: inout SoakOutcome, data: String, keys: GatewayKeys, receiver: SoakReceiver.Tally) throws {
        let vault = try Vault(path: DataPaths(data).vault, keys: keys)
        let stats = try vault.stats()
        outcome.processed = stats.messages
        outcome.quarantined = stats.quarantined
        outcome.duplicatesStored = stats.duplicates
        outcome.storageFullEvents = stats.eventsByType["storage_full"] ?? 0
        outcome.evictionEvents = stats.eventsByType["readings_evicted"] ?? 0
        let retention = try vault.retentionStatus()
        outcome.pruned = Int(retention.pruned)
        outcome.evicted = Int(retention.evicted)
        outcome.compacted = Int(retention.compacted)
        outcome.sinkDelivered = Int((try? vault.sinkCursor("mqtt").delivered) ?? 0)
        let connection = try Connection(path: DataPaths(data).vault, readOnly: true)
        var records = 0, missing = 0, missingEvicted = 0
        for row in try connection.query("""
            SELECT id, length(ciphertext) <= 28 FROM readings WHERE kind != 'event' OR schema_id = 'alert-v1' ORDER BY id
            """) {
            guard let id = row[0].integerValue else { continue }
            records += 1
            if !receiver.contains(id) {
                missing += 1
                if row[1].integerValue == 1 { missingEvicted += 1 }
            }
        }
        // Compacted batches' readings have no rows any more: each id of their ranges was a
        // stored reading whose content was pruned or evicted (batches holding a record are never
        // compacted).
        for id in try SoakProofs.compactedIDs(connection) {
            records += 1
            if !receiver.contains(id) {
                missing += 1
                missingEvicted += 1
            }
        }
        outcome.records = records
        outcome.receivedUnique = receiver.unique
        outcome.receivedDuplicates = receiver.duplicates
        outcome.receivedUnreadable = receiver.unreadable
        outcome.missingAtReceiver = missing
        outcome.missingWithContentRemoved = missingEvicted
        outcome.unknownAtReceiver = receiver.unique - (records - missing)
    }

    /// Messages the broker still holds for the agent's persistent session (the agent stopped):
    /// resumes the session and receives until nothing comes for two seconds.
    static func countQueued(on broker: BrokerAddress, clientID: String) throws -> Int {
        var options = MQTTOptions(broker: broker, clientID: clientID)
        options.maxInflight = 1000
        let client = try MQTTClient(options: options)
        try client.connect()
        defer { client.disconnect() }
        var count = 0
        var quiet = ContinuousClock.now
        while (ContinuousClock.now - quiet).seconds < 2 {
            let messages = try client.receive(timeoutMs: 100, maxMessages: 1000)
            try client.acknowledge()
            if !messages.isEmpty {
                count += messages.count
                quiet = ContinuousClock.now
            }
        }
        return count
    }

    /// The 1-minute load average (/proc/loadavg).
    static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return .nan }
        return Double(text.split(separator: " ").first ?? "") ?? .nan
    }
}

/// The upstream (cloud) broker, which the soak stops and starts again on the same port; it keeps
/// the consumer's session and queue on disk across the outage.
/// Used from the thread running the soak only (start, stop, the monitor's ticks).
final class UpstreamBroker {
    let directory: URL
    let port: Int32
    private var broker: LocalBroker?

    init(directory: URL, port: Int32) {
        self.directory = directory
        self.port = port
    }

    var address: BrokerAddress { BrokerAddress(host: "127.0.0.1", port: port) }
    var isUp: Bool { broker != nil }

    func start() throws {
        guard broker == nil else { return }
        broker = try LocalBroker(limits: .init(maxQueuedMessages: 0, maxQueuedBytes: 0, maxInflightMessages: 100),
                                 directory: directory, port: port, persistent: true)
    }

    func stop() {
        broker?.stop()
        broker = nil
    }

    /// Starts it again if it is down (a run that ended inside the outage day).
    func ensureUp() {
        if broker == nil { try? start() }
    }
}
