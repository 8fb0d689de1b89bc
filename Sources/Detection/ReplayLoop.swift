public import Telemetry

/// The replay loop shared by `vitalgate detect --replay` and tests: a recorded line
/// `{"t": arrival_ms, "topic": ..., "payload": {...}}` -> decoder -> engine -> alerts, with the
/// line's `t` as the clock. The decoder is injected so this target stays free of schemas.
public struct ReplayLoop: Sendable {
    public var engine: DetectionEngine
    public private(set) var alertCount = 0
    public private(set) var skippedLines = 0
    /// The longest recorded line parsed; longer ones are skipped.
    public static let maxLineBytes = 1 << 20
    private let parser = JSONParser(maxBytes: maxLineBytes, maxDepth: 16)
    /// The largest recorded `t` accepted (2^53 ms, far past any real clock).
    static let latestTime: Int64 = 1 << 53

    public init(engine: DetectionEngine) {
        self.engine = engine
    }

    /// Processes one recorded line; returns its arrival time, or `nil` when the line is not a
    /// recorded message (it is then counted in `skippedLines`).
    public mutating func process(line: ArraySlice<UInt8>, decode: (String, [UInt8], Int64) -> DecodeOutcome,
                                 emit: (Alert) -> Void) -> Int64? {
        guard let record = try? parser.parse(line),
              let t = record["t"]?.numberValue.flatMap({ Int64(exactly: $0) }),
              // A recorded clock is milliseconds since the epoch: outside 0...2^53 it is not a
              // time, and the decoder's and detectors' arithmetic on it would overflow.
              (0...Self.latestTime).contains(t),
              let topic = record["topic"]?.stringValue, let payload = record["payload"]
        else {
            skippedLines += 1
            return nil
        }
        let outcome = decode(topic, JSONWriter.canonicalBytes(payload), t)
        for alert in engine.process(outcome, at: t) {
            alertCount += 1
            emit(alert)
        }
        return t
    }
}
