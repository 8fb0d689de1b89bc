import Telemetry

/// One ResPod measurement: `{"seq","ts","rr","posture","fall","acc":[x,y,z]}`.
struct ResPodReading: Sendable {
    var seq: UInt32
    var ts: Int64
    var respiratoryRate: Int
    var posture: Posture
    var fall: Bool
    var acceleration: (Double, Double, Double)

    func encode() -> [UInt8] {
        var w = PayloadWriter(seq: seq, ts: ts, capacity: 100)
        w.int("rr", respiratoryRate)
        w.string("posture", posture.name)
        w.bool("fall", fall)
        w.fixedArray("acc", [acceleration.0, acceleration.1, acceleration.2], decimals: 2)
        return w.finish()
    }

    /// A respiratory rate of 100-200 breaths/min.
    mutating func makeImplausible(using rng: inout SplitMix64) {
        respiratoryRate = rng.int(in: 100...200)
    }
}

extension DeviceState {
    mutating func sampleResPod(_ vitals: PatientVitals, now: Int64) -> ResPodReading {
        let ts = deviceTime(at: now)
        let rr = max(4, (vitals.respiratoryRate + rng.gaussian() * 0.8).rounded())
        let g = vitals.posture.gravity
        // Breathing moves the belt a little along its axis; plus sensor noise.
        let breath = 0.01 * rng.gaussian()
        let acc = (g.0 + rng.gaussian() * 0.02, g.1 + rng.gaussian() * 0.02, g.2 + breath + rng.gaussian() * 0.02)
        return ResPodReading(seq: takeSeq(), ts: ts, respiratoryRate: Int(rr), posture: vitals.posture,
                             fall: false, acceleration: acc)
    }
}
