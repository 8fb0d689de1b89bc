/// Counts of what the simulator has emitted so far.
public struct SimulationSummary: Sendable, Equatable, CustomStringConvertible {
    /// Messages returned by `messages(until:)`.
    public var messages = 0
    /// Returned messages per device family (all topics); unknown devices are counted in `otherDevices`.
    public var byFamily: [DeviceFamily: Int] = [:]
    /// Messages from devices of no known family (the `unknownDevice` fault).
    public var otherDevices = 0
    /// Returned messages per topic kind.
    public var info = 0
    public var pair = 0
    public var vitals = 0
    public var waveform = 0
    /// Fault injections decided so far, per kind (one per event, however many messages it touches).
    public var faultEvents: [FaultKind: Int] = [:]
    /// Returned messages tagged with each fault kind.
    public var faultMessages: [FaultKind: Int] = [:]
    /// Payload bytes returned.
    public var payloadBytes = 0

    public init() {}

    /// Total fault injections.
    public var totalFaultEvents: Int { faultEvents.values.reduce(0, +) }

    public var description: String {
        var parts = ["\(messages) messages (\(vitals) vitals, \(waveform) waveform, \(info) info, \(pair) pair)"]
        let families = DeviceFamily.allCases.compactMap { family in
            byFamily[family].map { "\(family.model) \($0)" }
        }
        if !families.isEmpty { parts.append(families.joined(separator: ", ")) }
        if otherDevices > 0 { parts.append("unknown devices \(otherDevices)") }
        let faults = FaultKind.allCases.compactMap { kind in
            faultEvents[kind].map { "\(kind.rawValue) \($0) (\(faultMessages[kind] ?? 0) msgs)" }
        }
        if !faults.isEmpty { parts.append("faults: " + faults.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }
}
