import Telemetry
/// One CardioStrip vitals message: `{"seq","ts","hr","rr_ms":[...],"lead_off"}`.
struct CardioStripReading: Sendable {
    var seq: UInt32
    var ts: Int64
    var heartRate: Int
    var rrIntervals: [Int]
    var leadOff: Bool

    func encode() -> [UInt8] {
        var w = PayloadWriter(seq: seq, ts: ts, capacity: 96)
        w.int("hr", heartRate)
        w.intArray("rr_ms", rrIntervals)
        w.bool("lead_off", leadOff)
        return w.finish()
    }

    /// A heart rate of 300-450/min with matching intervals.
    mutating func makeImplausible(using rng: inout SplitMix64) {
        heartRate = rng.int(in: 300...450)
        let rr = 60_000 / heartRate
        rrIntervals = [rr, rr, rr]
        leadOff = false
    }
}

/// One second of ECG: `{"seq","ts0","fs","lead","n","uV"}` with `uV` the base64 of `n`
/// little-endian int16 samples.
struct WaveformChunk {
    var seq: UInt32
    var ts0: Int64
    var sampleRate: Int
    /// The `n` field; equals the sample count unless a `waveformMismatch` fault changed it.
    var declaredCount: Int

    func encode(samples: ArraySlice<Int16>, scratch: inout [UInt8]) -> [UInt8] {
        scratch.removeAll(keepingCapacity: true)
        for sample in samples {
            let bits = UInt16(bitPattern: sample)
            scratch.append(UInt8(truncatingIfNeeded: bits))
            scratch.append(UInt8(truncatingIfNeeded: bits >> 8))
        }
        var w = PayloadWriter(capacity: 96 + (scratch.count + 2) / 3 * 4)
        w.int("seq", Int64(seq))
        w.int("ts0", ts0)
        w.int("fs", sampleRate)
        w.string("lead", "II")
        w.int("n", declaredCount)
        w.key("uV")
        var bytes = w.bytes
        bytes.append(UInt8(ascii: "\""))
        Base64.encode(scratch, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

extension DeviceState {
    /// Advances the ECG by one second (rendering into `samples` when `render`) and returns the
    /// vitals reading: heart rate and the last three RR intervals from the synthesised beats.
    mutating func sampleCardioStrip(_ vitals: PatientVitals, now: Int64, artifacts: Bool,
                                    samples: inout [Int16], render: Bool) -> CardioStripReading {
        if artifacts, now >= episodeUntil, rng.chance(1.0 / 3600) {
            episodeUntil = now + rng.int64(in: 5_000...30_000)
        }
        let leadOff = now < episodeUntil
        ecg.advanceOneSecond(heartRate: vitals.heartRate, respiratoryRate: vitals.respiratoryRate,
                             leadOff: leadOff, rng: &rng, samples: &samples, render: render)
        let ts = deviceTime(at: now)
        if leadOff {
            return CardioStripReading(seq: takeSeq(), ts: ts, heartRate: 0, rrIntervals: [], leadOff: true)
        }
        return CardioStripReading(seq: takeSeq(), ts: ts, heartRate: ecg.reportedHeartRate,
                                  rrIntervals: ecg.recentRRArray, leadOff: false)
    }
}
