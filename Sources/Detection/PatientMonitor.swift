import Telemetry

/// Per-patient, cross-device detectors: ECG/oximeter pulse coupling (spoofing, replay),
/// arrhythmia and desaturation on short rolling medians, activity from the motion sensor,
/// posture/motion consistency, and the minute-level trend tests (NEWS2 deterioration, drift).
struct PatientMonitor: Equatable {
    // short windows, 1 Hz
    var heartRate = RingBuffer(capacity: 60)
    var heartRateAt: Int64 = 0
    var pulseRate = RingBuffer(capacity: 60)
    var pulseRateAt: Int64 = 0
    var spo2 = RingBuffer(capacity: 60)
    var respiratoryRate = RingBuffer(capacity: 60)
    var spo2Baseline = EWMA()
    var desaturationSince: Int64?
    // HR/PR coupling: 10-s block means (device clock) of both sources and their residual
    var coupling = PulseCoupling()
    var decoupledSince: Int64?
    // activity and posture from the motion sensor
    var gravity: [Float] = [0, 0, 1]
    var motionPower = EWMA()
    var postureMismatchRun = 0
    // sparse channels
    var lastTemperature: Float?
    var lastTemperatureAt: Int64 = 0
    var systolic = RingBuffer(capacity: 3)
    var systolicAt: Int64 = 0
    // minute-level trends
    var trends = TrendState()

    static func == (a: PatientMonitor, b: PatientMonitor) -> Bool {
        a.heartRate == b.heartRate && a.pulseRate == b.pulseRate && a.spo2 == b.spo2
            && a.respiratoryRate == b.respiratoryRate && a.coupling == b.coupling
            && a.trends == b.trends && a.gravity == b.gravity && a.systolic == b.systolic
    }

    /// How long a desaturation must persist while the patient is active (ms).
    static let motionArtefactMs: Int64 = 30_000
    /// A patient whose median heart rate over the last hour is below this (/min) is habitually slow.
    static let slowHeartBaseline: Float = 55
    /// Time constant (readings) of the SpO2 baseline while the saturation is 3 or more points under it.
    static let fallBaselineReadings: Float = 1200
    /// Of the latest 30 paired seconds, this many with oximeter pulse and ECG heart rate more
    /// than `plethMismatchBpm` apart mark the oximeter's pleth as corrupted (probe motion).
    static let plethMismatchSeconds = 5
    static let plethMismatchBpm: Float = 5
    /// A change of at least this many SpO2 points between consecutive readings is an artefact's
    /// edge: arterial saturation cannot move that fast (circulation time, oxygen stores).
    static let saturationStep: Float = 4
    /// How many of the latest SpO2 readings are searched for such an edge: as long as the
    /// longest single motion artefacts (45 s), so a dip's start edge is still in view when its
    /// end edge comes; a fall that stays down is reported once its edge has left the window.
    static let saturationStepReadings = 45
    /// While an edge is in view, a fall is reported only once it has persisted this long (ms),
    /// longer than clusters of overlapping artefacts.
    static let steppedFallMs: Int64 = 90_000

    /// True when the latest `saturationStepReadings` SpO2 readings kept contain two consecutive readings
    /// `saturationStep` or more apart, in either direction: the edge of a probe-motion artefact
    /// (a dip that starts or ends within a second), not the slope of a physiological fall.
    func saturationStepped() -> Bool {
        guard var next = spo2.recent(0) else { return false }
        for k in 1..<min(spo2.count, Self.saturationStepReadings) {
            guard let x = spo2.recent(k) else { break }
            if abs(next - x) >= Self.saturationStep { return true }
            next = x
        }
        return false
    }

    /// True when the ECG is present and, over the latest 30 seconds, the oximeter's pulse rate
    /// disagrees with it in at least `plethMismatchSeconds` of them: the photoplethysmogram the
    /// saturation is computed from is corrupted (probe motion), whatever the chest sensor shows.
    func plethDisagrees(at now: Int64) -> Bool {
        guard now - heartRateAt < 5000, now - pulseRateAt < 5000 else { return false }
        let n = min(30, heartRate.count, pulseRate.count)
        var mismatched = 0
        for k in 0..<n {
            guard let h = heartRate.recent(k), let p = pulseRate.recent(k) else { break }
            if abs(h - p) > Self.plethMismatchBpm { mismatched += 1 }
        }
        return mismatched >= Self.plethMismatchSeconds
    }

    /// Activity level 0...1 estimated from the accelerometer's dynamic component.
    var activity: Double {
        guard motionPower.samples > 0 else { return 0 }
        let perAxis = max(0, Double(motionPower.mean) / 3 - 0.0004)
        return min(1, perAxis.squareRoot() / 0.3)
    }

    private func finding(_ kind: String, _ category: AlertCategory, _ score: Double, from start: Int64,
                         to end: Int64, episodic: Bool = false) -> Finding {
        Finding(kind: kind, category: category, score: score, device: nil, evidenceStart: start, evidenceEnd: end,
                episodic: episodic)
    }

