@testable import Simulator
import Telemetry
import Testing

@Suite("Building blocks")
struct CodecTests {
    @Test("SplitMix64 reference values and helpers")
    func splitMix() {
        var rng = SplitMix64(seed: 0)
        // Reference output of SplitMix64 seeded with 0.
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(rng.next() == 0x6E78_9E6A_A1B9_65F4)
        var a = SplitMix64(seed: 42, stream: 1), b = SplitMix64(seed: 42, stream: 2)
        #expect(a.next() != b.next())
        var g = SplitMix64(seed: 9)
        let values = (0..<20_000).map { _ in g.gaussian() }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
        #expect((0..<1000).allSatisfy { _ in (3...7).contains(g.int(in: 3...7)) })
    }

    @Test("ISO 8601 formatting")
    func iso() {
        #expect(ISO8601.string(1_763_884_800_123) == "2025-11-23T08:00:00.123Z")
        #expect(ISO8601.string(1_763_884_800_123, milliseconds: false) == "2025-11-23T08:00:00Z")
        #expect(ISO8601.string(0) == "1970-01-01T00:00:00.000Z")
        #expect(ISO8601.string(951_782_400_000) == "2000-02-29T00:00:00.000Z")
        #expect(Sim.parseISO(ISO8601.string(1_798_761_599_999)) == 1_798_761_599_999)
    }

    @Test("payload writer numbers")
    func writer() {
        var w = PayloadWriter()
        w.int("a", -42)
        w.fixed("b", 36.849, decimals: 1)
        w.fixed("c", -0.004, decimals: 2)
        w.fixed("d", 1, decimals: 2)
        w.intArray("e", [1, 2])
        w.beginObject("f")
        w.null("v")
        w.endObject()
        w.string("g", "x\"y")
        #expect(String(decoding: w.finish(), as: UTF8.self)
            == #"{"a":-42,"b":36.8,"c":0.00,"d":1.00,"e":[1,2],"f":{"v":null},"g":"x\"y"}"#)
    }

    @Test("firmware upgrades")
    func upgrades() {
        #expect(Firmware.upgrade(from: "1.4.2", family: .oxiPatch) == "2.0.3")
        #expect(Firmware.upgrade(from: "2.0.3", family: .oxiPatch) == "2.0.4")
        #expect(Firmware.upgrade(from: "1.0.0", family: .thermaDot) == "1.1.4")
        #expect(Firmware.upgrade(from: "5.1.0", family: .cuffPro) == "5.1.1")
    }

    @Test("device ids have the documented shape")
    func ids() throws {
        let simulator = try TelemetrySimulator(config: SimulatorConfig(patients: 10, seed: 3))
        for device in simulator.devices {
            let id = device.id.rawValue
            #expect(id.hasPrefix(device.family.idPrefix + "-") && id.utf8.count == 10)
            #expect(DeviceFamily(deviceID: id) == device.family)
        }
        #expect(Set(simulator.patients.map(\.identifier)).count == 10)
        #expect(simulator.patients.map(\.bed) == (1...10).map { "ICU-\($0)" })
    }
}
