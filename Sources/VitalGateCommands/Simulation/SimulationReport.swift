public import Simulator
public import Telemetry
import FoundationEssentials

/// What a `SimulationPublisher` run published, counted from the messages actually handed to
/// the broker (not from the simulator's look-ahead).
public struct SimulationReport: Sendable, Equatable, CustomStringConvertible {
    /// Why the run ended.
    public enum StopReason: String, Sendable {
        /// The simulated duration was covered.
        case duration
        /// The message limit was reached.
        case messageLimit = "count"
        /// `stop()` returned true, `requestStop()` was called, or a signal arrived.
        case stopRequested = "stopped"
    }

    /// Messages handed to the broker (QoS 1).
    public var published = 0
    /// Publications whose PUBACK arrived; equals `published` after a clean end.
    public var acknowledged = 0
    /// Payload bytes published.
    public var payloadBytes = 0
    /// Published messages flagged retained (`info`, `pair`).
    public var retained = 0
    /// Published messages per device family (all topics).
    public var byFamily: [DeviceFamily: Int] = [:]
    /// Published messages from devices of no known family (the `unknown-device` fault).
    public var otherDevices = 0
    /// Published messages per topic kind.
    public var byKind: [MessageKind: Int] = [:]
    /// Published messages tagged with each fault kind.
    public var byFault: [FaultKind: Int] = [:]
    /// The simulator's start time (ms since the Unix epoch): rerun with it to get the same bytes.
    public var startTime: Int64 = 0
    /// Simulated time covered, ms (up to the last message's publish time).
    public var simulatedMilliseconds: Int64 = 0
    /// Wall-clock time from connect to the last acknowledgement, seconds.
    public var elapsedSeconds = 0.0
    /// Why the run ended.
    public var stopReason = StopReason.duration

    /// An empty report.
    public init() {}

    /// Published messages per wall-clock second.
    public var messagesPerSecond: Double { elapsedSeconds > 0 ? Double(published) / elapsedSeconds : 0 }

    /// Messages carrying any fault.
    public var faultMessages: Int { byFault.values.reduce(0, +) }

    /// Counts one published message.
    mutating func record(_ message: SimulatedMessage) {
        published += 1
        payloadBytes += message.payload.count
        if message.retain { retained += 1 }
        if let topic = DeviceTopic(message.topic) {
            byKind[topic.kind, default: 0] += 1
            if let family = DeviceFamily(deviceID: topic.device.rawValue) {
                byFamily[family, default: 0] += 1
            } else {
                otherDevices += 1
            }
        } else {
            otherDevices += 1
        }
        if let fault = message.fault { byFault[fault, default: 0] += 1 }
        simulatedMilliseconds = max(simulatedMilliseconds, message.at - startTime)
    }

    /// A few lines for people.
    public var description: String {
        let start = Date(timeIntervalSince1970: Double(startTime) / 1000)
        var lines = [
            "published \(published) messages (\(acknowledged) acknowledged) in "
                + "\(Self.fixed(elapsedSeconds, 2)) s: \(Self.fixed(messagesPerSecond, 1)) msg/s, "
                + "\(payloadBytes) payload bytes",
            "simulated \(Self.fixed(Double(simulatedMilliseconds) / 1000, 1)) s from "
                + "\(start.formatted(.iso8601)) (start \(startTime)); ended: \(stopReason.rawValue)",
        ]
        let families = DeviceFamily.allCases.compactMap { family in byFamily[family].map { "\(family) \($0)" } }
            + (otherDevices > 0 ? ["other \(otherDevices)"] : [])
        lines.append("by family: " + (families.isEmpty ? "none" : families.joined(separator: ", ")))
        let kinds = MessageKind.allCases.compactMap { kind in byKind[kind].map { "\(kind.rawValue) \($0)" } }
        lines.append("by kind: " + (kinds.isEmpty ? "none" : kinds.joined(separator: ", ")))
        let faults = FaultKind.allCases.compactMap { kind in byFault[kind].map { "\(kind) \($0)" } }
        lines.append("by fault: " + (faults.isEmpty ? "none" : faults.joined(separator: ", ")))
        return lines.joined(separator: "\n")
    }

    /// One JSON object (keys in a fixed order) for scripts.
    public var json: String {
        func object(_ pairs: [(String, Int)]) -> String {
            "{" + pairs.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        }
        let fields: [(String, String)] = [
            ("published", "\(published)"),
            ("acknowledged", "\(acknowledged)"),
            ("payload_bytes", "\(payloadBytes)"),
            ("retained", "\(retained)"),
            ("elapsed_seconds", Self.fixed(elapsedSeconds, 3)),
            ("messages_per_second", Self.fixed(messagesPerSecond, 1)),
            ("start_time", "\(startTime)"),
            ("simulated_seconds", Self.fixed(Double(simulatedMilliseconds) / 1000, 3)),
            ("stop_reason", "\"\(stopReason.rawValue)\""),
            ("by_family", object(DeviceFamily.allCases.compactMap { f in byFamily[f].map { (f.rawValue, $0) } })),
            ("other_devices", "\(otherDevices)"),
            ("by_kind", object(MessageKind.allCases.compactMap { k in byKind[k].map { (k.rawValue, $0) } })),
            ("by_fault", object(FaultKind.allCases.compactMap { k in byFault[k].map { (k.rawValue, $0) } })),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// `value` with `digits` decimals (a valid JSON number).
    private static func fixed(_ value: Double, _ digits: Int) -> String {
        String(printf: "%.\(digits)f", value.isFinite ? value : 0)
    }
}
