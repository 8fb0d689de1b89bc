import Testing
import Telemetry
@testable import Detection

/// Issue 23, round 3: a deterioration of two vitals that each moved strongly counts (at a
/// penalty on the index); one strong vital beside a slight move of another does not. The
/// minute series are written directly (noise-free), so the rule itself is what is tested.
@Suite struct TwoVitalDeteriorationTests {
    typealias V = TrendState.Vital

    /// 145 baseline minutes, then 5 minutes shifted by `shift` per vital; returns the findings
    /// of the trend tests at the next minute.
    static func findings(shift: [V: Float]) -> [Finding] {
        var monitor = PatientMonitor()
        let base: [V: Float] = [.heartRate: 75, .respiratoryRate: 15, .spo2: 97, .systolic: 125, .temperature: 36.8]
        for k in 0..<149 {
            for v in V.allCases {
                monitor.trends.minutes[v.rawValue].append(base[v]! + (k >= 144 ? shift[v, default: 0] : 0))
            }
            monitor.trends.activity.append(0)
        }
        let now: Int64 = 10_000_000
        monitor.trends.nextMinute = now
        var found: [Finding] = []
        monitor.tickTrends(at: now, config: DetectionConfig(), findings: &found)
        return found
    }

    static func alerted(_ found: [Finding]) -> Bool {
        found.contains { $0.kind == "deterioration" && $0.score >= DetectionConfig().threshold(for: "deterioration") }
    }

    @Test func twoStrongVitalsAreADeterioration() {
        #expect(Self.alerted(Self.findings(shift: [.heartRate: 18, .respiratoryRate: 6])))
    }

    @Test func oneStrongVitalAndASlightOneAreNot() {
        let found = Self.findings(shift: [.heartRate: 18, .respiratoryRate: 3])
        #expect(!found.contains { $0.kind == "deterioration" })
    }

    @Test func threeVitalsStillCountWithoutThePenalty() {
        #expect(Self.alerted(Self.findings(shift: [.heartRate: 9, .respiratoryRate: 4, .temperature: 0.5])))
    }
}
