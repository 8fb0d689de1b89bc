@testable import Simulator
import Telemetry
import Testing

/// Every payload of a clean run has exactly the DEVICES.md fields and types of its family and
/// firmware.
@Suite("Payload formats (clean run)")
struct PayloadFormatTests {
    static let config = SimulatorConfig(patients: 6, seed: 2024, cuffProIntervalSeconds: 30)

    @Test("each payload parses and matches its family's schema")
    func schemas() throws {
        let messages = try Sim.run(Self.config, seconds: 600)
        var firmware: [String: String] = [:]
        var seen: Set<String> = []
        for message in messages {
            #expect(message.fault == nil)
            #expect(message.qos == 1)
            let topic = try #require(Sim.topic(message))
            let value = try #require(Sim.parse(message), "payload of \(message.topic) must parse")
            let family = try #require(DeviceFamily(deviceID: topic.device.rawValue))
            switch topic.kind {
            case .info:
                #expect(message.retain)
                #expect(Sim.keys(value) == ["model", "fw", "serial"])
                #expect(value["model"]?.stringValue == family.model)
                #expect(value["serial"]?.stringValue == topic.device.rawValue)
                firmware[topic.device.rawValue] = value["fw"]?.stringValue
            case .pair:
                #expect(message.retain)
                #expect(Sim.keys(value) == ["patient", "bed", "at"])
                #expect(value["patient"]?.stringValue?.hasPrefix("MRN-") == true)
                #expect(value["patient"]?.stringValue?.utf8.count == 12)
                #expect(value["bed"]?.stringValue?.hasPrefix("ICU-") == true)
                #expect(value["at"]?.stringValue.flatMap(Sim.parseISO) == Self.config.startTime)
            case .vitals:
                #expect(!message.retain)
                let fw = try #require(firmware[topic.device.rawValue], "info precedes vitals")
                checkVitals(value, family: family, firmware: fw)
                seen.insert("\(family.model) \(fw)")
            case .waveform:
                #expect(!message.retain)
                #expect(family == .cardioStrip)
                checkWaveform(value)
            }
        }
        // Both firmware generations of OxiPatch and ThermaDot were exercised.
        #expect(seen.isSuperset(of: ["OxiPatch 1.4.2", "OxiPatch 2.0.3", "ThermaDot 1.0.0", "ThermaDot 1.1.4"]))
    }

