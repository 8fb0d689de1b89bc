import Testing
import Telemetry
@testable import Detection

/// The desaturation rules of issue 23, round 3: a baseline that follows a new steady level, and
/// a pleth that disagrees with the ECG (probe motion) holding a short dip back.
@Suite struct DesaturationTests {
    /// A saturation that falls 6 points (to 91 %) and stays there is an acute desaturation once; it is not
    /// re-alerted every 10 minutes for the rest of the stay (the baseline follows the new level).
    @Test func newSteadyLevelAlertsOnceNotForever() {
        let found = alerts(seconds: 6000, shift: { s in .init(spo2: s >= 1200 ? -6 : 0) })
            .filter { $0.kind == "desaturation" }
        #expect(found.contains { second($0.t) >= 1200 && second($0.t) < 1200 + 120 })
        #expect(found.allSatisfy { second($0.t) >= 1200 && second($0.t) < 1200 + 1500 })
        #expect(found.count <= 2)
    }

    /// A fall of 9 points developing over 15 s and held for 25 s at rest, with the oximeter's
    /// pulse rate following the ECG, is a desaturation.
    @Test func shortFallWithAgreeingPulseFires() {
        let found = alerts(seconds: 1500, shift: { s in .init(spo2: Self.ramped(s, from: 1200, hold: 25)) })
        #expect(found.contains { $0.kind == "desaturation" && second($0.t) < 1255 + 30 })
    }

    /// SpO2 offset at second `s`: a fall of `depth` points over `ramp` seconds from `from`, held
    /// for `hold` seconds, and a recovery over `ramp` seconds (a physiological shape).
    static func ramped(_ s: Int, from: Int, hold: Int, depth: Double = 9, ramp: Int = 15) -> Double {
        let k = s - from
        guard k >= 0, k < 2 * ramp + hold else { return 0 }
        return -depth * Double(min(k, ramp, 2 * ramp + hold - k)) / Double(ramp)
    }

    /// The same fall while the oximeter's pulse rate jumps around the ECG's (a corrupted pleth:
    /// probe motion the chest sensor does not see) is an artefact and raises nothing.
    @Test func shortFallWithCorruptedPlethIsHeldBack() {
        let found = alerts(seconds: 1500, edit: { s, r, noise in
            guard r.device.rawValue.hasPrefix("OXP"), (1200..<1240).contains(s), let pr = r.number(Channel.pulseRate)
            else { return r }
            let jump = (noise.unit() < 0.5 ? -1.0 : 1.0) * (8 + 6 * noise.unit())
            return r.with(Channel.pulseRate, .number((pr + jump).rounded()))
        }, shift: { s in .init(spo2: Self.ramped(s, from: 1200, hold: 10)) })
        #expect(!found.contains { $0.kind == "desaturation" })
    }

    /// Round 4: a box-shaped dip (9 points within one second, 40 s long, back within one second)
    /// at rest with a clean pulse is a probe artefact's shape and raises nothing; the same fall
    /// developing over 15 s (a physiological slope) does fire.
    @Test func boxShapedDipIsAnArtefactButARampedOneIsNot() {
        let box = alerts(seconds: 1500, shift: { s in .init(spo2: (1200..<1240).contains(s) ? -9 : 0) })
        #expect(!box.contains { $0.kind == "desaturation" })
        let ramp = alerts(seconds: 1500, shift: { s in .init(spo2: Self.ramped(s, from: 1200, hold: 40)) })
        #expect(ramp.contains { $0.kind == "desaturation" && second($0.t) < 1270 + 30 })
    }

    /// A fall that starts with a jump but stays down is still reported, once the jump is a
    /// 45 s old (longer than single artefacts), within a desaturation's 2-minute deadline.
    @Test func steppedFallThatStaysDownFires() {
        let found = alerts(seconds: 1800, shift: { s in .init(spo2: (1200..<1500).contains(s) ? -10 : 0) })
            .filter { $0.kind == "desaturation" }
        #expect(found.contains { second($0.t) >= 1200 + 40 && second($0.t) <= 1200 + 120 })
        #expect(!found.contains { second($0.t) < 1200 + 40 })
    }

    @Test func saturationStepIsAnEdgeEitherWay() {
        var monitor = PatientMonitor()
        for x: Float in [97, 96, 97, 95, 94, 93, 92, 91, 90] { monitor.spo2.append(x) }
        #expect(!monitor.saturationStepped(), "a slope of 1-2 points a second is physiological")
        monitor.spo2.append(86)
        #expect(monitor.saturationStepped(), "4 points within a second is an edge")
        for _ in 0..<43 { monitor.spo2.append(86) }
        #expect(monitor.saturationStepped())
        monitor.spo2.append(86)
        #expect(!monitor.saturationStepped(), "the edge has left the latest 45 readings")
        monitor.spo2.append(91)
        #expect(monitor.saturationStepped(), "a recovery within a second is an edge too")
    }

    @Test func plethDisagreementNeedsTheEcg() {
        var monitor = PatientMonitor()
        for k in 0..<30 {
            monitor.heartRate.append(70)
            monitor.pulseRate.append(k % 2 == 0 ? 60 : 80)
        }
        monitor.heartRateAt = 10_000
        monitor.pulseRateAt = 10_000
        #expect(monitor.plethDisagrees(at: 11_000))
        #expect(!monitor.plethDisagrees(at: 20_000), "no recent ECG: nothing to compare with")
    }
}
