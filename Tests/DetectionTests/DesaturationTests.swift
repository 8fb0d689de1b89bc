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

    /// A fall of 9 points for 25 s at rest, with the oximeter's pulse rate following the ECG, is
    /// a desaturation.
    @Test func shortFallWithAgreeingPulseFires() {
        let found = alerts(seconds: 1500, shift: { s in .init(spo2: (1200..<1225).contains(s) ? -9 : 0) })
        #expect(found.contains { $0.kind == "desaturation" && second($0.t) < 1225 + 30 })
    }

    /// The same fall while the oximeter's pulse rate jumps around the ECG's (a corrupted pleth:
    /// probe motion the chest sensor does not see) is an artefact and raises nothing.
    @Test func shortFallWithCorruptedPlethIsHeldBack() {
        let found = alerts(seconds: 1500, edit: { s, r, noise in
            guard r.device.rawValue.hasPrefix("OXP"), (1200..<1225).contains(s), let pr = r.number(Channel.pulseRate)
            else { return r }
            let jump = (noise.unit() < 0.5 ? -1.0 : 1.0) * (8 + 6 * noise.unit())
            return r.with(Channel.pulseRate, .number((pr + jump).rounded()))
        }, shift: { s in .init(spo2: (1200..<1225).contains(s) ? -9 : 0) })
        #expect(!found.contains { $0.kind == "desaturation" })
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
