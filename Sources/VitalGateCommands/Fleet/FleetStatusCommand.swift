public import ArgumentParser
import Fleet
import FoundationEssentials
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
        let messages = try FleetMQTT.collect(filter: GatewayTopics.everyConfigReported, broker: BrokerAddress(url: broker)!,
                                             waitMs: waitMs)
        var reports: [String: ConfigReport] = [:]
        for message in messages where !message.payload.isEmpty {
            guard let value = try? JSONParser().parse(message.payload), let report = try? ConfigReport(json: value) else {
                FileStream.standardError.write("ignoring a malformed report on \(message.topic)\n")
                continue
            }
            reports[report.gateway] = report
        }
        let sorted = reports.sorted { $0.key < $1.key }
        if json {
            print(JSONWriter.canonicalString(.object(sorted.map { ($0.key, $0.value.json) })))
            return
        }
        print(Self.column("gateway", 20) + " status       target               version  running / reason")
        for (gateway, report) in sorted {
            let running = report.running.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let columns = [Self.column(gateway, 20),
                           Self.column(report.status.rawValue, 12),
                           Self.column((report.target ?? "-"), 20),
                           Self.column((report.version.map(String.init) ?? "-"), 8),
                           running + (report.reason.map { "  " + $0 } ?? "")]
            print(columns.joined(separator: " "))
        }
        if sorted.isEmpty { print("(no gateway has reported on this broker)") }
    }

    /// `text` cut or padded with spaces to `width` characters.
    private static func column(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
    }
}
