public import ArgumentParser
import Fleet
import Foundation
import MQTT
import Telemetry

/// `vitalgate fleet status --broker URL`: the reported configuration state of every gateway
/// that has reported on this broker (read from the retained report topics).
public struct FleetStatusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the reported configuration state of every gateway seen on the broker.")

    @Option(name: .long, help: "Broker URL, mqtt://host[:port] or mqtts://host[:port].") var broker: String
    @Option(name: .long, help: "How long to collect retained reports, ms.") var waitMs = 1_000
    @Flag(name: .long, help: "Print one JSON object keyed by gateway.") var json = false

    public init() {}

    public func validate() throws {
        guard BrokerAddress(url: broker) != nil else { throw ValidationError("--broker must be mqtt://host[:port] or mqtts://host[:port]") }
    }

    public func run() throws {
        let messages = try FleetMQTT.collect(filter: "vitalgate/+/config/reported", broker: BrokerAddress(url: broker)!,
                                             waitMs: waitMs)
        var reports: [String: ConfigReport] = [:]
        for message in messages where !message.payload.isEmpty {
            guard let value = try? JSONParser().parse(message.payload), let report = try? ConfigReport(json: value) else {
                FileHandle.standardError.write(Data("ignoring a malformed report on \(message.topic)\n".utf8))
                continue
            }
            reports[report.gateway] = report
        }
        let sorted = reports.sorted { $0.key < $1.key }
        if json {
            print(JSONWriter.canonicalString(.object(sorted.map { ($0.key, $0.value.json) })))
            return
        }
        print("gateway".padding(toLength: 20, withPad: " ", startingAt: 0) + " status       target               version  running / reason")
        for (gateway, report) in sorted {
            let running = report.running.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let columns = [gateway.padding(toLength: 20, withPad: " ", startingAt: 0),
                           report.status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0),
                           (report.target ?? "-").padding(toLength: 20, withPad: " ", startingAt: 0),
                           (report.version.map(String.init) ?? "-").padding(toLength: 8, withPad: " ", startingAt: 0),
                           running + (report.reason.map { "  " + $0 } ?? "")]
            print(columns.joined(separator: " "))
        }
        if sorted.isEmpty { print("(no gateway has reported on this broker)") }
    }
}
