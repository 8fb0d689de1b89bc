@testable import Simulator
import Telemetry
import Testing

/// Each fault kind, enabled alone, produces its documented effect and is counted.
@Suite("Fault injection")
struct FaultInjectionTests {
    static func run(_ kind: FaultKind, patients: Int = 4, seconds: Int = 900, rate: Double = 0.01,
                    oxiV2: Double = 0.5) throws -> (messages: [SimulatedMessage], summary: SimulationSummary) {
        let config = SimulatorConfig(patients: patients, seed: 77, faults: [kind], faultRate: rate,
                                     oxiPatchV2Fraction: oxiV2, cuffProIntervalSeconds: 60)
        var simulator = try TelemetrySimulator(config: config)
        let messages = simulator.messages(until: config.startTime + Int64(seconds) * 1000)
        return (messages, simulator.summary)
    }

    @Test("every kind is injected and counted, and only that kind", arguments: FaultKind.allCases)
    func counted(kind: FaultKind) throws {
        let (messages, summary) = try Self.run(kind)
        let tagged = messages.filter { $0.fault != nil }
        #expect(!tagged.isEmpty)
        #expect(tagged.allSatisfy { $0.fault == kind })
        #expect((summary.faultEvents[kind] ?? 0) > 0)
        #expect(summary.faultEvents.keys.allSatisfy { $0 == kind })
        #expect(summary.faultMessages[kind] == tagged.count)
        #expect(zip(messages, messages.dropFirst()).allSatisfy { $0.at <= $1.at })
    }

    /// A run with `kind` enabled: every message, and those tagged `kind` (expected to be some).
    static func tagged(_ kind: FaultKind, rate: Double = 0.01) throws -> (all: [SimulatedMessage], tagged: [SimulatedMessage]) {
        let messages = try run(kind, rate: rate).messages
        let tagged = messages.filter { $0.fault == kind }
        #expect(!tagged.isEmpty, "\(kind) is injected")
        return (messages, tagged)
    }

    static func version(_ text: String) -> [Int] { text.split(separator: ".").map { Int($0) ?? 0 } }

    @Test("no faults unless enabled; the rate scales the count")
    func rate() throws {
        let clean = try Sim.run(SimulatorConfig(patients: 2, seed: 3), seconds: 300)
        #expect(clean.allSatisfy { $0.fault == nil })
        let low = try Self.run(.truncated, rate: 0.002).summary.faultEvents[.truncated] ?? 0
        let high = try Self.run(.truncated, rate: 0.02).summary.faultEvents[.truncated] ?? 0
        // 4 patients x ~4 msg/s x 900 s = 14 400 rolls: ~29 at 0.002.
        #expect((10...60).contains(low))
        #expect(high > 4 * low)
    }

    @Test("duplicate re-sends an earlier message byte-identical on the same topic")
    func duplicate() throws {
        let (messages, copies) = try Self.tagged(.duplicate)
        for copy in copies {
            #expect(messages.contains { $0.fault == nil && $0.topic == copy.topic && $0.payload == copy.payload && $0.at < copy.at })
        }
    }

    @Test("out-of-order publishes a reading after the device's next one")
    func outOfOrder() throws {
        let (messages, late) = try Self.tagged(.outOfOrder)
        for message in late {
            let seq = try #require(Sim.seq(message))
            #expect(messages.contains { $0.topic == message.topic && $0.at < message.at && (Sim.seq($0) ?? 0) > seq })
        }
    }

