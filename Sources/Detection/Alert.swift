public import Telemetry
import FoundationEssentials
import Glibc

/// What an alert is about: a device fault, the patient's condition, or a security concern.
public enum AlertCategory: String, Sendable, CaseIterable, Hashable {
    case fault
    case clinical
    case security
}

/// One alert raised by the detection engine.
///
/// `t` is the arrival-clock time (ms) at which it was raised; the evidence window
/// `evidenceStart...evidenceEnd` (arrival clock, ms) covers the data that caused it.
/// `patient` or `device` may be `nil`, never both.
public struct Alert: Sendable, Equatable {
    public var t: Int64
    public var patient: String?
    public var device: DeviceID?
    public var category: AlertCategory
    /// Free-text detector kind, e.g. `probe_off`, `flatline`, `tachycardia`, `replayed_segment`.
    public var kind: String
    /// Confidence in [0, 1]; alerts are only raised at or above `DetectionConfig.threshold`.
    public var score: Double
    public var evidenceStart: Int64
    public var evidenceEnd: Int64

    public init(t: Int64, patient: String?, device: DeviceID?, category: AlertCategory, kind: String,
                score: Double, evidenceStart: Int64, evidenceEnd: Int64) {
        self.t = t
        self.patient = patient
        self.device = device
        self.category = category
        self.kind = kind
        self.score = score
        self.evidenceStart = evidenceStart
        self.evidenceEnd = evidenceEnd
    }

    /// The alert as a JSON object (the replay CLI contract plus the evidence window).
    public var json: JSONValue {
        .object([
            ("t", .number(Double(t))),
            ("patient", patient.map { .string($0) } ?? .null),
            ("device", device.map { .string($0.rawValue) } ?? .null),
            ("category", .string(category.rawValue)),
            ("kind", .string(kind)),
            ("score", .number((score * 1000).rounded() / 1000)),
            ("evidence_start", .number(Double(evidenceStart))),
            ("evidence_end", .number(Double(evidenceEnd))),
        ])
    }

    /// One line of `alerts.jsonl` (canonical JSON, no trailing newline).
    public var jsonLine: String { JSONWriter.canonicalString(json) }

    /// Parses a line written by `jsonLine`; `nil` when it is not one.
    public init?(jsonLine: String) {
        guard let json = try? JSONParser().parse(jsonLine),
              let t = json["t"]?.numberValue.flatMap({ Int64(exactly: $0) }),
              let category = json["category"]?.stringValue.flatMap(AlertCategory.init(rawValue:)),
              let kind = json["kind"]?.stringValue,
              let score = json["score"]?.numberValue
        else { return nil }
        let patient = json["patient"]?.stringValue
        let device = json["device"]?.stringValue.flatMap { DeviceID($0) }
        guard patient != nil || device != nil else { return nil }
        self.init(t: t, patient: patient, device: device, category: category, kind: kind, score: score,
                  evidenceStart: json["evidence_start"]?.numberValue.flatMap { Int64(exactly: $0) } ?? t,
                  evidenceEnd: json["evidence_end"]?.numberValue.flatMap { Int64(exactly: $0) } ?? t)
    }
}

/// A detector's verdict before the ensemble gate: kind, category, score and evidence.
struct Finding: Equatable {
    var kind: String
    var category: AlertCategory
    var score: Double
    /// The device the finding is about; `nil` for patient-level findings.
    var device: DeviceID?
    var evidenceStart: Int64
    var evidenceEnd: Int64
    /// A finding of a windowed or trend statistic, whose evidence window lags the data: it is
    /// alerted once per episode (see `AlertGate`), not reminded while the window still holds
    /// old evidence after the condition ended.
    var episodic = false

    /// Maps a detector statistic onto [0, 1] so that `x == trigger` scores exactly
    /// `Finding.anchor` (the default alert threshold) and `scale` sets how fast it saturates.
    static func score(_ x: Double, trigger: Double, scale: Double) -> Double {
        let s = max(scale, 1e-9)
        if x >= trigger { return 1 - (1 - anchor) * exp(-(x - trigger) / s) }
        return anchor * exp(-(trigger - x) / s)
    }

    static let anchor = 0.92
}
