public import ArgumentParser
import Delivery
import FoundationEssentials
import Glibc
import HTTP
import LocalBroker
import MQTT
import Schemas
import Simulator
import Telemetry
import Vault

/// `vitalgate-bench delivery`: the `fhir` sink's delivery rate to the test FHIR server
/// (`Tests/DeliveryTests/Endpoint/fhir_endpoint.py`, without validation) against a plain HTTP
/// loop that POSTs the same transaction Bundles, prebuilt, through the same client, in ABBA
/// order, each run into an empty server. The agent's run is a whole catch-up: every record
/// of `--hours` of one bed, read from the vault, decrypted, mapped, posted, confirmed and its
/// cursor moved.
public struct BenchDeliveryCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "delivery",
        abstract: "FHIR delivery rate (the agent's worker) against a plain HTTP loop posting the same Bundles.")

    @Option(name: .long, help: "Hours of one bed (the simulator's devices, ECG included) in the vault.") var hours = 1.0
    @Option(name: .long, help: "ABBA pairs (each pair: agent, plain, plain, agent); 0: one agent run only (a catch-up).")
    var pairs = 2
    @Option(name: .long, help: "Records per transaction Bundle.") var batch = 100
    @Option(name: .long, help: "Python interpreter for the test FHIR server.") var python = "python3"
    @Option(name: .long, help: "The test FHIR server's script (default: the checkout's Tests/DeliveryTests/Endpoint/fhir_endpoint.py).")
    var endpoint: String?
    @Option(name: .long, help: "Directory of firmware schemas extending the built-in ones.") var schemas: String?
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    /// The test FHIR server, in the source checkout.
    static let endpointScript = "Tests/DeliveryTests/Endpoint/fhir_endpoint.py"

    public init() {}

    public func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-bench-delivery-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = GatewayKeys.generate()
        let vaultPath = directory + "/vault.sqlite"
        let fillStart = ContinuousClock.now
        let records = try Self.fill(vaultPath, keys: keys, hours: hours, schemas: schemas)
        let fillSeconds = (ContinuousClock.now - fillStart).seconds
        let mapping = FHIRMapping(gatewayID: "bench")
        let bodies = pairs > 0 ? try bundles(vaultPath, keys: keys, mapping: mapping) : []
        let bytes = bodies.reduce(0) { $0 + $1.count }

        var agent: [Double] = [], plain: [Double] = []
        // CPU seconds of each run: the server's, and this process's (the agent's worker, or the loop).
        var serverCPU: (agent: [Double], plain: [Double]) = ([], []), ownCPU: (agent: [Double], plain: [Double]) = ([], [])
        var run = 0
        let order = pairs > 0 ? Array(repeating: [true, false, false, true], count: pairs).flatMap { $0 } : [true]
        for isAgent in order {
            run += 1
            let server = try TestFHIRServer(python: python, script: endpoint ?? CheckoutFile.locate(Self.endpointScript), database: "\(directory)/fhir-\(run).sqlite",
                                            log: "\(directory)/fhir-\(run).log")
            defer { server.stop() }
            let ownBefore = Self.processCPUSeconds(), serverBefore = server.process.cpuSeconds ?? 0
            if isAgent {
                agent.append(try agentRun(vaultPath, keys: keys, mapping: mapping, url: server.url, cursor: "fhir-\(run)",
                                          records: records))
            } else {
                plain.append(try plainRun(bodies, url: server.url))
            }
            let own = Self.processCPUSeconds() - ownBefore, serverUsed = (server.process.cpuSeconds ?? 0) - serverBefore
            if isAgent {
                ownCPU.agent.append(own)
                serverCPU.agent.append(serverUsed)
            } else {
                ownCPU.plain.append(own)
                serverCPU.plain.append(serverUsed)
            }
        }
        let agentRate = Double(records) / Self.median(agent), plainRate = plain.isEmpty ? .nan : Double(records) / Self.median(plain)
        let pairwise = zip(agent, plain).map { $1 / $0 }  // ABBA: each agent run with the plain run beside it
        let report: [(String, JSONValue)] = [
            ("hours_of_one_bed", .number(hours)), ("records", .number(Double(records))),
            ("bundles", .number(Double(bodies.count))), ("bundle_mib", .number(Self.rounded(Double(bytes) / 1_048_576, 1))),
            ("fill_seconds", .number(Self.rounded(fillSeconds, 1))),
            ("agent_seconds", .array(agent.map { .number(Self.rounded($0, 2)) })),
            ("plain_seconds", .array(plain.map { .number(Self.rounded($0, 2)) })),
            ("agent_records_per_second", .number(Self.rounded(agentRate, 0))),
            ("plain_records_per_second", plain.isEmpty ? .null : .number(Self.rounded(plainRate, 0))),
            ("ratio_of_medians", plain.isEmpty ? .null : .number(Self.rounded(agentRate / plainRate, 3))),
            ("pairwise_ratios", .array(pairwise.map { .number(Self.rounded($0, 3)) })),
            ("catch_up_seconds", .number(Self.rounded(Self.median(agent), 1))),
            ("agent_cpu_us_per_record", .number(Self.rounded(Self.median(ownCPU.agent) / Double(records) * 1e6, 1))),
            ("plain_cpu_us_per_record", plain.isEmpty ? .null : .number(Self.rounded(Self.median(ownCPU.plain) / Double(records) * 1e6, 1))),
            ("server_cpu_us_per_record_agent_runs", .number(Self.rounded(Self.median(serverCPU.agent) / Double(records) * 1e6, 1))),
            ("server_cpu_us_per_record_plain_runs",
             plain.isEmpty ? .null : .number(Self.rounded(Self.median(serverCPU.plain) / Double(records) * 1e6, 1))),
        ]
        if json {
            print(JSONWriter.canonicalString(.object(report)))
        } else {
            for (key, value) in report { print("\(key): \(JSONWriter.canonicalString(value))") }
        }
    }

    /// `hours` of one simulated bed, decoded through the shipped schemas (`schemas` extending
    /// them), stored; returns the number of deliverable records.
    static func fill(_ path: String, keys: GatewayKeys, hours: Double, schemas: String?, beds: Int = 1) throws -> Int {
        let vault = try Vault(path: path, keys: keys, synchronous: .off)
        var decoder = MessageDecoder(catalog: try SchemaCatalog.builtIn(extendedBy: schemas))
        let config = SimulatorConfig(patients: beds, seed: 11)
        var simulator = try TelemetrySimulator(config: config)
        let end = config.startTime + Int64(hours * 3_600_000)
        var stored = 0
        var next = config.startTime
        while next < end {
            next = min(end, next + 600_000)
            var batch: [IncomingMessage] = []
            for message in simulator.messages(until: next) {
                batch.append(IncomingMessage(topic: message.topic, payload: message.payload, receivedAt: message.at,
                                             outcome: decoder.decode(topic: message.topic, payload: message.payload,
                                                                     receivedAt: message.at)))
                if batch.count == 2000 {
                    stored += try vault.store(batch).stored
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { stored += try vault.store(batch).stored }
        }
        return stored
    }

    /// The Bundles the sink posts, built once, for the plain loop.
    private func bundles(_ path: String, keys: GatewayKeys, mapping: FHIRMapping) throws -> [[UInt8]] {
        let vault = try Vault(path: path, keys: keys)
        var bodies: [[UInt8]] = []
        var cursor: Int64 = 0
        while true {
            let (entries, scanned) = try vault.outbox(after: cursor, limit: batch) { _, _ in }
            guard scanned > cursor else { return bodies }
            cursor = scanned
            if !entries.isEmpty { bodies.append(FHIRSink.transactionBundle(entries, mapping: mapping)) }
        }
    }

    private func agentRun(_ path: String, keys: GatewayKeys, mapping: FHIRMapping, url: String, cursor: String,
                          records: Int) throws -> Double {
        let vault = try Vault(path: path, keys: keys)
        let sink = try FHIRSink(name: cursor, baseURL: url, mapping: mapping, bundleRecords: batch)
        let worker = DeliveryWorker(configuration: .init(vaultPath: path, keys: keys, batchLimit: batch * 10,
                                                         batchBytes: 4 << 20), sink: sink)
        let start = ContinuousClock.now
        while worker.round(vault) == .progressed {}
        let elapsed = (ContinuousClock.now - start).seconds
        let delivered = try vault.sinkCursor(cursor).delivered
        guard delivered == Int64(records) else {
            throw ValidationError("the agent delivered \(delivered) of \(records) records (\(worker.metrics.failures))")
        }
        return elapsed
    }

    private func plainRun(_ bodies: [[UInt8]], url: String) throws -> Double {
        let client = try HTTPClient()
        let headers = [("Content-Type", "application/fhir+json"), ("Accept", "application/fhir+json")]
        let start = ContinuousClock.now
        for body in bodies {
            let response = try client.send(HTTPRequest(method: "POST", url: url, headers: headers, body: body))
            guard response.status == 200 else { throw ValidationError("the plain loop got HTTP \(response.status)") }
        }
        return (ContinuousClock.now - start).seconds
    }

    /// CPU time (user and system) this process has used so far.
    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func rounded(_ value: Double, _ digits: Int) -> Double {
        let scale = Double([1, 10, 100, 1000][digits])
        return (value * scale).rounded() / scale
    }
}

/// The test FHIR server as a child process on an ephemeral port, without validation.
private struct TestFHIRServer {
    let process: ChildProcess
    let url: String

    init(python: String, script: String, database: String, log: String) throws {
        let portFile = database + ".port"
        let executable = python.contains("/") ? python : "/usr/bin/env"
        let arguments = (python.contains("/") ? [] : [python]) + [script, "--db", database, "--no-validate", "--port-file", portFile]
        process = try ChildProcess(executable: executable, arguments: arguments, outputPath: log)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text.filter(\.isNumber)) {
                url = "http://127.0.0.1:\(port)"
                return
            }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        process.terminate(signal: SIGKILL)
        throw ValidationError("the test FHIR server did not start (\(log))")
    }

    func stop() {
        process.terminate(signal: SIGTERM)
        process.waitForExit()
    }
}