    @Test("reboot re-publishes info and restarts seq at 0")
    func reboot() throws {
        let messages = try Self.run(.reboot).messages
        let infos = messages.enumerated().filter { $0.element.fault == .reboot }
        #expect(!infos.isEmpty)
        for (index, info) in infos {
            #expect(info.retain && Sim.topic(info)?.kind == .info)
            let device = try #require(Sim.topic(info)?.device)
            let next = try #require(messages[(index + 1)...].first {
                Sim.topic($0)?.device == device && Sim.topic($0)?.kind == .vitals
            }, "the rebooted device publishes vitals again")
            #expect(Sim.seq(next) == 0)
        }
    }

    @Test("device swap detaches and re-pairs to another patient", arguments: [1, 4])
    func deviceSwap(patients: Int) throws {
        let messages = try Self.run(.deviceSwap, patients: patients).messages
        var current: [String: String] = [:]
        var detached: Set<String> = []
        var moves = 0
        for message in messages where Sim.topic(message)?.kind == .pair {
            let device = Sim.topic(message)!.device.rawValue
            let value = try #require(Sim.parse(message))
            if value["patient"]?.isNull == true {
                #expect(message.fault == .deviceSwap && message.retain)
                #expect(value["at"]?.stringValue != nil && Sim.keys(value) == ["patient", "at"])
                detached.insert(device)
            } else {
                let patient = value["patient"]?.stringValue
                if let before = current[device] {
                    #expect(detached.contains(device))
                    #expect(before != patient)
                    moves += 1
                } else {
                    #expect(message.fault == nil, "a device's first pairing is not a swap")
                }
                current[device] = patient
                detached.remove(device)
            }
        }
        #expect(moves > 0)
    }

    @Test("firmware update announces a higher version and switches OxiPatch to the 2.x format")
    func firmwareUpdate() throws {
        let messages = try Self.run(.firmwareUpdate, rate: 0.02, oxiV2: 0).messages
        var firmware: [String: String] = [:]
        var switched = 0
        for message in messages {
            let topic = try #require(Sim.topic(message))
            let value = try #require(Sim.parse(message))
            let device = topic.device.rawValue
            if topic.kind == .info {
                let fw = value["fw"]?.stringValue ?? ""
                if let before = firmware[device] {
                    #expect(message.fault == .firmwareUpdate)
                    #expect(Self.version(fw).lexicographicallyPrecedes(Self.version(before)) == false && fw != before)
                } else {
                    #expect(message.fault == nil, "a device's first announcement is not an update")
                }
                firmware[device] = fw
            } else if topic.kind == .vitals, Sim.family(message) == .oxiPatch {
                let isV2 = firmware[device]?.hasPrefix("2.") == true
                #expect((value["t"] != nil) == isV2)
                #expect((value["spo2"] != nil) == !isV2)
                if isV2 { switched += 1 }
            }
        }
        #expect(switched > 0)
    }

    @Test("burst: silence, then buffered readings at once with their original seq and ts")
    func burst() throws {
        let burst = try Self.tagged(.burst).tagged
        let byTopic = Dictionary(grouping: burst, by: \.topic)
        var sawLongBurst = false
        for (_, group) in byTopic {
            let seqs = group.compactMap(Sim.seq)
            #expect(seqs == seqs.sorted())
            for message in group {
                let ts = try #require(Sim.parse(message).flatMap(Sim.deviceTime))
                #expect(message.at - ts >= -1500)  // published no earlier than measured
            }
            if let first = group.first, let ts = Sim.parse(first).flatMap(Sim.deviceTime), first.at - ts > 15_000,
               group.count >= 15 {
                sawLongBurst = true
            }
        }
        #expect(sawLongBurst)
    }

    @Test("truncated payloads fail to parse")
    func truncated() throws {
        let cut = try Self.tagged(.truncated).tagged
        for message in cut {
            #expect(throws: JSONError.self) { try JSONParser().parse(message.payload) }
        }
    }

    @Test("corrupted payloads are invalid UTF-8")
    func corrupted() throws {
        let bad = try Self.tagged(.corrupted).tagged
        for message in bad {
            #expect(message.payload.contains { $0 >= 0x80 })
            let error = #expect(throws: JSONError.self) { try JSONParser().parse(message.payload) }
            #expect(error?.kind == .invalidUTF8)
        }
    }

    @Test("implausible values are outside what a human body produces")
    func implausible() throws {
        let odd = try Self.tagged(.implausible, rate: 0.05).tagged
        var families: Set<DeviceFamily> = []
        for message in odd {
            let value = try #require(Sim.parse(message))
            let family = try #require(Sim.family(message))
            families.insert(family)
            switch family {
            case .oxiPatch:
                let spo2 = value["spo2"]?.numberValue ?? value.value(at: "SpO2.v")?.numberValue ?? 0
                #expect(spo2 > 100 && spo2 != 127)
            case .cardioStrip: #expect((value["hr"]?.numberValue ?? 0) >= 300)
            case .thermaDot:
                let celsius = value["temp_c"]?.numberValue ?? ((value["temp_f"]?.numberValue ?? 0) - 32) * 5 / 9
                #expect(celsius > 45)
            case .cuffPro: #expect((value["sys"]?.numberValue ?? 0) >= 320)
            case .resPod: #expect((value["rr"]?.numberValue ?? 0) >= 100)
            }
        }
        #expect(families == Set(DeviceFamily.allCases))
    }

    @Test("unsynced devices report timestamps near 1970")
    func unsynced() throws {
        let (messages, stale) = try Self.tagged(.unsynced)
        for message in stale {
            let ts = try #require(Sim.parse(message).flatMap(Sim.deviceTime))
            #expect(ts < 100_000_000_000)
        }
        // After the sync, the device's clock is right again.
        let untagged = messages.filter { $0.fault == nil && Sim.topic($0)?.kind == .vitals }
        #expect(untagged.allSatisfy { (Sim.parse($0).flatMap(Sim.deviceTime) ?? 0) > 1_700_000_000_000 })
    }

    @Test("unknown devices announce a model no family has")
    func unknownDevice() throws {
        let messages = try Self.run(.unknownDevice).messages
        let infos = messages.filter { $0.fault == .unknownDevice && Sim.topic($0)?.kind == .info }
        #expect(!infos.isEmpty)
        for info in infos {
            let model = try #require(Sim.parse(info)?["model"]?.stringValue)
            #expect(!DeviceFamily.allCases.map(\.model).contains(model))
            #expect(info.retain)
        }
        #expect(messages.contains { $0.fault == .unknownDevice && Sim.topic($0)?.kind == .vitals })
    }

    @Test("unknown firmware is announced as 9.9.9, then the real version returns")
    func unknownFirmware() throws {
        let messages = try Self.run(.unknownFirmware).messages
        let infos = messages.filter { $0.fault == .unknownFirmware && Sim.topic($0)?.kind == .info }
        let versions = infos.compactMap { Sim.parse($0)?["fw"]?.stringValue }
        #expect(versions.contains("9.9.9"))
        #expect(versions.contains { $0 != "9.9.9" })
    }

    @Test("waveform mismatch: n differs from the sample count or from fs")
    func waveformMismatch() throws {
        let odd = try Self.tagged(.waveformMismatch).tagged
        for message in odd {
            let value = try #require(Sim.parse(message))
            let n = Sim.int(value, "n"), fs = Sim.int(value, "fs"), count = Sim.samples(value)?.count
            #expect(n != count || n != fs)
        }
    }

    @Test("fault names parse from command-line lists")
    func parsing() throws {
        #expect(try FaultKind.parseList("duplicate,burst") == [.duplicate, .burst])
        #expect(try FaultKind.parseList("outOfOrder, device-swap,WAVEFORM_MISMATCH")
            == [.outOfOrder, .deviceSwap, .waveformMismatch])
        #expect(try FaultKind.parseList("all") == Set(FaultKind.allCases))
        #expect(try FaultKind.parseList("") == [])
        #expect(throws: SimulatorError.self) { try FaultKind.parseList("duplicate,gremlins") }
        for kind in FaultKind.allCases { #expect(FaultKind(rawValue: kind.rawValue) == kind) }
    }
}
