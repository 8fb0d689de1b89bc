import Telemetry

/// One OxiPatch measurement, encodable in the fw 1.x and fw 2.x formats of DEVICES.md.
struct OxiPatchReading: Sendable {
    var seq: UInt32
    var ts: Int64
    /// `nil` while there is no finger / no signal.
    var spo2: Int?
    var pulseRate: Int?
    var spo2Quality: Double
    var pulseQuality: Double
    var perfusionIndex: Double
    var battery: Int

    /// fw 1.x: `{"seq","ts","spo2","pr","pi","batt"}`, sentinels 127/255 for no signal.
    /// fw 2.x: `{"seq","t","SpO2":{"v","q"},"PR":{"v","q"},"PI","battery"}`, `v` null for no signal.
    func encode(firmware: String) -> [UInt8] {
        var w = PayloadWriter(capacity: 120)
        w.int("seq", Int64(seq))
        if firmware.hasPrefix("1.") {
            w.int("ts", ts)
            w.int("spo2", spo2 ?? 127)
            w.int("pr", pulseRate ?? 255)
            w.fixed("pi", perfusionIndex, decimals: 1)
            w.int("batt", battery)
        } else {
            w.timestamp("t", ts, milliseconds: true)
            w.beginObject("SpO2")
            if let spo2 { w.int("v", spo2) } else { w.null("v") }
            w.fixed("q", spo2Quality, decimals: 2)
            w.endObject()
            w.beginObject("PR")
            if let pulseRate { w.int("v", pulseRate) } else { w.null("v") }
            w.fixed("q", pulseQuality, decimals: 2)
            w.endObject()
            w.fixed("PI", perfusionIndex, decimals: 1)
            w.int("battery", battery)
        }
        return w.finish()
    }

    /// SpO2 above 100 % (but never the 127 sentinel).
    mutating func makeImplausible(using rng: inout SplitMix64) {
        var value = rng.int(in: 105...160)
        if value == 127 { value = 140 }
        spo2 = value
        pulseRate = pulseRate ?? 72
        spo2Quality = 0.97
        pulseQuality = 0.95
    }
}

extension DeviceState {
    /// Samples the patient's saturation and pulse with oximeter noise, perfusion and battery.
    mutating func sampleOxiPatch(_ vitals: PatientVitals, now: Int64, artifacts: Bool) -> OxiPatchReading {
        let ts = deviceTime(at: now)
        if artifacts, now >= episodeUntil, rng.chance(1.0 / 1800) {
            episodeUntil = now + rng.int64(in: 3_000...20_000)
        }
        let noSignal = now < episodeUntil
        perfusion.step(&rng)
        battery = max(1, battery - 1.0 / 2700)
        let spo2 = min(100, (vitals.spo2 + rng.gaussian() * 0.3).rounded())
        let pulse = (vitals.heartRate + rng.gaussian() * 1.0).rounded()
        let quality = min(1, max(0.85, 0.97 + rng.gaussian() * 0.015))
        let pi = min(20, max(0.2, perfusionBase * Math.exponential(perfusion.value)))
        return OxiPatchReading(
            seq: takeSeq(), ts: ts,
            spo2: noSignal ? nil : Int(spo2),
            pulseRate: noSignal ? nil : Int(pulse),
            spo2Quality: noSignal ? 0 : quality,
            pulseQuality: noSignal ? 0 : max(0, quality - 0.02),
            perfusionIndex: noSignal ? 0 : pi,
            battery: Int(battery.rounded(.up)))
    }
}
