/// Tunables of the detection engine. Defaults were chosen on the development seeds and the
/// tuning families only (see BENCHMARKS.md); every detector maps its statistic so that its
/// trigger point scores exactly 0.92, so `threshold` moves all detectors together, and
/// `kindOffsets` moves single kinds to their calibrated false-alarm rate.
public struct DetectionConfig: Sendable, Equatable {
    /// Minimum score for a finding to become an alert.
    public var threshold: Double = 0.92
    /// A condition that persists is re-alerted at most this often (ms), per device or patient and kind.
    public var repeatIntervalMs: Int64 = 600_000
    /// An episodic (windowed or trend) finding starts a new episode, and may alert again, only
    /// after it has been absent for this long (ms); within an episode it is not reminded.
    public var episodeClearMs: Int64 = 300_000
    /// Consecutive no-signal readings before a channel counts as "signal lost".
    public var signalLostReadings: Int = 3
    /// Consecutive identical outputs of a 1 Hz device before it counts as flatlined.
    public var flatlineReadings: Int = 30
    /// Consecutive identical values of one heart/pulse/respiratory-rate channel before it counts as stuck.
    public var stuckChannelReadings: Int = 120
    /// Duplicate messages (same seq and device time) within 3 s that make a flood.
    public var floodDuplicates: Int = 15
    /// Batched deliveries (a silence followed by a burst) within `batchWindowMs` that make a timing anomaly.
    public var timingBatches: Int = 3
    public var batchWindowMs: Int64 = 90_000
    /// Sampled replay fingerprints that must match earlier data, out of the last `replayWindow`.
    public var replayMatches: Int = 5
    public var replayWindow: Int = 6
    /// Consecutive once-a-minute tests in which the latest 4 minutes of a motion sensor's
    /// accelerometer match one earlier stretch at the same lag (a replay re-sent with noise; `ReplayTrace`).
    public var replayTraceTests: Int = 3
    /// Heart rate from the ECG may differ from the rate implied by its RR intervals by this much (/min).
    public var hrIntervalTolerance: Double = 12
    /// Robust spread (/min) of the 10-s residual oximeter pulse minus ECG heart rate over 5 minutes
    /// above which the two sources no longer track the same heart (spoofed or replayed source).
    public var pulseSpreadLimit: Double = 1.2
    /// Median of that residual (/min) beyond which the sources disagree on the level.
    public var pulseOffsetLimit: Double = 5
    /// Deterioration index (sum of signed z-scores against the patient's lagged baseline plus half
    /// the NEWS2 rise) that raises a deterioration alert.
    public var deteriorationTrigger: Double = 4.0
    /// Activity level (from the motion sensor, 0...1) above which clinical trend tests are held.
    public var activityGate: Double = 0.15

    /// Per alert kind, added to `threshold` (so raising `threshold` still makes every detector
    /// stricter at once). Calibrated on the tuning families to a stated false-alarm rate per kind
    /// (docs/DETECTION.md, "Calibration"); kinds not listed use `threshold` itself.
    public var kindOffsets: [String: Double] = DetectionConfig.calibratedOffsets

    /// The calibration of issue 23 (tools/sim/calibrate.py on tuning families A and B and the dev set).
    public static let calibratedOffsets: [String: Double] = ["drift_spo2": -0.61]

    /// The alert threshold of one kind of finding.
    public func threshold(for kind: String) -> Double { threshold + (kindOffsets[kind] ?? 0) }

    /// Defaults.
    public init() {}

    /// Defaults with another alert threshold.
    public init(threshold: Double) { self.threshold = threshold }
}
