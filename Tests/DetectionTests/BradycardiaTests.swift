import Testing
import Telemetry
@testable import Detection

/// Issue 23, round 3: a habitually slow heart (an hour's median under 55 /min) drifting across
/// 42 is not a bradycardia; a sudden fall of the same heart is.
@Suite struct BradycardiaTests {
    /// The synthetic patient's heart rate is 76 + noise; 26 less is a resting rate of 50.
    static func slowPatient(dip: @escaping (Int) -> Double) -> [Alert] {
        alerts(seconds: 3600, shift: { s in .init(heartRate: -26 + dip(s)) })
    }

    @Test func slowHeartDriftingAcross42IsNotABradycardia() {
        // 50 -> 40 over two minutes, held for 5 minutes, back over two minutes
        let found = Self.slowPatient { s in
            let t = Double(s - 2400)
            return -10 * max(0, min(1, min(t / 120, (540 - t) / 120)))
        }
        #expect(!found.contains { $0.kind == "bradycardia" })
    }

    @Test func suddenFallOfASlowHeartIsABradycardia() {
        let found = Self.slowPatient { s in (2400..<2700).contains(s) ? -12 : 0 }
        #expect(found.contains { $0.kind == "bradycardia" && second($0.t) >= 2400 && second($0.t) < 2400 + 120 })
    }

    @Test func ordinaryHeartAt42IsStillABradycardia() {
        // a resting rate of 76 falling slowly to 38: no sudden step needed
        let found = alerts(seconds: 3600, shift: { s in
            let t = Double(s - 2400)
            return .init(heartRate: -38 * max(0, min(1, min(t / 120, (540 - t) / 120))))
        })
        #expect(found.contains { $0.kind == "bradycardia" && second($0.t) >= 2400 })
    }
}