    func checkVitals(_ v: JSONValue, family: DeviceFamily, firmware: String) {
        #expect(Sim.isInteger(v["seq"]))
        switch family {
        case .oxiPatch where firmware.hasPrefix("1."):
            #expect(Sim.keys(v) == ["seq", "ts", "spo2", "pr", "pi", "batt"])
            for key in ["ts", "spo2", "pr", "batt"] { #expect(Sim.isInteger(v[key]), "\(key)") }
            #expect(v["pi"]?.numberValue != nil)
            let spo2 = Sim.int(v, "spo2") ?? -1
            #expect((85...100).contains(spo2) || (spo2 == 127 && Sim.int(v, "pr") == 255))
        case .oxiPatch:
            #expect(Sim.keys(v) == ["seq", "t", "SpO2", "PR", "PI", "battery"])
            #expect(v["t"]?.stringValue?.utf8.count == 24)
            #expect(v["t"]?.stringValue.flatMap(Sim.parseISO) != nil)
            for key in ["SpO2", "PR"] {
                let inner = v[key] ?? .null
                #expect(Sim.keys(inner) == ["v", "q"])
                #expect(inner["v"]?.isNull == true || Sim.isInteger(inner["v"]))
                let q = inner["q"]?.numberValue ?? -1
                #expect((0...1).contains(q))
            }
            let spo2 = v.value(at: "SpO2.v")
            #expect(spo2?.isNull == true || (85...100).contains(spo2?.numberValue ?? -1), "SpO2.v is null or plausible")
            #expect(v["PI"]?.numberValue != nil)
            #expect(Sim.isInteger(v["battery"]))
        case .cardioStrip:
            #expect(Sim.keys(v) == ["seq", "ts", "hr", "rr_ms", "lead_off"])
            #expect(Sim.isInteger(v["ts"]) && Sim.isInteger(v["hr"]))
            let rr = v["rr_ms"]?.arrayValue ?? []
            #expect(rr.allSatisfy { Sim.isInteger($0) })
            if v["lead_off"]?.boolValue == true {
                #expect(rr.isEmpty && Sim.int(v, "hr") == 0)
            } else {
                #expect(v["lead_off"]?.boolValue == false)
                #expect(rr.count == 3)
                #expect((40...140).contains(Sim.int(v, "hr") ?? 0))
            }
        case .thermaDot where firmware == "1.0.0":
            #expect(Sim.keys(v) == ["seq", "ts", "temp_f"])
            #expect((95...101).contains(v["temp_f"]?.numberValue ?? 0))
        case .thermaDot:
            #expect(Sim.keys(v) == ["seq", "ts", "temp_c", "site"])
            #expect((35...38.5).contains(v["temp_c"]?.numberValue ?? 0))
            #expect(["axillary", "oral", "skin", "core"].contains(v["site"]?.stringValue ?? ""))
        case .cuffPro:
            let status = v["status"]?.stringValue ?? ""
            if status == "ok" {
                #expect(Sim.keys(v) == ["seq", "ts", "sys", "dia", "map", "pr", "status"])
                let sys = Sim.int(v, "sys") ?? 0, dia = Sim.int(v, "dia") ?? 0, map = Sim.int(v, "map") ?? 0
                #expect((90...160).contains(sys) && (50...100).contains(dia) && sys > dia)
                #expect(abs(Double(map) - (Double(dia) + Double(sys - dia) / 3)) <= 0.5)
            } else {
                #expect(["motion", "cuff_leak", "timeout"].contains(status))
                #expect(Sim.keys(v) == ["seq", "ts", "status"])
            }
        case .resPod:
            #expect(Sim.keys(v) == ["seq", "ts", "rr", "posture", "fall", "acc"])
            #expect((6...30).contains(Sim.int(v, "rr") ?? 0))
            #expect(["supine", "prone", "left", "right", "upright", "unknown"].contains(v["posture"]?.stringValue ?? ""))
            #expect(v["fall"]?.boolValue == false)
            let acc = v["acc"]?.arrayValue ?? []
            #expect(acc.count == 3 && acc.allSatisfy { $0.numberValue != nil })
        }
        if family != .oxiPatch || firmware.hasPrefix("1.") {
            // Device clocks are within a fraction of a second of the publish time.
            #expect(Sim.isInteger(v["ts"]))
        }
    }

    func checkWaveform(_ v: JSONValue) {
        #expect(Sim.keys(v) == ["seq", "ts0", "fs", "lead", "n", "uV"])
        #expect(Sim.int(v, "fs") == 250 && Sim.int(v, "n") == 250)
        #expect(v["lead"]?.stringValue == "II")
        #expect(Sim.samples(v)?.count == 250)
    }

    @Test("device timestamps stay close to the publish time; seq counts up per device")
    func clocksAndSequences() throws {
        let messages = try Sim.run(SimulatorConfig(patients: 3, seed: 8), seconds: 900)
        var seqs: [String: [Int]] = [:]
        for message in messages {
            let topic = try #require(Sim.topic(message))
            guard topic.kind == .vitals || topic.kind == .waveform else { continue }
            let value = try #require(Sim.parse(message))
            let ts = try #require(Sim.deviceTime(value))
            let expected = topic.kind == .waveform ? message.at - 1000 : message.at
            #expect(abs(ts - expected) < 500, "clock offset of \(topic.device)")
            seqs[topic.device.rawValue, default: []].append(try #require(Sim.int(value, "seq")))
        }
        #expect(seqs.count == 15)
        for (device, seqs) in seqs {
            #expect(Array(seqs.dropFirst()) == seqs.dropLast().map { $0 + 1 }, "seq of \(device) counts up by one")
        }
    }

    @Test("values wander realistically around per-patient baselines")
    func physiology() throws {
        let messages = try Sim.run(SimulatorConfig(patients: 4, seed: 3, benignArtifacts: false), seconds: 600)
        var heartRates: [String: [Double]] = [:]
        for message in messages where Sim.family(message) == .cardioStrip && Sim.topic(message)?.kind == .vitals {
            heartRates[message.topic, default: []].append(Sim.parse(message)?["hr"]?.numberValue ?? 0)
        }
        #expect(heartRates.count == 4)
        for series in heartRates.values {
            let mean = series.reduce(0, +) / Double(series.count)
            #expect((50...105).contains(mean))
            #expect(Set(series).count > 3, "the heart rate varies")
            let jumps = zip(series, series.dropFirst()).map { abs($0 - $1) }
            #expect(jumps.max() ?? 0 < 15, "no jumps beyond noise")
        }
    }
}
