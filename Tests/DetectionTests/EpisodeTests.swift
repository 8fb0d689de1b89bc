import Testing
import Telemetry
@testable import Detection

/// Episodes of windowed findings, drift recency, and desaturation under motion.
@Suite struct EpisodeTests {
    @Test func episodicFindingAlertsOncePerEpisode() {
        var gate = AlertGate()
        let config = DetectionConfig()
        let f = Finding(kind: "drift_spo2", category: .fault, score: 0.95, device: nil, evidenceStart: 0,
                        evidenceEnd: 0, episodic: true)
        var admitted: [Int64] = []
        for minute in Int64(0)..<40 where gate.admit(f, patient: "P", at: minute * 60_000, config: config) {
            admitted.append(minute)
        }
        #expect(admitted == [0])   // no reminders while it recurs every minute
        let sameEpisode = gate.admit(f, patient: "P", at: 43 * 60_000, config: config)   // absent 4 min
        let newEpisode = gate.admit(f, patient: "P", at: 50 * 60_000, config: config)    // absent 7 min
        #expect(!sameEpisode && newEpisode)
        var plain = f
        plain.episodic = false
        let first = gate.admit(plain, patient: "Q", at: 0, config: config)
        let reminder = gate.admit(plain, patient: "Q", at: 600_000, config: config)   // reminded per interval
        #expect(first && reminder)
    }

    /// A thermometer drifts for 45 min and is then replaced (abrupt return): one alert during
    /// the drift, nothing once the newest readings are back to normal.
    @Test func driftThatEndsRaisesOneAlertInside() {
        let start = 9000, end = 9000 + 2700
        let found = alerts(seconds: end + 1500, shift: { s in
            .init(temperature: (start..<end).contains(s) ? 1.4 * Double(s - start) / 2700 : 0)
        })
        let drifts = found.filter { $0.kind == "drift_body_temperature" }
        #expect(drifts.count == 1)
        #expect(drifts.allSatisfy { second($0.t) >= start && second($0.t) < end + 120 })
        #expect(found.allSatisfy { second($0.t) >= start && second($0.t) < end + 120 })
    }

    /// While the patient moves, short probe-motion dips of SpO2 (no quality field) are not a
    /// desaturation; a real 4-minute desaturation during the same activity still is.
    @Test func desaturationDuringActivity() {
        func moving(_ s: Int, _ r: Reading, _ noise: inout SyntheticPatient, desaturate: Bool) -> Reading {
            guard s >= 1200 else { return r }
            if r.device.rawValue.hasPrefix("RSP") {
                let acc = [0.3 * noise.normal(), 0.3 * noise.normal(), 1 + 0.3 * noise.normal()]
                return r.with(Channel.acceleration, .series(acc.map { ($0 * 100).rounded() / 100 }))
            }
            guard r.device.rawValue.hasPrefix("OXP"), let x = r.number(Channel.spo2) else { return r }
            if desaturate, (2400..<2640).contains(s) {
                return r.with(Channel.spo2, .number((x - min(1, Double(s - 2400) / 30) * 10).rounded()))
            }
            return s % 120 < 20 ? r.with(Channel.spo2, .number(x - 6)) : r   // 20-s motion artefact
        }
        let clean = alerts(seconds: 3000) { s, r, noise in moving(s, r, &noise, desaturate: false) }
        #expect(!clean.contains { $0.kind == "desaturation" })
        let real = alerts(seconds: 3000) { s, r, noise in moving(s, r, &noise, desaturate: true) }
        #expect(real.contains { $0.kind == "desaturation" && second($0.t) >= 2400 && second($0.t) < 2400 + 120 })
    }
}