    /// Feeds one fresh reading of one of the patient's devices.
    mutating func observe(_ reading: Reading, role: DeviceRole, at now: Int64, config: DetectionConfig,
                          findings: inout [Finding]) {
        switch role {
        case .ecg:
            guard let hr = reading.number(Channel.heartRate), (25...250).contains(hr) else { break }
            heartRate.append(Float(hr))
            heartRateAt = now
            observeCoupling(heart: Float(hr), deviceTime: reading.deviceTime, at: now, config: config,
                            findings: &findings)
            checkRhythm(at: now, config: config, findings: &findings)
        case .oximeter:
            let pr = reading[Channel.pulseRate]
            if case .number(let x)? = pr?.value, (25...250).contains(x), (pr?.quality ?? 1) >= 0.85 {
                pulseRate.append(Float(x))
                pulseRateAt = now
                observeCoupling(pulse: Float(x), deviceTime: reading.deviceTime, at: now, config: config,
                                findings: &findings)
            }
            let sat = reading[Channel.spo2]
            if case .number(let x)? = sat?.value, (50...100).contains(x), (sat?.quality ?? 1) >= 0.85 {
                spo2.append(Float(x))
                checkSaturation(at: now, config: config, findings: &findings)
            }
        case .respiration:
            if let rr = reading.number(Channel.respiratoryRate), (3...60).contains(rr) {
                respiratoryRate.append(Float(rr))
            }
            observeMotion(reading, at: now, findings: &findings)
        case .thermometer:
            if let t = reading.number(Channel.temperature), (30...43).contains(t) {
                lastTemperature = Float(t)
                lastTemperatureAt = now
            }
        case .bloodPressure:
            if let s = reading.number(Channel.systolic), let d = reading.number(Channel.diastolic), d < s,
               (50...260).contains(s) {
                systolic.append(Float(s))
                systolicAt = now
            }
        case .unknown:
            break
        }
        tickTrends(at: now, config: config, findings: &findings)
    }

    // MARK: ECG vs oximeter coupling

    private mutating func observeCoupling(heart: Float? = nil, pulse: Float? = nil, deviceTime: Int64, at now: Int64,
                                          config: DetectionConfig, findings: inout [Finding]) {
        guard coupling.add(heart: heart, pulse: pulse, deviceTime: deviceTime),
              let (spread, offset) = coupling.residual() else { return }
        let excess = max(spread / config.pulseSpreadLimit, abs(offset) / config.pulseOffsetLimit)
        if excess >= 1 {
            if decoupledSince == nil { decoupledSince = now - 300_000 }
            findings.append(finding("pulse_sources_disagree", .security, Finding.score(excess, trigger: 1, scale: 0.3),
                                    from: decoupledSince ?? now, to: now, episodic: true))
        } else {
            decoupledSince = nil
        }
    }

    // MARK: rhythm and saturation

    private mutating func checkRhythm(at now: Int64, config: DetectionConfig, findings: inout [Finding]) {
        guard heartRate.count >= 15, let hr = heartRate.median(last: 15) else { return }
        var rate = Double(hr)
        if now - pulseRateAt < 5000, pulseRate.count >= 15, let pr = pulseRate.median(last: 15) {
            guard abs(Double(pr) - rate) <= 12 else { return }   // sources disagree: a device issue
            rate = (rate + Double(pr)) / 2
        }
        var step = 0.0
        if heartRate.count >= 60, let old = heartRate.median(last: 60), let recent = heartRate.median(last: 15) {
            step = Double(recent - old)
        }
        let active = activity >= 0.3
        if rate >= 131, !active || step >= 30 || rate >= 160 {
            findings.append(finding("tachycardia", .clinical, Finding.score(rate, trigger: 131, scale: 8),
                                    from: now - 15_000, to: now))
        } else if (rate <= 42 && (step <= -8 || rate <= 36 || !habituallySlow())) || (rate <= 50 && step <= -25) {
            findings.append(finding("bradycardia", .clinical, Finding.score(50 - rate, trigger: 8, scale: 4),
                                    from: now - 15_000, to: now))
        }
    }

    /// True when the patient's own heart rate over the last hour (median of the minutes) is
    /// under `slowHeartBaseline` (an athlete, a beta blocker): such a heart crosses 42 with the
    /// ordinary ups and downs of a slow rhythm, so for it a bradycardia is a fall within the
    /// minute (8 /min below the last 60 s) or 36 and below. Evaluated only at 42 and below.
    func habituallySlow() -> Bool {
        trends.median(.heartRate, from: 0, to: 60, gate: .infinity, minimum: 20).map { $0 < Self.slowHeartBaseline } ?? false
    }

