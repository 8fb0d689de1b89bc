import Foundation
import Telemetry
@testable import Detection

/// A deterministic synthetic patient wearing the five device families, for crafted streams:
/// 1 Hz oximeter, ECG and respiration belt, a thermometer every 60 s, a cuff every 300 s.
/// `edit` may change or drop (return nil) any reading before it is delivered.
struct SyntheticPatient {
    static let t0: Int64 = 1_763_884_800_000
    let patient = "MRN-00000042"
    let oximeter = DeviceID("OXP-00A001")!
    let ecg = DeviceID("CDS-00A002")!
    let belt = DeviceID("RSP-00A003")!
    let thermometer = DeviceID("THD-00A004")!
    let cuff = DeviceID("CUF-00A005")!
    var devices: [DeviceID] { [oximeter, ecg, belt, thermometer, cuff] }

    private var state: UInt64
    private var slowHR = 0.0, slowSpO2 = 0.0, slowRR = 0.0
    private var seq: [DeviceID: UInt32] = [:]

    init(seed: UInt64 = 7) { state = seed }

    mutating func unit() -> Double {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }

    mutating func normal() -> Double {
        (-2 * log(max(unit(), 1e-12))).squareRoot() * cos(2 * Double.pi * unit())
    }

    /// Retained `info` and `pair` messages, as at the start of a stream.
    func preamble() -> [(DecodeOutcome, Int64)] {
        let models = ["OxiPatch", "CardioStrip", "ResPod", "ThermaDot", "CuffPro"]
        var out: [(DecodeOutcome, Int64)] = []
        for (d, model) in zip(devices, models) {
            out.append((.control(d, .info(model: model, firmware: "1.0.0", serial: d.rawValue)), Self.t0))
            out.append((.control(d, .pair(patient: patient, bed: "ICU-1", at: nil)), Self.t0))
        }
        return out
    }

    /// Physiological shifts applied at second `s` (added to the clean signals).
    struct Shift {
        var heartRate = 0.0, spo2 = 0.0, respiratoryRate = 0.0, temperature = 0.0, systolic = 0.0
    }

    /// Physiological shift per second (none by default).
    var shift: (Int) -> Shift = { _ in Shift() }

