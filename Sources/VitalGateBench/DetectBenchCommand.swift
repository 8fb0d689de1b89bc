import VitalGateCommands
public import ArgumentParser
import Detection
import FoundationEssentials
import Glibc
import Telemetry

/// `vitalgate bench detect`: the cost of detection (no decoding) on a synthetic ward of
/// `patients` x 5 devices, reporting the mean inference time per reading and the size of the
/// persisted per-patient state.
public struct DetectBenchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Measure detection cost per reading and per-patient state size.")

    @Option(name: .long, help: "Number of patients (5 devices each).")
    var patients: Int = 50

    @Option(name: .long, help: "Simulated stream length in seconds.")
    var seconds: Int = 3600

    public init() {}

    public func run() throws {
        let readings = DetectBenchWard(patients: patients, seconds: seconds).outcomes()
        var engine = DetectionEngine()
        var alerts = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for (outcome, t) in readings { alerts += engine.process(outcome, at: t).count }
        }
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        let sizes = engine.patientIDs.compactMap { engine.snapshot(patient: $0)?.count }
        let maxSize = sizes.max() ?? 0
        let meanSize = sizes.isEmpty ? 0 : sizes.reduce(0, +) / sizes.count
        print("""
            bench detect: \(patients) patients x 5 devices, \(seconds) s, \(readings.count) messages
            inference: \(String(printf: "%.3f", ns / Double(max(1, readings.count)) / 1000)) us per message (mean), \
            total \(String(printf: "%.2f", ns / 1e9)) s, \(alerts) alerts
            per-patient state (serialised): mean \(meanSize) B, max \(maxSize) B (limit 65536 B)
            """)
    }
}

/// A deterministic synthetic ward: 1 Hz oximeter, ECG and respiration belt, a thermometer
/// every 60 s and a cuff every 300 s per patient, with noisy physiology.
struct DetectBenchWard {
    var patients: Int
    var seconds: Int

    func outcomes() -> [(DecodeOutcome, Int64)] {
        var rng = DetectBenchRandom(seed: 42)
        let t0: Int64 = 1_763_884_800_000
        var out: [(DecodeOutcome, Int64)] = []
        out.reserveCapacity(patients * seconds * 3 + patients * seconds / 50)
        var ids: [[DeviceID]] = []
        for p in 0..<patients {
            let patient = String(printf: "MRN-%08d", 10_000_000 + p)
            let row = ["OXP", "CDS", "RSP", "THD", "CUF"].map { DeviceID($0 + String(printf: "-%06X", p))! }
            ids.append(row)
            for d in row { out.append((.control(d, .pair(patient: patient, bed: nil, at: nil)), t0)) }
        }
        var hr = (0..<patients).map { _ in 70 + 20 * rng.unit() }
        for s in 0..<seconds {
            for p in 0..<patients {
                let patient = String(printf: "MRN-%08d", 10_000_000 + p)
                hr[p] += 0.001 * (75 - hr[p]) + rng.normal()
                let t = t0 + Int64(s) * 1000 + Int64(p * 7 % 1000)
                func add(_ d: Int, _ m: [Telemetry.Measurement], delay: Int64) {
                    let r = Reading(device: ids[p][d], kind: .vitals, schemaID: "bench", model: "bench",
                                    firmware: "1.0.0", seq: UInt32(s / [1, 1, 1, 60, 300][d]), deviceTime: t, receivedAt: t + delay,
                                    measurements: m)
                    out.append((.reading(r, patient: patient), t + delay))
                }
                let h = (hr[p] + rng.normal()).rounded()
                let spo2 = (97 + rng.normal()).rounded()
                let pr = (hr[p] + rng.normal()).rounded()
                add(0, [number(Channel.spo2, spo2), number(Channel.pulseRate, pr),
                        number(Channel.perfusionIndex, 2.5), number(Channel.battery, 90)], delay: 50)
                var rr: [Double] = []
                for _ in 0..<3 { rr.append((60_000 / h * (1 + 0.015 * rng.normal())).rounded()) }
                add(1, [number(Channel.heartRate, h), Telemetry.Measurement(channel: Channel.rrIntervals, value: .series(rr)),
                        Telemetry.Measurement(channel: Channel.leadOff, value: .flag(false))], delay: 60)
                let acc = [0.02 * rng.normal(), 0.02 * rng.normal(), 1 + 0.02 * rng.normal()]
                add(2, [number(Channel.respiratoryRate, (15 + rng.normal()).rounded()),
                        Telemetry.Measurement(channel: Channel.posture, value: .text("supine")),
                        Telemetry.Measurement(channel: Channel.fall, value: .flag(false)),
                        Telemetry.Measurement(channel: Channel.acceleration, value: .series(acc))], delay: 70)
                if s % 60 == p % 60 {
                    add(3, [number(Channel.temperature, 36.8 + 0.1 * rng.normal())], delay: 80)
                }
                if s % 300 == p % 300 {
                    let sys = (125 + 5 * rng.normal()).rounded()
                    add(4, [Telemetry.Measurement(channel: Channel.cuffStatus, value: .text("ok")),
                            number(Channel.systolic, sys), number(Channel.diastolic, (sys * 0.62).rounded()),
                            number(Channel.meanArterial, (sys * 0.75).rounded()), number(Channel.pulseRate, h)],
                        delay: 90)
                }
            }
        }
        return out
    }
}

private func number(_ channel: String, _ x: Double) -> Telemetry.Measurement {
    Telemetry.Measurement(channel: channel, value: .number(x))
}

/// A small deterministic generator (SplitMix64) for the synthetic ward.
struct DetectBenchRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func normal() -> Double {
        let u = max(unit(), 1e-12), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
