import Telemetry

/// A simulated patient as published in `pair` messages.
public struct SimulatedPatient: Sendable, Equatable {
    /// Medical record number, `MRN-00012345`.
    public var identifier: String
    /// Bed label, `ICU-3`.
    public var bed: String
}

/// Instantaneous physiological values of a patient (before device noise and rounding).
struct PatientVitals: Sendable {
    var heartRate: Double
    var spo2: Double
    var respiratoryRate: Double
    var temperature: Double
    var systolic: Double
    var diastolic: Double
    var posture: Posture
}

/// Body position, as the ResPod reports it.
enum Posture: Int, Sendable, CaseIterable {
    case supine, prone, left, right, upright, unknown

    var name: String {
        switch self {
        case .supine: "supine"
        case .prone: "prone"
        case .left: "left"
        case .right: "right"
        case .upright: "upright"
        case .unknown: "unknown"
        }
    }

    /// Gravity in the belt's frame, in g.
    var gravity: (Double, Double, Double) {
        switch self {
        case .supine, .unknown: (0, 0, 1)
        case .prone: (0, 0, -1)
        case .left: (-1, 0, 0)
        case .right: (1, 0, 0)
        case .upright: (0, 1, 0)
        }
    }
}

/// Per-patient physiology: baselines drawn from the seed, each channel wandering around its
/// baseline as an Ornstein-Uhlenbeck process sampled once per second, and posture changes
/// every 20-90 minutes. Devices read it and add their own measurement noise.
struct PatientModel: Sendable {
    var identity: SimulatedPatient
    private var rng: SplitMix64
    private var second: Int64

    private let heartRate0: Double
    private let spo20: Double
    private let respiratoryRate0: Double
    private let temperature0: Double
    private let systolic0: Double
    private let diastolic0: Double

    private var heartRateDeviation: OrnsteinUhlenbeck
    private var spo2Deviation: OrnsteinUhlenbeck
    private var respiratoryDeviation: OrnsteinUhlenbeck
    private var temperatureDeviation: OrnsteinUhlenbeck
    private var pressureDeviation: OrnsteinUhlenbeck
    private var diastolicDeviation: OrnsteinUhlenbeck

    private(set) var posture: Posture = .supine
    private var nextPostureChange: Int64

    /// A patient whose physiology starts at `startTime` (ms) and is drawn from `rng`.
    init(identity: SimulatedPatient, rng: SplitMix64, startTime: Int64) {
        var rng = rng
        self.identity = identity
        second = startTime / 1000
        heartRate0 = rng.uniform(60...90)
        spo20 = rng.uniform(95.5...98.8)
        respiratoryRate0 = rng.uniform(12...20)
        temperature0 = rng.uniform(36.4...37.2)
        let systolic = rng.uniform(110...135)
        systolic0 = systolic
        diastolic0 = min(rng.uniform(65...85), systolic - 35)
        heartRateDeviation = OrnsteinUhlenbeck(tau: 120, sd: 3, rng: &rng)
        spo2Deviation = OrnsteinUhlenbeck(tau: 300, sd: 0.6, rng: &rng)
        respiratoryDeviation = OrnsteinUhlenbeck(tau: 180, sd: 1.1, rng: &rng)
        temperatureDeviation = OrnsteinUhlenbeck(tau: 1800, sd: 0.08, rng: &rng)
        pressureDeviation = OrnsteinUhlenbeck(tau: 600, sd: 4, rng: &rng)
        diastolicDeviation = OrnsteinUhlenbeck(tau: 600, sd: 2, rng: &rng)
        posture = rng.chance(0.7) ? .supine : rng.pick([.left, .right, .upright])
        nextPostureChange = second + Int64(rng.int(in: 600...5400))
        self.rng = rng
    }

    /// Steps the physiology forward to the second containing `ms` (never backwards).
    mutating func advance(to ms: Int64) {
        let target = ms / 1000
        while second < target {
            second += 1
            heartRateDeviation.step(&rng)
            spo2Deviation.step(&rng)
            respiratoryDeviation.step(&rng)
            temperatureDeviation.step(&rng)
            pressureDeviation.step(&rng)
            diastolicDeviation.step(&rng)
            if second >= nextPostureChange {
                let roll = rng.nextDouble()
                posture = roll < 0.55 ? .supine : roll < 0.75 ? .left : roll < 0.95 ? .right : .upright
                nextPostureChange = second + Int64(rng.int(in: 1200...5400))
            }
        }
    }

    var vitals: PatientVitals {
        let upright = posture == .upright
        return PatientVitals(
            heartRate: heartRate0 + heartRateDeviation.value + (upright ? 6 : 0),
            spo2: spo20 + spo2Deviation.value,
            respiratoryRate: respiratoryRate0 + respiratoryDeviation.value,
            temperature: temperature0 + temperatureDeviation.value,
            systolic: systolic0 + pressureDeviation.value,
            diastolic: diastolic0 + 0.5 * pressureDeviation.value + diastolicDeviation.value,
            posture: posture)
    }
}

/// A mean-reverting random walk with time constant `tau` seconds and stationary deviation `sd`.
struct OrnsteinUhlenbeck: Sendable {
    private let decay: Double
    private let innovation: Double
    private(set) var value: Double

    init(tau: Double, sd: Double, rng: inout SplitMix64) {
        decay = Math.exponential(-1 / tau)
        innovation = sd * (1 - decay * decay).squareRoot()
        value = sd * rng.gaussian()
    }

    @inline(__always)
    mutating func step(_ rng: inout SplitMix64) {
        value = decay * value + innovation * rng.gaussian()
    }
}