    /// The readings of seconds `range`, ordered by arrival.
    mutating func seconds(_ range: Range<Int>, edit: (Int, Reading) -> Reading? = { $1 }) -> [(DecodeOutcome, Int64)] {
        var out: [(DecodeOutcome, Int64)] = []
        for s in range {
            let d = shift(s)
            slowHR += (-slowHR / 120) + 3 * (2.0 / 120).squareRoot() * normal()
            slowSpO2 += (-slowSpO2 / 300) + 0.7 * (2.0 / 300).squareRoot() * normal()
            slowRR += (-slowRR / 180) + 1.2 * (2.0 / 180).squareRoot() * normal()
            let heart = 76 + slowHR + normal() + d.heartRate
            let base = Self.t0 + Int64(s) * 1000
            var batch: [Reading] = []
            let hr = (heart + 0.5 * normal()).rounded()
            let rr = (0..<3).map { _ in (60_000 / hr * (1 + 0.015 * normal())).rounded() }
            batch.append(reading(ecg, at: base + 120, [
                .init(channel: Channel.heartRate, value: .number(hr), unit: "/min"),
                .init(channel: Channel.rrIntervals, value: .series(rr), unit: "ms"),
                .init(channel: Channel.leadOff, value: .flag(false))]))
            let spo2 = min(100, (97 + slowSpO2 + 0.3 * normal() + d.spo2).rounded())
            batch.append(reading(oximeter, at: base + 430, [
                .init(channel: Channel.spo2, value: .number(spo2), unit: "%"),
                .init(channel: Channel.pulseRate, value: .number((heart + normal()).rounded()), unit: "/min"),
                .init(channel: Channel.perfusionIndex, value: .number((30 + 2 * slowSpO2).rounded() / 10), unit: "%"),
                .init(channel: Channel.battery, value: .number(Double(90 - s / 2700)), unit: "%")]))
            let acc = [0.02 * normal(), 0.02 * normal(), 1 + 0.02 * normal()].map { ($0 * 100).rounded() / 100 }
            batch.append(reading(belt, at: base + 760, [
                .init(channel: Channel.respiratoryRate, value: .number((15 + slowRR + 0.8 * normal() + d.respiratoryRate).rounded()),
                      unit: "/min"),
                .init(channel: Channel.posture, value: .text("supine")),
                .init(channel: Channel.fall, value: .flag(false)),
                .init(channel: Channel.acceleration, value: .series(acc), unit: "[g]")]))
            if s % 60 == 17 {
                batch.append(reading(thermometer, at: base + 200, [
                    .init(channel: Channel.temperature, value: .number(((36.8 + 0.03 * normal() + d.temperature) * 10).rounded() / 10),
                          unit: "Cel")]))
            }
            if s % 300 == 123 {
                let sys = (122 + 3 * normal() + d.systolic).rounded()
                let dia = (76 + 2 * normal()).rounded()
                batch.append(reading(cuff, at: base + 500, [
                    .init(channel: Channel.cuffStatus, value: .text("ok")),
                    .init(channel: Channel.systolic, value: .number(sys), unit: "mm[Hg]"),
                    .init(channel: Channel.diastolic, value: .number(dia), unit: "mm[Hg]"),
                    .init(channel: Channel.meanArterial, value: .number((dia + (sys - dia) / 3).rounded()), unit: "mm[Hg]"),
                    .init(channel: Channel.pulseRate, value: .number(hr), unit: "/min")]))
            }
            for r in batch.sorted(by: { $0.receivedAt < $1.receivedAt }) {
                guard let edited = edit(s, r) else { continue }
                out.append((.reading(edited, patient: patient), edited.receivedAt))
            }
        }
        return out
    }

    private mutating func reading(_ device: DeviceID, at t: Int64, _ m: [Telemetry.Measurement]) -> Reading {
        let n = seq[device, default: 100]
        seq[device] = n &+ 1
        return Reading(device: device, kind: .vitals, schemaID: "test", model: "test", firmware: "1.0.0", seq: n,
                       deviceTime: t - 60, receivedAt: t, measurements: m)
    }
}

extension Reading {
    /// A copy with `channel` set to `value`.
    func with(_ channel: String, _ value: MeasurementValue) -> Reading {
        var copy = self
        copy.measurements = measurements.map { m in
            var m = m
            if m.channel == channel { m.value = value }
            return m
        }
        return copy
    }
}

/// Runs outcomes through an engine, returning all alerts.
func run(_ engine: inout DetectionEngine, _ stream: [(DecodeOutcome, Int64)]) -> [Alert] {
    var alerts: [Alert] = []
    for (outcome, t) in stream { alerts += engine.process(outcome, at: t) }
    return alerts
}

/// Seconds since the synthetic stream's start.
func second(_ t: Int64) -> Int64 { (t - SyntheticPatient.t0) / 1000 }

/// The alerts of one synthetic patient over `seconds` of stream, with readings edited and vitals
/// shifted by the caller (shared by the patient-level detector tests).
func alerts(seconds: Int, seed: UInt64 = 7,
            edit: @escaping (Int, Reading, inout SyntheticPatient) -> Reading = { _, r, _ in r },
            shift: @escaping (Int) -> SyntheticPatient.Shift = { _ in .init() }) -> [Alert] {
    var p = SyntheticPatient(seed: seed)
    var noise = SyntheticPatient(seed: seed &+ 1000)
    var engine = DetectionEngine()
    p.shift = shift
    return run(&engine, p.preamble() + p.seconds(0..<seconds) { s, r in edit(s, r, &noise) })
}
