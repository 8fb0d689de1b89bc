public import ArgumentParser
import FoundationEssentials
import HTTPServer
import LocalBroker
import MQTT
import Simulator
import Telemetry
import Vault

/// `vitalgate demo`: a private broker, the simulator and the agent, end to end, with a summary.
public struct DemoCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a private mosquitto, the simulator and the agent for a while, then summarise.")

    @Option(name: .long, help: "Seconds of simulated telemetry (real time).") var duration: Double = 30
    @Option(name: .long, help: "Simulated patients (five devices each).") var patients: Int = 4
    @Option(name: .long, help: "Simulator seed.") var seed: UInt64 = 1
    @Option(name: .long, help: "Field faults to inject (comma list, `all` or `none`).") var faults = "all"
    @Option(name: .long, help: "Probability of a fault per message.") var faultRate = 0.03
    @Option(name: .long, help: "Data directory (default: a new temporary directory).") var dataDir: String?
    @Option(name: .long, help: ArgumentHelp(
        "Directory of firmware schemas that extend or replace (same id) the built-in ones.", valueName: "dir"))
    var schemas: String?
    @Option(name: .long, help: ArgumentHelp(
        "Serve the agent's status page, /metrics and health here (default: a free port on 127.0.0.1), or `off`.",
        valueName: "host:port|off"))
    var http = "127.0.0.1:0"
    @Flag(name: .long, help: "Print the summary as one JSON object.") var json = false
    @Option(name: .customLong("log-format"), help: ArgumentHelp("The agent's log (agent.log in the data directory): "
                                                                + "text lines or one JSON object per line.", valueName: "text|json"))
    var logFormat: LogFormat = .text

    public init() {}

    public func run() throws {
        let faultSet: Set<FaultKind> = faults == "none" ? [] : try FaultKind.parseList(faults)
        let data = dataDir ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("vitalgate-demo-\(UUID().uuidString)").path
        let paths = DataPaths(data)
        try paths.ensureExists()
        let keys = FileManager.default.fileExists(atPath: paths.keyFile)
            ? try FileKeyStore.load(path: paths.keyFile) : try FileKeyStore.initialize(path: paths.keyFile)
        let broker = try LocalBroker()
        note("broker: mosquitto on \(broker.address) (config \(broker.directory.path)/mosquitto.conf)")
        note("vault:  \(paths.vault)")
        // What it stores it also delivers, as FHIR R4 NDJSON files (the embedded default sink).
        let delivery = FilePaths.join(data, "fhir")
        let address = try httpAddress()
        let agent = try AgentProcess(broker: broker.address, dataDirectory: data, gateway: Self.gateway,
                                     schemas: schemas, log: FilePaths.join(data, "agent.log"),
                                     extraArguments: ["--ndjson", delivery, "--http", address?.description ?? "off",
                                                      "--log-format", logFormat.rawValue])
        try agent.requireOnline(broker: broker.address)
        if let address { note("status: http://\(address)/ (also /metrics, /healthz, /readyz)") }
        note("agent online; simulating \(patients) patients for \(Int(duration)) s")
        let simulator = SimulatorConfig(patients: patients, seed: seed,
                                        startTime: Int64(Date().timeIntervalSince1970 * 1000),
                                        faults: faultSet, faultRate: faultSet.isEmpty ? 0 : faultRate,
                                        cuffProIntervalSeconds: 60)
        let publisher = try SimulationPublisher(configuration: .init(broker: broker.address, simulator: simulator))
        let started = Date()
        let report = try publisher.run(until: .simulatedSeconds(duration))
        let seen = agent.waitStored(messages: report.published, keys: keys, timeoutSeconds: 30)
        let elapsed = Date().timeIntervalSince(started)
        let (clean, peakKiB) = agent.stop()
        let stats = try Vault(path: paths.vault, keys: keys).stats()
        let summary = DemoSummary(published: report.published, faultsInjected: report.byFault.mapKeys(\.rawValue),
                                  processed: seen, stats: stats, elapsedSeconds: elapsed,
                                  agentPeakRSSKiB: peakKiB, cleanStop: clean, dataDirectory: data,
                                  gateway: Self.gateway, deliveryDirectory: delivery)
        print(json ? JSONWriter.canonicalString(summary.json) : summary.text)
        if seen < report.published || !clean { throw ExitCode(1) }
    }

    static let gateway = "demo-gw"

    /// The `--http` address with a free port for port 0 (the agent is told the port, so that the
    /// demo can print where its page is), or `nil` for `off`.
    private func httpAddress() throws -> ListenAddress? {
        guard http != "off", !http.isEmpty else { return nil }
        guard let address = ListenAddress(http) else {
            throw ValidationError("--http must be HOST:PORT, [IPV6]:PORT or off")
        }
        guard address.port == 0 else { return address }
        return ListenAddress(host: address.host, port: try ListenAddress.freePort(host: address.host))
    }

    private func note(_ text: String) {
        if !json { FileStream.standardError.write(text + "\n") }
    }
}

extension Dictionary {
    func mapKeys<K: Hashable>(_ transform: (Key) -> K) -> [K: Value] {
        Dictionary<K, Value>(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
