import Foundation
import LocalBroker
import MQTT
import Simulator
import Telemetry
import Testing
@testable import VitalGateCommands
import VitalGateTesting

/// `vitalgate simulate`: each option changes what reaches the broker or how it gets there. The
/// binary runs against a fresh broker that logs every connection (client id and protocol).
@Suite struct SimulateCommandTests {
    struct Run {
        var output: String
        var received: [InboundMessage]
        var brokerLog: String
        /// The `--json` report.
        func report() throws -> JSONValue { try JSONParser().parse(Array(output.utf8)) }
        /// The broker's log line of the connection of client `id` (a prefix of it).
        func connection(as id: String) -> Substring? {
            brokerLog.split(separator: "\n").first { $0.contains("New client connected") && $0.contains(" as \(id)") }
        }
    }

    /// Runs `vitalgate simulate --broker <fresh broker> arguments` to completion; returns its
    /// output, everything a subscriber to `wban/v1/#` received, and the broker's log.
    private func simulate(_ arguments: [String]) throws -> Run {
        let dir = try TemporaryDirectory(prefix: "vitalgate-simulate")
        defer { dir.remove() }
        // `-v` logs every connection ("New client connected … as <id> (p<protocol level>, …").
        let verbose = dir.appending("mosquitto-verbose").path
        try "#!/bin/sh\nexec \(try LocalBroker.findMosquitto()) \"$@\" -v\n".write(toFile: verbose, atomically: true,
                                                                                  encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: verbose)
        let broker = try LocalBroker(executable: verbose)
        let subscriber = try MQTTTestClient.connect(broker.address, id: "subscriber")
        try subscriber.subscribe("wban/v1/#", qos: 1)
        let run = try AgentBinary.run(["simulate", "--broker", broker.address.description] + arguments,
                                      log: dir.appending("simulate.txt").path)
        #expect(run.code == 0, "\(run.output)")
        var received: [InboundMessage] = []
        while true {  // until half a second passes without a message
            let more = try MQTTTestClient.collect(subscriber, count: .max, timeoutMs: 500)
            if more.isEmpty { break }
            received += more
        }
        subscriber.disconnect()
        let log = try String(contentsOf: broker.directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)
        return Run(output: run.output, received: received, brokerLog: log)
    }

    @Test func optionsShapeThePublishedStreamAndTheConnection() throws {
        let run = try simulate([
            "--patients", "1", "--seed", "42", "--start", "reference", "--duration", "60", "--speed", "0",
            "--cuff-interval", "20", "--no-waveform", "--faults", "duplicate", "--fault-rate", "0.05",
            "--client-id", "sim-cli", "--protocol", "3.1.1", "--json",
        ])
        let config = SimulatorConfig(patients: 1, seed: 42, startTime: SimulatorConfig.defaultStartTime,
                                     faults: [.duplicate], faultRate: 0.05, cuffProIntervalSeconds: 20, emitWaveform: false)
        let expected = try generated(config, seconds: 60)
        #expect(run.received.count == expected.count)
        #expect(byTopic(run.received.map { ($0.topic, $0.payload) }) == byTopic(expected.map { ($0.topic, $0.payload) }),
                "the stream of --patients, --seed, --start, --duration, --cuff-interval, --no-waveform and --faults")
        // Each option visibly at work in that stream.
        let topics = run.received.compactMap { DeviceTopic($0.topic) }
        #expect(Set(topics.map(\.device)).count == 5, "one patient wears five devices")
        #expect(!topics.contains { $0.kind == .waveform })
        #expect(topics.filter { $0.kind == .vitals && DeviceFamily(deviceID: $0.device.rawValue) == .cuffPro }.count == 3,
                "a blood pressure every 20 s for 60 s")

        let report = try run.report()
        #expect(report["published"]?.numberValue == Double(expected.count))
        #expect(report["acknowledged"]?.numberValue == Double(expected.count))
        #expect(report["stop_reason"]?.stringValue == "duration")
        #expect(report["start_time"]?.numberValue == Double(SimulatorConfig.defaultStartTime))
        #expect(report["by_kind"]?.objectValue?.contains { $0.key == "waveform" } == false)
        #expect(report["by_fault"]?.objectValue?.map(\.key) == ["duplicate"])
        #expect((report["by_fault"]?["duplicate"]?.numberValue ?? 0) > 0)
        #expect((report["elapsed_seconds"]?.numberValue ?? .infinity) < 30, "--speed 0 does not wait out the 60 s")
        let connection = try #require(run.connection(as: "sim-cli "), "--client-id: \(run.brokerLog)")
        #expect(connection.contains("(p2,"), "--protocol 3.1.1 (mosquitto logs MQTT 3.1.1 as p2): \(connection)")
    }

    @Test func aCountStopsThePublishingAndPeopleGetTheSummaryByDefault() throws {
        let run = try simulate(["--patients", "1", "--seed", "42", "--start", "reference", "--speed", "0", "--count", "25"])
        let config = SimulatorConfig(patients: 1, seed: 42, startTime: SimulatorConfig.defaultStartTime)
        let expected = try generated(config, seconds: 60).prefix(25)
        #expect(byTopic(run.received.map { ($0.topic, $0.payload) }) == byTopic(expected.map { ($0.topic, $0.payload) }))
        #expect(run.output.contains("published 25 messages (25 acknowledged)") && run.output.contains("ended: count"),
                "\(run.output)")
        #expect(throws: JSONError.self) { try run.report() }  // without --json: lines for people
        let connection = try #require(run.connection(as: "vitalgate-simulator-"), "the default client id: \(run.brokerLog)")
        #expect(connection.contains("(p5,"), "MQTT 5 by default: \(connection)")
    }

    @Test func speedPacesThePublishingInWallClockTime() throws {
        let run = try simulate(["--patients", "1", "--start", "reference", "--speed", "4", "--duration", "8", "--json"])
        let report = try run.report()
        #expect(report["stop_reason"]?.stringValue == "duration")
        #expect((report["elapsed_seconds"]?.numberValue ?? 0) >= 1.5, "8 simulated seconds at 4x take about 2 s")
    }

    @Test func defaultsDescribeTheDocumentedSimulation() throws {
        let command = try SimulateCommand.parse([])
        #expect(try command.simulatorConfig(startTime: 123)
            == SimulatorConfig(patients: 4, seed: 1, startTime: 123, faults: [], cuffProIntervalSeconds: 300, emitWaveform: true))
        #expect(command.parseStart(now: 1_763_884_800_000) == 1_763_884_800_000, "--start now")
        #expect(try SimulateCommand.parse(["--start", "1700000000000"]).parseStart(now: 5) == 1_700_000_000_000)
    }

    @Test(arguments: [
        ["--broker", "tcp://x"], ["--protocol", "4"], ["--speed=-1"], ["--duration", "0"], ["--count", "0"],
        ["--faults", "duplicate,bogus"], ["--fault-rate", "0.1"], ["--faults", "all", "--fault-rate", "2"],
        ["--patients", "0"], ["--cuff-interval", "0"], ["--start", "yesterday"], ["--max-inflight", "0"],
    ])
    func rejectsBadOptions(_ arguments: [String]) {
        #expect(throws: (any Error).self) { try SimulateCommand.parse(arguments) }
    }
}
