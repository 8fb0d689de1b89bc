import VitalGateCommands
public import ArgumentParser
import FoundationEssentials
import Glibc
import LocalBroker
import MQTT
import Simulator
import Schemas
import SQLite
import Telemetry
import Vault

/// `vitalgate bench ingest`: in one run, raw `mosquitto_sub` consumption of a queued QoS 1
/// stream of simulator payloads vs. the agent's ingest of the same stream (ratio), and the
/// agent's peak memory at a steady publication rate.
public struct BenchIngestCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Agent ingest vs. raw mosquitto_sub at QoS 1 (ratio), and peak RSS at a steady rate.")

    @Option(name: .long, help: "Messages in the queued stream.") var messages = 50_000
    @Option(name: .long, help: "Simulated patients generating the stream.") var patients = 50
    @Option(name: .long, help: "Simulator seed.") var seed: UInt64 = 1
    @Option(name: .long, help: "Steady-rate phase: messages per second.") var rate = 5000.0
    @Option(name: .long, help: "Steady-rate phase: seconds (0 skips it; at least 70 to include a detector state save).")
    var steadySeconds = 90.0
    @Option(name: .long, help: "Rounds of the raw/agent comparison.") var rounds = 3
    @Option(name: .long, help: "Directory of firmware schemas extending the built-in ones.") var schemas: String?
    @Option(name: .long, help: "Agent configuration file (e.g. one with synchronous = \"full\").")
    var agentConfig: String?
    @Option(name: .long, help: ArgumentHelp(
        "Another vitalgate executable (e.g. an earlier build) whose agent is also timed in every round, side by side.",
        valueName: "path"))
    var baselineAgent: String?
    @Flag(name: .long, help: ArgumentHelp(
        "Steady-rate phase: the agent also delivers to two sinks, NDJSON files and an upstream broker (the private one).",
        valueName: "sinks"))
    var withSinks = false
    @Option(name: .long, help: ArgumentHelp(
        "Steady-rate phase: GET /metrics and the status page this often, ms, as Prometheus and a browser would (0: never)."))
    var scrapeMs = 1000
    @Flag(name: .long, help: "Steady-rate phase: run the agent with --http off (the A/B of the HTTP endpoints' cost).")
    var noHTTP = false
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    public init() {}

    public func run() throws {
        #if DEBUG
        note("warning: debug build; use `swift build -c release` and .build/release/vitalgate-bench for real figures")
        #endif
        let stream = Self.stream(count: messages, patients: patients, seed: seed)
        note("stream: \(stream.count) messages, \(stream.reduce(0) { $0 + $1.payload.count }) payload bytes")
        var results = IngestBenchResults(messages: stream.count, rounds: rounds, hasBaseline: baselineAgent != nil)
        results.pipeline = try measurePipeline(stream)  // throws if anything is quarantined
        note(String(printf: "in-process pipeline: decode %.2f us/msg, vault store %.2f us/msg (batches of 100, "
                    + "synchronous normal), with sealing %.2f us/msg", results.pipeline.decodeUs,
                    results.pipeline.storeUs, results.pipeline.sealedStoreUs))
        for round in 1...max(rounds, 1) where rounds > 0 {
            try measureRound(round, stream, into: &results)
            note(results.roundReport(round))
        }
        if steadySeconds > 0 { results.steady = try measureSteady() }
        if json {
            print(JSONWriter.canonicalString(results.json.nonFiniteAsNull))  // no rounds: medians of nothing
        } else {
            print(results.summary(steadySeconds: steadySeconds))
        }
    }

    /// One round of the raw/agent comparison; the agent variants alternate their order, so
    /// order effects do not favour one.
    private func measureRound(_ round: Int, _ stream: [MQTTOptions.Message], into results: inout IngestBenchResults) throws {
        results.raw.append(try measureRaw(stream))
        results.floor.append(try measureClientFloor(stream))
        if let baselineAgent, round % 2 == 1 {
            results.baseline.append(try measureAgent(stream, sealing: true, executable: baselineAgent))
        }
        if round % 2 == 0 { results.unsealed.append(try measureAgent(stream, sealing: false)) }
        results.agent.append(try measureAgent(stream, sealing: true))
        if round % 2 == 1 { results.unsealed.append(try measureAgent(stream, sealing: false)) }
        if let baselineAgent, round % 2 == 0 {
            results.baseline.append(try measureAgent(stream, sealing: true, executable: baselineAgent))
        }
    }

    /// The first `count` simulator messages (info and pair included), published without the
    /// retain flag so both consumers see exactly `count` deliveries.
    static func stream(count: Int, patients: Int, seed: UInt64) -> [MQTTOptions.Message] {
        var simulator = try! TelemetrySimulator(config: SimulatorConfig(
            patients: patients, seed: seed, startTime: Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000,
            faults: []))
        return (0..<count).compactMap { _ in
            simulator.nextMessage().map { MQTTOptions.Message(topic: $0.topic, payload: $0.payload, qos: 1) }
        }
    }

    /// Decoding and storing the stream in this process, without MQTT: where the time goes.
    /// Returns µs per message for decoding, storing, and storing with sealing on (fresh vaults).
    private func measurePipeline(_ stream: [MQTTOptions.Message]) throws -> IngestBenchResults.Pipeline {
        var decoder = MessageDecoder(catalog: try SchemaCatalog.builtIn(extendedBy: schemas))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let clock = ContinuousClock.now
        let incoming = stream.map {
            IncomingMessage(topic: $0.topic, payload: $0.payload, receivedAt: now,
                            outcome: decoder.decode(topic: $0.topic, payload: $0.payload, receivedAt: now))
        }
        let decodeTime = ContinuousClock.now - clock
        if let bad = incoming.first(where: { if case .quarantined = $0.outcome { true } else { false } }) {
            throw ValidationError("a clean simulator message was quarantined: \(bad.outcome)")
        }
        func us(_ d: Duration) -> Double {
            (Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12) / Double(stream.count)
        }
        func store(sealing: Bool) throws -> Duration {
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-bench-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: data) }
            try DataPaths(data).ensureExists()
            // CPU cost only: no sync at commit (the agent runs below with the deployed setting).
            let vault = try Vault(path: DataPaths(data).vault, keys: GatewayKeys.generate(), synchronous: .normal)
            if sealing { try vault.enableSealing(SealingConfiguration(gatewayID: "bench"), now: now) }
            let checkpointer = WALCheckpointer(path: vault.path)  // as in `run`
            defer { checkpointer.stop() }
            let clock = ContinuousClock.now
            for start in stride(from: 0, to: incoming.count, by: 100) {
                _ = try vault.store(Array(incoming[start..<min(start + 100, incoming.count)]))
            }
            if sealing { try vault.sealAll(now: now) }
            return ContinuousClock.now - clock
        }
        return IngestBenchResults.Pipeline(decodeUs: us(decodeTime), storeUs: us(try store(sealing: false)),
                                          sealedStoreUs: us(try store(sealing: true)))
    }

    /// Queues `stream` for a persistent session `clientID` on `broker` (subscribed, then offline).
    private func queue(_ stream: [MQTTOptions.Message], for clientID: String, on broker: LocalBroker) throws {
        let session = try MQTTClient(options: MQTTOptions(broker: broker.address, clientID: clientID))
        try session.connect()
        try session.subscribe("wban/v1/+/+", qos: 1)
        session.disconnect()
        let publisher = try MQTTClient(options: MQTTOptions(broker: broker.address, clientID: "bench-pub",
                                                            persistentSession: false))
        try publisher.connect()
        try PublishWindow.publishAll(publisher, stream)
        publisher.disconnect()
    }

    /// One consumer draining the queued stream: its rate, and CPU time per message of the
    /// consumer and of the broker serving it (from /proc and `wait4`).
    struct Drain {
        var rate: Double
        var consumerCPUus: Double
        var brokerCPUus: Double
        var peakRSSKiB = 0
        /// Messages per second while draining, without the process's start-up and shutdown:
        /// for `mosquitto_sub` and `bench drain`, wall time minus a one-message run's; for the
        /// agent, from the vault's arrival stamps of the first and the last batch.
        var drainRate: Double
    }

    private func measureRaw(_ stream: [MQTTOptions.Message]) throws -> Drain {
        try measureConsumer(stream, clientID: "bench-raw") { broker, count in
            (try Self.which("mosquitto_sub"), [
                "-h", "127.0.0.1", "-p", String(broker.port), "-V", "5", "-q", "1", "-c", "-x", "604800",
                "-i", "bench-raw", "-t", "wban/v1/+/+", "-C", String(count)])
        }
    }

    /// The agent's MQTT client alone (`bench drain`): receive and acknowledge in batches, nothing stored.
    private func measureClientFloor(_ stream: [MQTTOptions.Message]) throws -> Drain {
        try measureConsumer(stream, clientID: "bench-floor") { broker, count in
            (AgentProcess.currentExecutable, ["drain", "--broker", broker.address.description,
                                       "--client-id", "bench-floor", "--messages", String(count)])
        }
    }

    /// Times a consumer process draining `stream` queued for session `clientID`. Its start-up
    /// (exec, connect, session resume) is timed afterwards on a one-message queue of the same
    /// session and subtracted for the drain rate.
    private func measureConsumer(_ stream: [MQTTOptions.Message], clientID: String,
                                 command: (LocalBroker, Int) throws -> (String, [String])) throws -> Drain {
        let broker = try LocalBroker()
        try queue(stream, for: clientID, on: broker)
        func timedRun(_ count: Int) throws -> (seconds: Double, process: ChildProcess) {
            let (executable, arguments) = try command(broker, count)
            let started = Date()
            let process = try ChildProcess(executable: executable, arguments: arguments)
            process.waitForExit()
            let seconds = Date().timeIntervalSince(started)
            guard process.exitCode == 0 else { throw ValidationError("\(executable) failed") }
            return (seconds, process)
        }
        let brokerBefore = broker.cpuSeconds ?? 0
        let (seconds, process) = try timedRun(stream.count)
        let brokerCPU = (broker.cpuSeconds ?? 0) - brokerBefore
        let publisher = try MQTTClient(options: MQTTOptions(broker: broker.address, clientID: "bench-pub",
                                                            persistentSession: false))
        try publisher.connect()
        try PublishWindow.publishAll(publisher, [stream[stream.count - 1]])
        publisher.disconnect()
        let startup = try timedRun(1).seconds
        let count = Double(stream.count)
        return Drain(rate: count / seconds, consumerCPUus: (process.cpuSeconds ?? 0) / count * 1e6,
                     brokerCPUus: brokerCPU / count * 1e6, drainRate: count / max(seconds - startup, 1e-3))
    }

    /// The agent draining `stream` queued for it, with `extraArguments` for its `run`;
    /// `inspect` sees its data directory after it exited (before the directory is removed).
    /// `clockSpeed`: the agent's wall clock runs that fast (`--clock-speed` in `extraArguments`),
    /// and so do its arrival stamps, from which the draining rate is taken.
    func measureAgent(_ stream: [MQTTOptions.Message], sealing: Bool, executable: String? = nil,
                      extraArguments: [String] = [], clockSpeed: Double = 1,
                      inspect: ((_ dataDirectory: String) throws -> Void)? = nil) throws -> Drain {
        let broker = try LocalBroker()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        try DataPaths(data).ensureExists()
        try FileKeyStore.initialize(path: DataPaths(data).keyFile)
        // Same session treatment as the raw consumer: subscribed, offline while the stream is queued.
        let first = try AgentProcess(broker: broker.address, dataDirectory: data, gateway: "bench", schemas: schemas,
                                     log: data + "/agent.log",
                                     extraArguments: ["--no-detection"] + (agentConfig.map { ["--config", $0] } ?? []),
                                     executable: executable)
        try first.requireOnline(broker: broker.address)
        _ = first.stop()
        let publisher = try MQTTClient(options: MQTTOptions(broker: broker.address, clientID: "bench-pub",
                                                            persistentSession: false))
        try publisher.connect()
        try PublishWindow.publishAll(publisher, stream)
        publisher.disconnect()
        let brokerBefore = broker.cpuSeconds ?? 0
        let started = Date()
        let agent = try AgentProcess(broker: broker.address, dataDirectory: data, gateway: "bench", schemas: schemas,
                                     log: data + "/agent.log",
                                     extraArguments: ["--no-detection", "--stop-after-messages", String(stream.count)]
                                         + (sealing ? [] : ["--no-sealing"]) + extraArguments
                                         + (agentConfig.map { ["--config", $0] } ?? []),
                                     executable: executable)
        // Sample the agent's own high-water mark while it runs (it exits by itself at the count).
        var peakKiB = 0
        while agent.process.isRunning {
            peakKiB = max(peakKiB, agent.process.currentPeakRSSKiB ?? 0)
            usleep(2000)
        }
        let seconds = Date().timeIntervalSince(started)
        let brokerCPU = (broker.cpuSeconds ?? 0) - brokerBefore
        let keys = try FileKeyStore.load(path: DataPaths(data).keyFile)
        let stats = try Vault(path: DataPaths(data).vault, keys: keys).stats()
        guard agent.process.exitCode == 0, stats.messages == stream.count else {
            throw ValidationError("agent run incomplete: \(stats.messages) of \(stream.count) messages processed")
        }
        // The stream is fault-free: every message must become a reading or a device event,
        // so a run that quarantines (e.g. a broken schema) cannot pass for a fast one. Readings
        // compacted during the run (retention on, a compressed clock) have no row of their own.
        let kept = stats.readings + Int(stats.retention.compacted) + stats.events
        guard stats.quarantined == 0, kept >= stream.count - stats.devices * 2 else {
            throw ValidationError("agent quarantined \(stats.quarantined) of a clean stream; figures would be meaningless")
        }
        // And the variant is the one asked for: checkpoints exist exactly when sealing is on.
        guard (stats.anchoring.latestCheckpoint > 0) == sealing else {
            throw ValidationError("agent run \(sealing ? "without" : "with") checkpoints; the sealing variant was not applied")
        }
        try inspect?(data)
        let count = Double(stream.count)
        // Every batch's rows carry the batch's arrival time (ms). The span from the first to the
        // last batch leaves out the first batch's receive and the last one's commit: about
        // one batch (0.2 % of the stream) and the 1 ms resolution.
        let span = try Connection(path: DataPaths(data).vault, readOnly: true).query(
            "SELECT min(received_at), max(received_at) FROM readings")
        guard case .integer(let first)? = span.first?[0], case .integer(let last)? = span.first?[1], last > first else {
            throw ValidationError("agent run left no arrival stamps to time the drain")
        }
        return Drain(rate: count / seconds, consumerCPUus: (agent.process.cpuSeconds ?? 0) / count * 1e6,
                     brokerCPUus: brokerCPU / count * 1e6, peakRSSKiB: peakKiB,
                     drainRate: count / (Double(last - first) / 1000 / clockSpeed))
    }

    struct SteadyResult {
        var achievedRate: Double
        var peakRSSKiB: Int
        /// Every message arrived, and none was quarantined.
        var allStored: Bool
        var readings: Int
        var quarantined: Int
        /// GETs of /metrics and / answered with 200, and the others.
        var scrapes = 0
        var scrapeFailures = 0
    }

    /// The agent live (detection on, as deployed) while the simulator publishes at `rate`.
    private func measureSteady() throws -> SteadyResult {
        let broker = try LocalBroker()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        try DataPaths(data).ensureExists()
        let keys = try FileKeyStore.initialize(path: DataPaths(data).keyFile)
        let sinks = withSinks ? ["--ndjson", data + "/fhir", "--upstream", broker.address.description] : []
        let agent = try AgentProcess(broker: broker.address, dataDirectory: data, gateway: "bench", schemas: schemas,
                                     log: data + "/agent.log", extraArguments: sinks + (noHTTP ? ["--http", "off"] : []))
        try agent.requireOnline(broker: broker.address)
        let scraper = agent.httpAddress.flatMap { scrapeMs > 0 ? Scraper(base: "http://\($0)", everyMs: scrapeMs) : nil }
        defer { scraper?.stop() }
        // The simulated clock runs `speed` times faster than the wall clock. Started at "now", its
        // timestamps would pass the agent's future-skew limit (15 min) within a minute, and from
        // then on every message would be quarantined instead of stored; so it starts far enough
        // in the past to end at about "now".
        var config = SimulatorConfig(patients: patients, seed: seed, startTime: 0)
        let speed = rate / config.expectedMessagesPerSecond
        config.startTime = Int64(Date().timeIntervalSince1970 * 1000) - Int64(steadySeconds * speed * 1000)
        let publisher = try SimulationPublisher(configuration: .init(broker: broker.address, simulator: config,
                                                                     speed: speed, maxInFlight: 500))
        let report = try publisher.run(until: .simulatedSeconds(steadySeconds * speed))
        let seen = agent.waitStored(messages: report.published, keys: keys, timeoutSeconds: 30)
        let scrapes = scraper?.stop() ?? (answered: 0, failed: 0)
        let (_, peak) = agent.stop()
        let stats = try Vault(path: DataPaths(data).vault, keys: keys).stats()
        return SteadyResult(achievedRate: report.messagesPerSecond, peakRSSKiB: peak ?? 0,
                            allStored: seen >= report.published && stats.quarantined == 0,
                            readings: stats.readings, quarantined: stats.quarantined,
                            scrapes: scrapes.answered, scrapeFailures: scrapes.failed)
    }

    static func which(_ name: String) throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") + ["/usr/bin"]
        guard let path = dirs.map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw ValidationError("\(name) not found (Debian: apt-get install mosquitto-clients)") }
        return path
    }

    private func note(_ text: String) {
        FileStream.standardError.write(text + "\n")
    }
}

/// Publishes a list at QoS 1 with a bounded window and waits for every PUBACK.
enum PublishWindow {
    static func publishAll(_ client: MQTTClient, _ messages: [MQTTOptions.Message], window: Int = 200) throws {
        let base = client.completedPublishes
        var next = 0
        while client.completedPublishes - base < messages.count {
            while next < messages.count && next - (client.completedPublishes - base) < window {
                try client.publish(messages[next])
                next += 1
            }
            try client.flush()
            _ = try client.receive(timeoutMs: 5)
            try client.acknowledge()
        }
    }
}

extension JSONValue {
    /// The value with every NaN or infinite number replaced by `null` (JSON has neither).
    var nonFiniteAsNull: JSONValue {
        switch self {
        case .number(let number): number.isFinite ? self : .null
        case .array(let elements): .array(elements.map(\.nonFiniteAsNull))
        case .object(let members): .object(members.map { ($0.key, $0.value.nonFiniteAsNull) })
        default: self
        }
    }
}
