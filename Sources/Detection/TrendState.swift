/// Minute-level series of one patient's vital signs and the trend tests over them:
/// a deterioration index (signed z-scores of short medians against a lagged per-patient
/// baseline, plus the NEWS2 rise) and single-channel drift tests.
struct TrendState: Equatable, StateCodable {
    /// Vital signs tracked per minute, with the direction in which they worsen and a scale.
    enum Vital: Int, CaseIterable {
        case heartRate, respiratoryRate, spo2, systolic, temperature

        /// +1 when a rise is a deterioration, -1 when a fall is.
        var sign: Float {
            switch self {
            case .heartRate, .respiratoryRate, .temperature: 1
            case .spo2, .systolic: -1
            }
        }

        /// One z unit.
        var scale: Float {
            switch self {
            case .heartRate: 6
            case .respiratoryRate: 2.5
            case .spo2: 1.2
            case .systolic: 10
            case .temperature: 0.25
            }
        }
    }

    static let capacity = 150
    static let baselineFrom = 45     // minutes ago
    static let shortMinutes = 5
    /// Largest contribution of one vital to the deterioration index, so that one vital (or one
    /// drifting sensor) cannot raise a deterioration on its own.
    static let zCeiling: Float = 2.5
    /// Trend findings are reported from this far below their trigger (in index units; half of it
    /// in z units for the drift tests), with scores under 0.92, so that a per-kind threshold
    /// below the global one can make a kind more sensitive.
    static let candidateMargin = 2.0
    /// A deterioration of two vitals (instead of three) needs both at this z or more, and its
    /// index counts this much less.
    static let twoVitalMinimumZ: Float = 1.5
    static let twoVitalPenalty: Float = 0.5

    var nextMinute: Int64 = 0
    var minutes = Vital.allCases.map { _ in RingBuffer(capacity: capacity) }
    var activity = RingBuffer(capacity: capacity)
    /// The latest evaluation: z per vital, NEWS2 now, NEWS2 at baseline, index, activity.
    var lastEvaluation: [Float] = []

    /// Median of one vital over minutes `from..<to` ago whose activity stayed below `gate`.
    func median(_ vital: Vital, from: Int, to: Int, gate: Float, minimum: Int) -> Float? {
        let ring = minutes[vital.rawValue]
        var xs: [Float] = []
        guard from < min(to, ring.count) else { return nil }
        for k in from..<min(to, ring.count) {
            guard let x = ring.recent(k), !x.isNaN, let a = activity.recent(k), a < gate else { continue }
            xs.append(x)
        }
        guard xs.count >= minimum else { return nil }
        return RingBuffer.median(&xs)
    }

    func encode(to writer: inout StateWriter) {
        writer.write(nextMinute)
        writer.write(minutes)
        writer.write(activity)
        writer.write(lastEvaluation)
    }

    init() {}

    init(from reader: inout StateReader) throws(DetectionStateError) {
        nextMinute = try reader.read()
        minutes = try reader.read()
        activity = try reader.read()
        lastEvaluation = try reader.read()
        guard minutes.count == Vital.allCases.count else { throw DetectionStateError("malformed trend state") }
    }
}
