public import ArgumentParser
import FoundationEssentials
import MQTT
import Simulator

/// `vitalgate simulate`: publishes deterministic wearable telemetry (DEVICES.md) to a broker,
/// paced by simulated time, until a duration, a message count, or SIGINT/SIGTERM.
public struct SimulateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Publish simulated wearable telemetry to an MQTT broker.",
        discussion: """
            Each patient wears an OxiPatch, CardioStrip, ThermaDot, CuffPro and ResPod. Messages are \
            published at QoS 1 (info and pair retained) when their simulated time comes, scaled by \
            --speed. The same --seed, --start and options publish byte-identical streams. On SIGINT or \
            SIGTERM (or at the end) the command stops publishing, waits for the broker to acknowledge \
            every publication, and prints a summary; a second signal ends it at once.
            """)

    @Option(name: .long, help: ArgumentHelp("Broker URL, mqtt://host[:port] or mqtts://host[:port].", valueName: "url"))
    var broker = "mqtt://127.0.0.1:1883"

    @Option(name: .long, help: "Number of patients (5 devices each).")
    var patients = 4

    @Option(name: .long, help: "Seed of every random draw.")
    var seed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp(
        "Simulated seconds to publish (wall time is this divided by --speed); default: until SIGINT/SIGTERM.",
        valueName: "seconds"))
    var duration: Double?

    @Option(name: .long, help: ArgumentHelp("Fault kinds to inject, comma-separated, or 'all'. Known: "
                                                + FaultKind.allCases.map(\.rawValue).joined(separator: ", ") + ".",
                                            valueName: "list"))
    var faults = ""

    @Option(name: .long, help: ArgumentHelp("Probability of a fault per vitals/waveform message (needs --faults).",
                                            valueName: "p"))
    var faultRate: Double?

    @Option(name: .long, help: ArgumentHelp("CuffPro measurement interval.", valueName: "seconds"))
    var cuffInterval = 300

    @Flag(name: .long, help: "Do not publish CardioStrip ECG waveform chunks.")
    var noWaveform = false

    @Option(name: .long, help: ArgumentHelp(
        "Time compression: 1 = real time, 10 = ten times faster, 0 = as fast as possible.", valueName: "x"))
    var speed = 1.0

    @Option(name: .long, help: "Stop after this many messages.")
    var count: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Simulated start time: 'now', 'reference' (2025-11-23T08:00:00Z) or milliseconds since the Unix epoch.",
        valueName: "time"))
    var start = "now"

    @Option(name: .customLong("protocol"), help: ArgumentHelp("MQTT protocol version.", valueName: "5|3.1.1"))
    var protocolVersion = "5"

    @Option(name: .long, help: ArgumentHelp("MQTT client id (default: vitalgate-simulator-<pid>).", valueName: "id"))
    var clientID: String?

    @Option(name: .long, help: "Publications allowed without a PUBACK.")
    var maxInflight = 100

    @Flag(name: .long, help: "Print the final summary as one JSON object.")
    var json = false

    /// Options at their defaults (ArgumentParser fills them in).
    public init() {}

    /// Rejects malformed options before connecting.
    public func validate() throws {
        guard BrokerAddress(url: broker) != nil else {
            throw ValidationError("--broker must be mqtt://host[:port] or mqtts://host[:port]")
        }
        guard MQTTOptions.ProtocolVersion(rawValue: protocolVersion) != nil else {
            throw ValidationError("--protocol must be 5 or 3.1.1")
        }
        guard speed >= 0 && speed.isFinite else { throw ValidationError("--speed must be >= 0") }
        if let duration, !(duration > 0 && duration < 1e9) { throw ValidationError("--duration must be > 0") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard (1...65_535).contains(maxInflight) else { throw ValidationError("--max-inflight must be in 1...65535") }
        guard parseStart(now: 0) != nil else {
            throw ValidationError("--start must be 'now', 'reference' or milliseconds since the Unix epoch")
        }
        let kinds: Set<FaultKind>
        do {
            kinds = try FaultKind.parseList(faults)
        } catch {
            throw ValidationError("--faults: \(error.reason)")
        }
        if faultRate != nil && kinds.isEmpty { throw ValidationError("--fault-rate needs --faults") }
        do {
            try simulatorConfig(startTime: SimulatorConfig.defaultStartTime).validate()
        } catch {
            throw ValidationError(error.reason)
        }
    }

    /// Publishes until the limit or a signal, then prints the summary; exits 1 when some
    /// publication was never acknowledged.
    public func run() throws {
        SignalFlag.install()
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let startTime = parseStart(now: now) ?? now
        let address = BrokerAddress(url: broker) ?? BrokerAddress(host: "127.0.0.1", port: 1883)
        let pid = ProcessInfo.processInfo.processIdentifier
        let mqtt = MQTTOptions(broker: address, clientID: clientID ?? "vitalgate-simulator-\(pid)",
                               protocolVersion: MQTTOptions.ProtocolVersion(rawValue: protocolVersion) ?? .v5,
                               persistentSession: false)
        let publisher = try SimulationPublisher(configuration: .init(
            mqtt: mqtt, simulator: try simulatorConfig(startTime: startTime), speed: speed, maxInFlight: maxInflight))
        if !json {
            let pace = speed == 0 ? "as fast as possible" : speed == 1 ? "in real time" : "at \(speed)x"
            let until = duration.map { "for \($0) simulated s" } ?? count.map { "for \($0) messages" }
                ?? "until interrupted"
            let line = "simulate: \(patients) patients -> \(address) \(pace), \(until)\n"
            FileStream.standardError.write(line)
        }
        let report = try publisher.run(until: .init(simulatedSeconds: duration, messages: count),
                                       stop: { SignalFlag.stopRequested })
        print(json ? report.json : report.description)
        if report.acknowledged < report.published {
            FileStream.standardError.write(
                "simulate: \(report.published - report.acknowledged) publications were not acknowledged\n")
            throw ExitCode.failure
        }
    }

    /// The simulator settings these options describe.
    func simulatorConfig(startTime: Int64) throws(SimulatorError) -> SimulatorConfig {
        SimulatorConfig(patients: patients, seed: seed, startTime: startTime, faults: try FaultKind.parseList(faults),
                        faultRate: faultRate ?? SimulatorConfig.defaultFaultRate,
                        cuffProIntervalSeconds: cuffInterval, emitWaveform: !noWaveform)
    }

    /// `--start` as milliseconds since the epoch; `nil` when malformed.
    func parseStart(now: Int64) -> Int64? {
        switch start.lowercased() {
        case "now": now
        case "reference": SimulatorConfig.defaultStartTime
        default: Int64(start).flatMap { $0 >= 0 ? $0 : nil }
        }
    }
}
