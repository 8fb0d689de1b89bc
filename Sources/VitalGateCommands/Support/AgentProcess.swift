import FoundationEssentials
import Glibc
public import LocalBroker
public import MQTT
import Telemetry
public import HTTPServer
public import Vault

/// The agent (`vitalgate run`) as a child process, for `demo` and `bench`: its memory is
/// measured on its own (peak RSS from `wait4`) and it is stopped with SIGTERM like in production.
public final class AgentProcess {
    public let process: ChildProcess
    public let dataDirectory: String
    public let gateway: String
    /// Where its output goes.
    public let log: String
    /// Where its HTTP endpoints listen, when this object chose the address.
    public let httpAddress: ListenAddress?

    /// The running executable.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The agent's executable, to start `run` in a child: this one, or for `vitalgate-bench`
    /// the `vitalgate` beside it.
    public static var executable: String {
        let current = currentExecutable
        return current.hasSuffix("-bench") ? String(current.dropLast("-bench".count)) : current
    }

    /// Starts `executable run ...` (by default this executable), with `--schemas schemas` when given,
    /// and its HTTP endpoints on a free loopback port unless `extraArguments` gives `--http`.
    public init(broker: BrokerAddress, dataDirectory: String, gateway: String, schemas: String? = nil, log: String,
         extraArguments: [String] = [], executable: String? = nil) throws {
        self.dataDirectory = dataDirectory
        self.gateway = gateway
        self.log = log
        httpAddress = extraArguments.contains("--http") ? nil
            : ListenAddress(host: "127.0.0.1", port: try ListenAddress.freePort(host: "127.0.0.1"))
        process = try ChildProcess(
            executable: executable ?? Self.executable,
            arguments: ["run", "--broker", broker.description, "--data-dir", dataDirectory, "--gateway", gateway]
                + (schemas.map { ["--schemas", $0] } ?? []) + extraArguments
                + (httpAddress.map { ["--http", $0.description] } ?? []),
            outputPath: log)
    }

    /// Waits until the agent's retained `online` status is on the broker.
    public func waitOnline(broker: BrokerAddress, timeoutMs: Int = 15_000) throws -> Bool {
        let watcher = try MQTTClient(options: MQTTOptions(broker: broker, clientID: "vitalgate-watch-\(getpid())",
                                                          persistentSession: false))
        try watcher.connect()
        defer { watcher.disconnect() }
        try watcher.subscribe(GatewayTopics(gateway: gateway).status, qos: 1)
        var waited = 0
        while waited < timeoutMs {
            let messages = try watcher.receive(timeoutMs: 50)
            try watcher.acknowledge()
            if messages.contains(where: { $0.payload == Array("online".utf8) }) { return true }
            guard process.isRunning else { return false }
            waited += 50
        }
        return false
    }

    /// Waits until the agent is online (``waitOnline(broker:timeoutMs:)``); otherwise stops it
    /// and throws why: its own `Error:` line and exit status when it exited, else a timeout.
    public func requireOnline(broker: BrokerAddress) throws {
        if try waitOnline(broker: broker) { return }
        let exited = !process.isRunning
        _ = stop()
        let output = FileManager.default.contents(atPath: log).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let error = output.split(separator: "\n").last(where: { $0.hasPrefix("Error: ") })?.dropFirst("Error: ".count)
        guard exited, let error else {
            throw CommandFailure("the agent did not come online within 15 s (its log: \(log))")
        }
        throw CommandFailure("the agent did not start: \(error) (its log: \(log))",
                             status: process.exitCode.flatMap(ExitStatus.init(rawValue:)) ?? .failure)
    }

    /// Polls the vault (read side, another connection) until `messages` were stored or quarantined.
    public func waitStored(messages: Int, keys: GatewayKeys, timeoutSeconds: Double) -> Int {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var seen = 0
        while Date() < deadline && process.isRunning {
            if let vault = try? Vault(path: DataPaths(dataDirectory).vault, keys: keys),
               let stats = try? vault.stats() {
                seen = stats.messages
                if seen >= messages { break }
            }
            usleep(200_000)
        }
        return seen
    }

    /// SIGTERM, wait; returns (clean exit, the agent's own peak RSS in KiB, read just before the signal).
    public func stop() -> (clean: Bool, peakRSSKiB: Int?) {
        let peak = process.currentPeakRSSKiB
        process.terminate(signal: SIGTERM)
        return (process.exitCode == 0, peak)
    }
}
