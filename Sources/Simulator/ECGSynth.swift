import Telemetry

/// A synthetic lead-II ECG: each beat is a sum of Gaussian P, Q, R, S and T waves (after
/// McSharry et al. 2003) placed in time relative to the beat, plus respiratory baseline wander
/// and white noise, in microvolts.
///
/// Beat-to-beat intervals follow the patient's heart rate with a little variability; the last
/// three completed intervals are what the CardioStrip reports as `rr_ms`.
struct ECGSynth: Sendable {
    /// Samples per second of the chunks.
    static let sampleRate = 250

    private struct Wave {
        var centre: Double  // seconds after beat onset (P onset region)
        var width: Double   // Gaussian sigma, seconds
        var amplitude: Double  // microvolts
    }

    private static let baseWaves: [Wave] = [
        Wave(centre: 0.10, width: 0.022, amplitude: 140),    // P
        Wave(centre: 0.195, width: 0.008, amplitude: -110),  // Q
        Wave(centre: 0.215, width: 0.009, amplitude: 1150),  // R
        Wave(centre: 0.238, width: 0.010, amplitude: -260),  // S
    ]
    private static let tWidth = 0.045
    private static let tAmplitude = 310.0

    /// Seconds since the current beat began.
    private var timeInBeat: Double
    /// Length of the current beat, seconds.
    private var beatLength: Double
    /// Running time for the baseline wander, seconds.
    private var clock: Double = 0
    private var wanderPhase: Double
    private var amplitudeScale: Double
    /// The last three completed RR intervals in ms (oldest first).
    private(set) var recentRR: (Int, Int, Int)

    init(heartRate: Double, rng: inout SplitMix64) {
        let rr = 60 / Self.clampRate(heartRate)
        beatLength = rr
        timeInBeat = rr * rng.nextDouble()
        wanderPhase = Math.twoPi * rng.nextDouble()
        amplitudeScale = rng.uniform(0.8...1.2)
        let ms = Int((rr * 1000).rounded())
        recentRR = (ms, ms, ms)
    }

    /// The heart rate implied by the last three intervals, beats/min.
    var reportedHeartRate: Int {
        let mean = Double(recentRR.0 + recentRR.1 + recentRR.2) / 3
        return mean > 0 ? Int((60_000 / mean).rounded()) : 0
    }

    var recentRRArray: [Int] { [recentRR.0, recentRR.1, recentRR.2] }

    /// Advances one second. When `samples` is given, it is filled with `sampleRate` samples
    /// (flat noise when `leadOff`); otherwise only the beat timing advances (cheap).
    mutating func advanceOneSecond(heartRate: Double, respiratoryRate: Double, leadOff: Bool,
                                   rng: inout SplitMix64, samples: inout [Int16], render: Bool) {
        let n = Self.sampleRate
        let dt = 1 / Double(n)
        if render {
            samples.removeAll(keepingCapacity: true)
        }
        let wanderOmega = Math.twoPi * max(4, respiratoryRate) / 60
        for _ in 0..<n {
            timeInBeat += dt
            if timeInBeat >= beatLength {
                timeInBeat -= beatLength
                completeBeat(heartRate: heartRate, rng: &rng)
            }
            clock += dt
            guard render else { continue }
            var value: Double
            if leadOff {
                value = rng.gaussian() * 6
            } else {
                value = amplitudeScale * beatValue(at: timeInBeat)
                value += 45 * Math.sine(wanderOmega * clock + wanderPhase)
                value += rng.gaussian() * 9
            }
            samples.append(Int16(max(-32_768, min(32_767, value.rounded()))))
        }
        if clock > 3600 { clock -= 3600 }  // keep precision; the wander is continuous enough
    }

    private mutating func completeBeat(heartRate: Double, rng: inout SplitMix64) {
        let completed = Int((beatLength * 1000).rounded())
        recentRR = (recentRR.1, recentRR.2, completed)
        let mean = 60 / Self.clampRate(heartRate)
        beatLength = max(0.25, mean * (1 + 0.015 * rng.gaussian()))
    }

    /// The PQRST template at `t` seconds into a beat of the current length. Waves shift
    /// earlier for short beats so that T stays inside the beat (QT shortens with rate).
    private func beatValue(at t: Double) -> Double {
        let squeeze = min(1, beatLength / 0.6)
        var value = 0.0
        for wave in Self.baseWaves {
            value += gaussianWave(t, centre: wave.centre * squeeze, width: wave.width, amplitude: wave.amplitude)
        }
        let tCentre = (0.215 + 0.27 * beatLength.squareRoot()) * squeeze
        value += gaussianWave(t, centre: tCentre, width: Self.tWidth * squeeze, amplitude: Self.tAmplitude)
        return value
    }

    @inline(__always)
    private func gaussianWave(_ t: Double, centre: Double, width: Double, amplitude: Double) -> Double {
        let d = t - centre
        if abs(d) > 5 * width { return 0 }
        return amplitude * Math.exponential(-(d * d) / (2 * width * width))
    }

    private static func clampRate(_ heartRate: Double) -> Double {
        min(240, max(25, heartRate))
    }
}
