public import ArgumentParser
import Fleet
import FoundationEssentials
import MQTT
import Telemetry

/// `vitalgate fleet push ENVELOPE --broker URL --gateway ID|--group G`: publishes a signed
/// document retained on the target's desired-config topic and waits for the broker's PUBACK.
public struct FleetPushCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Publish a signed document (retained, QoS 1) to a gateway's or a group's desired-config topic.")

    @Argument(help: "The signed envelope (from `fleet sign`).") var envelope: String
    @Option(name: .long, help: "Broker URL, mqtt://host[:port] or mqtts://host[:port].") var broker: String
    @Option(name: .long, help: "Target gateway id.") var gateway: String?
    @Option(name: .long, help: "Target group.") var group: String?

    public init() {}

    public func validate() throws {
        guard (gateway == nil) != (group == nil) else { throw ValidationError("give exactly one of --gateway or --group") }
        guard BrokerAddress(url: broker) != nil else { throw ValidationError("--broker must be mqtt://host[:port] or mqtts://host[:port]") }
    }

    public func run() throws {
        guard let data = FileManager.default.contents(atPath: envelope) else { throw ValidationError("cannot read \(envelope)") }
        let bytes = [UInt8](data)
        let signed = try SignedConfig(bytes: bytes)
        let target: ConfigTarget = gateway.map { .gateway($0) } ?? .group(group!)
        guard signed.document.target == target else {
            throw ValidationError("the document targets \(signed.document.target.key), not \(target.key)")
        }
        let topic = switch target {
        case .gateway(let id): GatewayTopics(gateway: id).configDesired
        case .group(let name): GatewayTopics.configDesired(group: name)
        }
        try FleetMQTT.publishRetained(MQTTOptions.Message(topic: topic, payload: bytes, qos: 1, retain: true),
                                      broker: BrokerAddress(url: broker)!)
        print("pushed version \(signed.document.version) for \(target.key) to \(topic) (\(bytes.count) bytes, \(signed.signatures.count) signature(s))")
    }
}
