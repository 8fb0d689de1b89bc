@testable import Simulator
import Telemetry

/// Shared helpers for the simulator tests.
enum Sim {
    static let start = SimulatorConfig.defaultStartTime

    /// Runs a simulator for `seconds` of simulated time, in `step`-second calls.
    static func run(_ config: SimulatorConfig, seconds: Int, step: Int = 60) throws -> [SimulatedMessage] {
        var simulator = try TelemetrySimulator(config: config)
        var out: [SimulatedMessage] = []
        var t = config.startTime
        let end = config.startTime + Int64(seconds) * 1000
        while t < end {
            t = min(end, t + Int64(step) * 1000)
            out += simulator.messages(until: t)
        }
        return out
    }

    static func parse(_ message: SimulatedMessage) -> JSONValue? {
        try? JSONParser().parse(message.payload)
    }

    static func topic(_ message: SimulatedMessage) -> DeviceTopic? { DeviceTopic(message.topic) }

    static func family(_ message: SimulatedMessage) -> DeviceFamily? {
        topic(message).flatMap { DeviceFamily(deviceID: $0.device.rawValue) }
    }

    static func isInteger(_ value: JSONValue?) -> Bool {
        guard let n = value?.numberValue else { return false }
        return n == n.rounded()
    }

    static func keys(_ value: JSONValue) -> Set<String> {
        Set((value.objectValue ?? []).map(\.key))
    }

    static func int(_ value: JSONValue?, _ key: String) -> Int? {
        value?[key]?.numberValue.map { Int($0) }
    }

    /// `seq` of a vitals/waveform payload.
    static func seq(_ message: SimulatedMessage) -> Int? {
        int(parse(message), "seq")
    }

    /// Device timestamp in ms: `ts`, `ts0`, or `t` (ISO 8601) parsed back.
    static func deviceTime(_ value: JSONValue) -> Int64? {
        if let ts = value["ts"]?.numberValue ?? value["ts0"]?.numberValue { return Int64(ts) }
        if let t = value["t"]?.stringValue { return parseISO(t) }
        return nil
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS(.mmm)Z` (the simulator's own format) to ms since the epoch.
    static func parseISO(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 20 || b.count == 24, b.last == UInt8(ascii: "Z") else { return nil }
        func num(_ range: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in range {
                guard (48...57).contains(b[i]) else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13),
              let mi = num(14..<16), let s = num(17..<19) else { return nil }
        let ms = b.count == 24 ? (num(20..<23) ?? 0) : 0
        // days from civil (H. Hinnant)
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms
    }

    /// Decoded waveform samples of a waveform payload.
    static func samples(_ value: JSONValue) -> [Int16]? {
        guard let text = value["uV"]?.stringValue, let bytes = Base64.decode(text) else { return nil }
        return int16LittleEndian(bytes)
    }
}

/// Little-endian int16 samples from bytes (a trailing odd byte is ignored).
func int16LittleEndian(_ bytes: [UInt8]) -> [Int16] {
    stride(from: 0, to: bytes.count - 1, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
}
