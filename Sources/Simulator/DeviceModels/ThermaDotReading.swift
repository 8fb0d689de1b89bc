import Telemetry

/// One ThermaDot measurement: fw 1.0 `{"seq","ts","temp_f"}`, fw 1.1+ `{"seq","ts","temp_c","site"}`.
struct ThermaDotReading: Sendable {
    var seq: UInt32
    var ts: Int64
    /// Degrees Celsius.
    var celsius: Double
    var site: String

    func encode(firmware: String) -> [UInt8] {
        var w = PayloadWriter(seq: seq, ts: ts, capacity: 72)
        if firmware.hasPrefix("1.0.") {
            w.fixed("temp_f", celsius * 9 / 5 + 32, decimals: 1)
        } else {
            w.fixed("temp_c", celsius, decimals: 1)
            w.string("site", site)
        }
        return w.finish()
    }

    /// 46-55 °C.
    mutating func makeImplausible(using rng: inout SplitMix64) {
        celsius = rng.uniform(46...55)
    }
}

extension DeviceState {
    mutating func sampleThermaDot(_ vitals: PatientVitals, now: Int64) -> ThermaDotReading {
        let ts = deviceTime(at: now)
        let siteOffset: Double = switch temperatureSite {
        case "skin": -0.4
        case "oral": 0.2
        case "core": 0.4
        default: 0
        }
        let celsius = vitals.temperature + siteOffset + rng.gaussian() * 0.03
        return ThermaDotReading(seq: takeSeq(), ts: ts, celsius: celsius, site: temperatureSite)
    }
}