    private mutating func checkSaturation(at now: Int64, config: DetectionConfig, findings: inout [Finding]) {
        guard spo2.count >= 30, let s30 = spo2.median(last: 30) else { return }
        let current = Double(s30)
        if spo2Baseline.samples < 300 {
            spo2Baseline.update(Float(current), alpha: 1.0 / 600)
            return
        }
        let drop = Double(spo2Baseline.mean) - current
        // the baseline follows at 10 min outside a fall and at 20 min during one: an acute
        // desaturation (minutes) barely moves it, but a new steady level (a patient who settles
        // lower, the end of a slow decline the trend tests report) stops counting as acute
        spo2Baseline.update(Float(current), alpha: drop < 3 ? 1.0 / 600 : 1.0 / Self.fallBaselineReadings)
        if drop >= 5 || current <= 88 {
            if desaturationSince == nil { desaturationSince = now - 30_000 }
            // motion artefacts (probe movement: short dips, not always flagged by a quality field)
            // last up to ~45 s; while the patient moves, or while the oximeter's pulse rate no
            // longer follows the ECG (a corrupted pleth), the fall must outlast them
            // A fall that begins or ends with a jump of several points within a second is
            // box-shaped like a probe artefact (real desaturation takes tens of seconds to
            // develop): it must outlast the longest artefacts and their clusters.
            let persisted = now - (desaturationSince ?? now) - 30_000
            if saturationStepped(), persisted < Self.steppedFallMs { return }
            let trusted = activity < config.activityGate && !plethDisagrees(at: now)
            guard trusted || persisted >= Self.motionArtefactMs else { return }
            findings.append(finding("desaturation", .clinical, Finding.score(max(drop, 93 - current), trigger: 5, scale: 2),
                                    from: desaturationSince ?? now, to: now))
        } else {
            desaturationSince = nil
        }
    }

    // MARK: motion

    private mutating func observeMotion(_ reading: Reading, at now: Int64, findings: inout [Finding]) {
        guard case .series(let acc)? = reading[Channel.acceleration]?.value, acc.count == 3 else { return }
        var power: Float = 0
        for k in 0..<3 {
            let d = Float(acc[k]) - gravity[k]
            power += d * d
            gravity[k] += 0.1 * d
        }
        motionPower.update(power, alpha: 1.0 / 30)
        guard case .text(let posture)? = reading[Channel.posture]?.value,
              let expected = Self.gravity(of: posture) else { return }
        let norm = (gravity[0] * gravity[0] + gravity[1] * gravity[1] + gravity[2] * gravity[2]).squareRoot()
        let cosine = norm > 0.3 ? (gravity[0] * expected.0 + gravity[1] * expected.1 + gravity[2] * expected.2) / norm : 0
        postureMismatchRun = cosine < 0.5 ? postureMismatchRun + 1 : 0
        if postureMismatchRun >= 30 {
            findings.append(finding("posture_motion_mismatch", .security, 0.94, from: now - 30_000, to: now))
        }
    }

    static func gravity(of posture: String) -> (Float, Float, Float)? {
        switch posture {
        case "supine": (0, 0, 1)
        case "prone": (0, 0, -1)
        case "left": (-1, 0, 0)
        case "right": (1, 0, 0)
        case "upright": (0, 1, 0)
        default: nil
        }
    }
}

/// ECG heart rate and oximeter pulse rate measure the same heart: their 10-second block means
/// (on the device clocks) track each other closely. A spoofed or replayed source keeps a
/// plausible level but loses that tracking, which shows as a wide or offset residual.
struct PulseCoupling: Equatable, StateCodable {
    static let blockMs: Int64 = 10_000
    var block: Int64 = .min
    var heartSum: Float = 0, heartCount: Float = 0
    var pulseSum: Float = 0, pulseCount: Float = 0
    var residuals = RingBuffer(capacity: 30)

    /// Adds a sample; returns true when a block was closed with both sources present.
    mutating func add(heart: Float?, pulse: Float?, deviceTime: Int64) -> Bool {
        let b = deviceTime >= 0 ? deviceTime / Self.blockMs : (deviceTime + 1) / Self.blockMs - 1
        if b < block { return false }   // late sample of a closed block
        var closed = false
        if b > block {
            if heartCount >= 5, pulseCount >= 5 {
                residuals.append(pulseSum / pulseCount - heartSum / heartCount)
                closed = true
            }
            if b > block + 1 && block != .min { residuals.removeAll() }   // a gap: start over
            block = b
            heartSum = 0; heartCount = 0; pulseSum = 0; pulseCount = 0
        }
        if let heart { heartSum += heart; heartCount += 1 }
        if let pulse { pulseSum += pulse; pulseCount += 1 }
        return closed
    }

    /// Robust spread (1.4826 MAD) and median of the residual pulse - heart over the last 5 minutes.
    func residual() -> (spread: Double, offset: Double)? {
        guard residuals.count >= 24, let m = residuals.median(), let mad = residuals.mad() else { return nil }
        return (Double(mad) * 1.4826, Double(m))
    }

    func encode(to w: inout StateWriter) {
        w.write(block); w.write(heartSum); w.write(heartCount); w.write(pulseSum); w.write(pulseCount)
        w.write(residuals)
    }

    init() {}

    init(from r: inout StateReader) throws(DetectionStateError) {
        block = try r.read(); heartSum = try r.read(); heartCount = try r.read(); pulseSum = try r.read()
        pulseCount = try r.read(); residuals = try r.read()
    }
}
