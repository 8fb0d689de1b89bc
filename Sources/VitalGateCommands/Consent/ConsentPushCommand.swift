public import ArgumentParser
import ConsentDocuments
import Cryptography
import Fleet
import FoundationEssentials
import MQTT
import Telemetry

/// `vitalgate consent push ENVELOPE --broker URL`: publishes a signed consent document (QoS 1,
/// not retained) on the consent topic of the gateway or group it targets, and waits for the
/// broker's PUBACK. A gateway receives it from its persistent session, also if it was offline.
public struct ConsentPushCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Publish a signed consent document (QoS 1, not retained) to its target's consent topic.")

    @Argument(help: "The signed envelope (from `consent sign`).") var envelope: String
    @Option(name: .long, help: "Broker URL, mqtt://host[:port] or mqtts://host[:port].") var broker: String

    public init() {}

    public func validate() throws {
        guard BrokerAddress(url: broker) != nil else { throw ValidationError("--broker must be mqtt://host[:port] or mqtts://host[:port]") }
    }

    public func run() throws {
        guard let data = FileManager.default.contents(atPath: envelope) else { throw ValidationError("cannot read \(envelope)") }
        let bytes = [UInt8](data)
        let signed = try SignedConsent(bytes: bytes)
        guard !signed.signatures.isEmpty else { throw ValidationError("\(envelope) carries no signature (use `consent sign`)") }
        let topic = switch signed.document.target {
        case .gateway(let id): GatewayTopics(gateway: id).consent
        case .group(let name): GatewayTopics.consent(group: name)
        }
        try FleetMQTT.publishRetained(MQTTOptions.Message(topic: topic, payload: bytes, qos: 1, retain: false),
                                      broker: BrokerAddress(url: broker)!)
        // The gateway's report on vitalgate/{gateway}/consent/reported names the document by this hash.
        print("pushed version \(signed.document.version) for \(signed.document.target.key) to \(topic) "
              + "(\(bytes.count) bytes, \(signed.signatures.count) signature(s)); envelope \(SHA256.hash(bytes).hexString)")
    }
}
