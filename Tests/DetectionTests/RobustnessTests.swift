import Foundation
import Testing
import Telemetry
@testable import Detection

/// Issue 23: realisations the public simulator does not produce. Deteriorations of several
/// onset shapes and of three vitals only, one field frozen while the others move, a replay
/// re-sent with noise, and per-kind thresholds.
@Suite struct RobustnessTests {
    /// Onset profiles 0...1 over `seconds` (as in tools/sim/realise.py).
    static func onset(_ shape: String, _ u: Double) -> Double {
        let x = max(0, min(1, u))
        switch shape {
        case "step": return min(1, x * 12)             // complete within 1/12 of the ramp
        case "convex": return (exp(2.5 * x) - 1) / (exp(2.5) - 1)
        case "stepwise": return (x * 4).rounded(.up) / 4
        case "sigmoid": return 1 / (1 + exp(-10 * (x - 0.5)))
        default: return x
        }
    }

    @Test(arguments: ["linear", "step", "convex", "stepwise", "sigmoid"])
    func deteriorationOfAnyOnsetShape(shape: String) throws {
        let start = 9000
        let found = alerts(seconds: start + 2400, shift: { s in
            let f = s < start ? 0 : Self.onset(shape, Double(s - start) / 3600)
            return .init(heartRate: 32 * f, spo2: -5 * f, respiratoryRate: 8 * f, temperature: 1.4 * f, systolic: -25 * f)
        })
        let first = try #require(found.first { $0.kind == "deterioration" }, "no deterioration for a \(shape) onset")
        #expect(first.category == .clinical)
        #expect(second(first.t) < Int64(start + 1800), "\(shape): found after \(second(first.t) - Int64(start)) s")
        #expect(found.allSatisfy { second($0.t) >= start }, "\(shape): alerts before the onset")
    }

    /// Three vitals only (SpO2 and blood pressure stay), at three quarters of the public magnitude.
    @Test func deteriorationOfThreeVitals() throws {
        let start = 9000
        let found = alerts(seconds: start + 2400, shift: { s in
            let f = max(0, min(1, Double(s - start) / 3600))
            return .init(heartRate: 26 * f, respiratoryRate: 7 * f, temperature: 1.1 * f)
        })
        let first = try #require(found.first { $0.kind == "deterioration" })
        #expect(second(first.t) < Int64(start + 1800))
        #expect(found.allSatisfy { second($0.t) >= start })
    }

    /// The oximeter's SpO2 estimate freezes; its pulse rate and perfusion index keep moving, so
    /// the whole-output flatline test cannot see it.
    @Test func oneFrozenFieldWhileTheOthersMove() {
        let start = 3600
        var frozen: MeasurementValue?
        let found = alerts(seconds: start + 900) { s, r, _ in
            guard r.device.rawValue.hasPrefix("OXP"), s >= start else { return r }
            if frozen == nil { frozen = r[Channel.spo2]?.value }
            return r.with(Channel.spo2, frozen!)
        }
        #expect(found.contains { $0.kind == "frozen_spo2" && $0.category == .fault && second($0.t) < Int64(start + 300) })
        #expect(!found.contains { $0.kind == "flatline" })
        #expect(found.allSatisfy { second($0.t) >= start })
    }

    @Test func requiredRunFollowsTheChangeRate() throws {
        #expect(FieldFreeze.requiredRun(changeRate: 0.3) == nil)      // a quiet field never counts
        let often = try #require(FieldFreeze.requiredRun(changeRate: 0.95))
        let sometimes = try #require(FieldFreeze.requiredRun(changeRate: 0.5))
        #expect(often == FieldFreeze.minimumRun && sometimes == 60)
    }

    /// The respiration belt re-sends its values of an hour ago with +-1 jitter on the rate and
    /// noise on the accelerometer: no exact fingerprint matches, the course of the rate does.
    @Test func noisyReplayOfTheRespirationBelt() {
        let start = 7200, length = 900
        var p = SyntheticPatient(seed: 11)
        var noise = SyntheticPatient(seed: 12)
        var engine = DetectionEngine()
        let belt = p.belt
        var stream = p.preamble() + p.seconds(0..<start)
        var source: [Int: Reading] = [:]
        for (outcome, _) in stream {
            if case .reading(let r, _) = outcome, r.device == belt { source[Int(second(r.receivedAt))] = r }
        }
        stream += p.seconds(start..<(start + length)) { s, r in
            guard r.device == belt, let old = source[s - 3600] else { return r }
            var copy = r
            copy.measurements = old.measurements.map { m in
                var m = m
                if m.channel == Channel.respiratoryRate, case .number(let x) = m.value {
                    m.value = .number(x + [-1, 0, 0, 1][Int(noise.unit() * 4) % 4])
                }
                if m.channel == Channel.acceleration, case .series(let a) = m.value {
                    m.value = .series(a.map { (($0 + 0.01 * noise.normal()) * 100).rounded() / 100 })
                }
                return m
            }
            return copy
        }
        stream += p.seconds((start + length)..<(start + length + 300))
        let found = run(&engine, stream)
        #expect(found.contains { $0.kind == "replayed_segment" && $0.device == belt && second($0.t) < Int64(start + 600) })
        #expect(found.allSatisfy { second($0.t) >= start && second($0.t) < Int64(start + length + 120) })
    }

    /// State version 2 carries the new per-device state (a full accelerometer trace included)
    /// through a round trip; a version-1 snapshot is refused (cold start), not misread.
    @Test func stateVersionTwoRoundTripsAndVersionOneIsRefused() throws {
        var p = SyntheticPatient(seed: 5)
        var engine = DetectionEngine()
        _ = run(&engine, p.preamble() + p.seconds(0..<1800))
        var bytes = engine.snapshot()
        #expect(DetectionEngine.stateVersion == 2 && bytes[4] == 2)
        var restored = DetectionEngine()
        try restored.restore(bytes)
        #expect(restored.snapshot() == bytes)
        let belt = try #require(restored.devices[p.belt])
        #expect(belt.trace == engine.devices[p.belt]?.trace && belt.freeze.samples > 0)
        bytes[4] = 1
        var old = DetectionEngine()
        #expect(throws: DetectionStateError.self) { try old.restore(bytes) }
    }

    /// A kind's calibrated offset moves its threshold only.
    @Test func perKindThresholds() {
        var config = DetectionConfig()
        config.kindOffsets = ["deterioration": -0.1, "flatline": 0.05]
        #expect(abs(config.threshold(for: "deterioration") - 0.82) < 1e-12)
        #expect(abs(config.threshold(for: "flatline") - 0.97) < 1e-12)
        #expect(config.threshold(for: "probe_off") == config.threshold)
        var gate = AlertGate()
        let weak = Finding(kind: "deterioration", category: .clinical, score: 0.86, device: nil, evidenceStart: 0,
                           evidenceEnd: 0, episodic: true)
        let calibrated = gate.admit(weak, patient: "P", at: 0, config: config)
        #expect(calibrated)
        var uncalibrated = DetectionConfig(threshold: 0.92)
        uncalibrated.kindOffsets = [:]
        let plain = gate.admit(weak, patient: "Q", at: 0, config: uncalibrated)
        #expect(!plain)
        config.threshold = 0.97   // raising the global threshold still moves every kind (0.87 here)
        let stricter = gate.admit(weak, patient: "R", at: 0, config: config)
        #expect(!stricter)
    }
}
