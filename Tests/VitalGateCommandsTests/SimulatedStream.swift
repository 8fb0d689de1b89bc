import Simulator

/// What the simulator generates for `seconds` of simulated time (messages before the end).
func generated(_ config: SimulatorConfig, seconds: Int) throws -> [SimulatedMessage] {
    var simulator = try TelemetrySimulator(config: config)
    return simulator.messages(until: config.startTime + Int64(seconds) * 1000 - 1)
}

/// The payloads of each topic, in order: streams compare equal whatever the interleaving of topics.
func byTopic(_ topicsAndPayloads: [(String, [UInt8])]) -> [String: [[UInt8]]] {
    Dictionary(grouping: topicsAndPayloads, by: \.0).mapValues { $0.map(\.1) }
}
