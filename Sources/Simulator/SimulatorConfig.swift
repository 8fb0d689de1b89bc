/// Everything that determines a simulated telemetry stream. Equal configurations give
/// byte-identical streams.
public struct SimulatorConfig: Sendable, Equatable {
    /// Number of patients; each wears one device of every family.
    public var patients: Int
    /// Seed of every random draw (ids, baselines, noise, faults).
    public var seed: UInt64
    /// Publish time of the first (retained) messages, milliseconds since the Unix epoch.
    public var startTime: Int64
    /// Fault kinds to inject; empty for a clean stream.
    public var faults: Set<FaultKind>
    /// Probability per vitals/waveform message that a fault is injected there (when `faults`
    /// is not empty). Each device rests for a while after a fault, so the realised rate is a
    /// little lower at high settings.
    public var faultRate: Double
    /// Relative weight of each fault kind when one is chosen (default 1 for every kind).
    public var faultWeights: [FaultKind: Double]
    /// Fraction of patients whose OxiPatch runs firmware 2.x (the rest run 1.x); patients are
    /// assigned evenly, independent of the seed (0.5: patients 1, 3, 5... run 2.x).
    public var oxiPatchV2Fraction: Double
    /// Fraction of patients whose ThermaDot runs 1.0.0 (Fahrenheit); the rest run 1.1.x.
    public var thermaDotFahrenheitFraction: Double
    /// CuffPro measurement interval in seconds (DEVICES.md: 5-60 min; shorter for demos).
    public var cuffProIntervalSeconds: Int
    /// ThermaDot reporting interval in seconds (DEVICES.md: 60).
    public var thermaDotIntervalSeconds: Int
    /// Whether CardioStrips publish one-second ECG waveform chunks.
    public var emitWaveform: Bool
    /// Benign, unlabelled device behaviour that DEVICES.md describes as normal: short OxiPatch
    /// no-signal episodes, CardioStrip lead-off, CuffPro `motion`/`cuff_leak`/`timeout`.
    public var benignArtifacts: Bool

    /// 2025-11-23T08:00:00Z, the epoch of the shared reference data.
    public static let defaultStartTime: Int64 = 1_763_884_800_000
    /// The fault rate used when faults are enabled and no rate is given.
    public static let defaultFaultRate = 0.002

    public init(patients: Int = 4,
                seed: UInt64 = 1,
                startTime: Int64 = SimulatorConfig.defaultStartTime,
                faults: Set<FaultKind> = [],
                faultRate: Double = SimulatorConfig.defaultFaultRate,
                faultWeights: [FaultKind: Double] = [:],
                oxiPatchV2Fraction: Double = 0.5,
                thermaDotFahrenheitFraction: Double = 0.35,
                cuffProIntervalSeconds: Int = 300,
                thermaDotIntervalSeconds: Int = 60,
                emitWaveform: Bool = true,
                benignArtifacts: Bool = true) {
        self.patients = patients
        self.seed = seed
        self.startTime = startTime
        self.faults = faults
        self.faultRate = faultRate
        self.faultWeights = faultWeights
        self.oxiPatchV2Fraction = oxiPatchV2Fraction
        self.thermaDotFahrenheitFraction = thermaDotFahrenheitFraction
        self.cuffProIntervalSeconds = cuffProIntervalSeconds
        self.thermaDotIntervalSeconds = thermaDotIntervalSeconds
        self.emitWaveform = emitWaveform
        self.benignArtifacts = benignArtifacts
    }

    /// Throws when a value is out of range.
    public func validate() throws(SimulatorError) {
        func check(_ ok: Bool, _ reason: String) throws(SimulatorError) {
            if !ok { throw SimulatorError(.invalidConfiguration, reason) }
        }
        try check((1...100_000).contains(patients), "patients must be in 1...100000")
        try check(startTime >= 0 && startTime < 253_402_300_800_000, "startTime must be in 1970...9999")
        try check((0...1).contains(faultRate), "faultRate must be in 0...1")
        try check(faultWeights.values.allSatisfy { $0 >= 0 && $0.isFinite }, "fault weights must be >= 0")
        try check((0...1).contains(oxiPatchV2Fraction), "oxiPatchV2Fraction must be in 0...1")
        try check((0...1).contains(thermaDotFahrenheitFraction), "thermaDotFahrenheitFraction must be in 0...1")
        try check((1...86_400).contains(cuffProIntervalSeconds), "cuffProIntervalSeconds must be in 1...86400")
        try check((1...86_400).contains(thermaDotIntervalSeconds), "thermaDotIntervalSeconds must be in 1...86400")
    }

    /// Vitals and waveform messages per second for `patients` patients, without the retained
    /// messages at start and without injected faults.
    public func expectedMessagesPerSecond(patients: Int) -> Double {
        Double(patients) * expectedMessagesPerSecondPerPatient
    }

    /// Vitals and waveform messages per second for the configured number of patients.
    public var expectedMessagesPerSecond: Double { expectedMessagesPerSecond(patients: patients) }

    /// Messages per second from one patient's five devices.
    public var expectedMessagesPerSecondPerPatient: Double {
        var rate = 3.0  // OxiPatch, CardioStrip vitals, ResPod at 1 Hz
        if emitWaveform { rate += 1 }
        rate += 1 / Double(max(1, thermaDotIntervalSeconds))
        rate += 1 / Double(max(1, cuffProIntervalSeconds))
        return rate
    }

    /// Expected vitals/waveform messages per family over `seconds` for all patients.
    public func expectedMessages(overSeconds seconds: Int) -> [DeviceFamily: Int] {
        [
            .oxiPatch: patients * seconds,
            .cardioStrip: patients * seconds * (emitWaveform ? 2 : 1),
            .thermaDot: patients * (seconds / max(1, thermaDotIntervalSeconds)),
            .cuffPro: patients * (seconds / max(1, cuffProIntervalSeconds)),
            .resPod: patients * seconds,
        ]
    }

    /// Evenly spread assignment of a fraction of patients (independent of the seed).
    static func isSelected(patient index: Int, fraction: Double) -> Bool {
        let upper = (Double(index + 1) * fraction + 1e-9).rounded(.down)
        let lower = (Double(index) * fraction + 1e-9).rounded(.down)
        return upper > lower
    }
}
