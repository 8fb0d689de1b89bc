import Telemetry

/// One CuffPro measurement: `{"seq","ts","sys","dia","map","pr","status":"ok"}`, or
/// `{"seq","ts","status"}` when the measurement failed.
struct CuffProReading: Sendable {
    var seq: UInt32
    var ts: Int64
    var systolic: Int
    var diastolic: Int
    var pulseRate: Int
    /// `ok`, `motion`, `cuff_leak` or `timeout`.
    var status: String

    /// Mean arterial pressure, dia + (sys - dia) / 3, rounded.
    var meanArterial: Int {
        Int((Double(diastolic) + Double(systolic - diastolic) / 3).rounded())
    }

    func encode() -> [UInt8] {
        var w = PayloadWriter(seq: seq, ts: ts, capacity: 96)
        if status == "ok" {
            w.int("sys", systolic)
            w.int("dia", diastolic)
            w.int("map", meanArterial)
            w.int("pr", pulseRate)
        }
        w.string("status", status)
        return w.finish()
    }

    /// Systolic 320-400 mmHg (a successful measurement).
    mutating func makeImplausible(using rng: inout SplitMix64) {
        systolic = rng.int(in: 320...400)
        status = "ok"
    }
}

extension DeviceState {
    mutating func sampleCuffPro(_ vitals: PatientVitals, now: Int64, artifacts: Bool) -> CuffProReading {
        let ts = deviceTime(at: now)
        let systolic = Int((vitals.systolic + rng.gaussian() * 3).rounded())
        let diastolic = min(systolic - 20, Int((vitals.diastolic + rng.gaussian() * 2).rounded()))
        let pulse = Int((vitals.heartRate + rng.gaussian() * 1.5).rounded())
        var status = "ok"
        if artifacts {
            let roll = rng.nextDouble()
            status = roll < 0.04 ? "motion" : roll < 0.05 ? "cuff_leak" : roll < 0.06 ? "timeout" : "ok"
        }
        return CuffProReading(seq: takeSeq(), ts: ts, systolic: systolic, diastolic: diastolic,
                              pulseRate: pulse, status: status)
    }
}
