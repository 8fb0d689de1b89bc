import VitalGateCommands
public import ArgumentParser
import MQTT

/// `vitalgate bench drain` (hidden; started by `bench ingest`): the agent's MQTT client alone.
/// It resumes a persistent session and drains `--messages` deliveries with the same
/// receive → acknowledge loop and batch size as `run`, decoding and storing nothing: the
/// floor under the agent's ingest rate that this client and libmosquitto set.
public struct BenchDrainCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Drain a queued session with the agent's MQTT client only (for bench ingest).",
        shouldDisplay: false)

    @Option(name: .long, help: "Broker, mqtt://HOST:PORT.") var broker: String
    @Option(name: .long, help: "Client id of the persistent session to resume.") var clientID: String
    @Option(name: .long, help: "Deliveries to receive before disconnecting.") var messages: Int
    @Option(name: .long, help: "Messages per receive/acknowledge round (the agent's default batch).")
    var batch = 100

    public init() {}

    public func run() throws {
        guard let address = BrokerAddress(url: broker) else { throw ValidationError("invalid --broker \(broker)") }
        var options = MQTTOptions(broker: address, clientID: clientID)
        options.maxInflight = UInt16(batch)
        let client = try MQTTClient(options: options)
        try client.connect()
        var received = 0
        while received < messages {
            received += try client.receive(timeoutMs: 100, maxMessages: batch).count
            try client.acknowledge()
        }
        client.disconnect()
    }
}
