import Testing
import Telemetry
@testable import Detection

/// One crafted clinical or cross-device anomaly per patient-level detector.
@Suite struct PatientDetectorTests {
    @Test func tachycardiaSeenByBothSources() {
        let found = alerts(seconds: 1500, shift: { s in .init(heartRate: (1200..<1400).contains(s) ? 80 : 0) })
        #expect(found.contains { $0.kind == "tachycardia" && $0.category == .clinical && second($0.t) < 1200 + 120 })
        #expect(found.allSatisfy { second($0.t) >= 1200 && second($0.t) < 1400 + 120 })
    }

    @Test func bradycardia() {
        let found = alerts(seconds: 1500, shift: { s in .init(heartRate: (1200..<1400).contains(s) ? -38 : 0) })
        #expect(found.contains { $0.kind == "bradycardia" && second($0.t) < 1200 + 120 })
        #expect(found.allSatisfy { second($0.t) >= 1200 && second($0.t) < 1400 + 120 })
    }

    @Test func desaturation() {
        let found = alerts(seconds: 1800) { s, r, _ in
            guard r.device.rawValue.hasPrefix("OXP"), (1200..<1440).contains(s), let x = r.number(Channel.spo2) else { return r }
            let depth = min(1, Double(s - 1200) / 30) * 10
            return r.with(Channel.spo2, .number((x - depth).rounded()))
        }
        #expect(found.contains { $0.kind == "desaturation" && second($0.t) < 1200 + 120 })
        #expect(found.allSatisfy { second($0.t) >= 1200 && second($0.t) < 1440 + 120 })
    }

    @Test func spoofedPulseNoLongerTracksTheHeart() {
        let found = alerts(seconds: 3000) { s, r, noise in
            guard r.device.rawValue.hasPrefix("OXP"), s >= 1800 else { return r }
            return r.with(Channel.pulseRate, .number((76 + 2 * noise.normal()).rounded()))
        }
        #expect(found.contains { $0.kind == "pulse_sources_disagree" && $0.category == .security && second($0.t) < 2400 })
        #expect(found.allSatisfy { second($0.t) >= 1800 })
    }

    @Test func deteriorationOverAnHour() throws {
        let start = 9000
        let found = alerts(seconds: start + 2400, shift: { s in
            let f = max(0, min(1, Double(s - start) / 3600))
            return .init(heartRate: 35 * f, spo2: -5 * f, respiratoryRate: 9 * f, temperature: 1.5 * f, systolic: -28 * f)
        })
        #expect(found.contains { $0.kind == "deterioration" && $0.category == .clinical })
        #expect(found.allSatisfy { second($0.t) >= start })
        let first = try #require(found.first)
        #expect(second(first.t) < Int64(start + 1800), "the first alert comes within half an hour")
    }

    @Test func temperatureSensorDrift() {
        let start = 9000
        let found = alerts(seconds: start + 2400, shift: { s in
            .init(temperature: 1.4 * max(0, min(1, Double(s - start) / 2700)))
        })
        #expect(found.contains { $0.kind == "drift_body_temperature" && $0.category == .fault })
        #expect(found.allSatisfy { second($0.t) >= start })
    }

    @Test func news2Thresholds() {
        #expect(NEWS2.score(respiratoryRate: 16, spo2: 97, systolic: 125, pulse: 75, temperature: 36.8) == 0)
        #expect(NEWS2.score(respiratoryRate: 26, spo2: 90, systolic: 88, pulse: 135, temperature: 39.5) == 14)
        #expect(NEWS2.pulse(95) == 1 && NEWS2.pulse(45) == 1 && NEWS2.spo2(94) == 1 && NEWS2.temperature(38.5) == 1)
    }
}
