import Testing
import Telemetry
@testable import Detection

/// Issue 23, round 3: a field that wanders in coarse steps (a perfusion index in 0.1 steps) has
/// natural unchanged runs far longer than its change rate between them suggests; those runs
/// must teach the change rate, or its plateaus read as freezes.
@Suite struct FieldFreezeTests {
    static func reading(_ x: Double, seq: UInt32) -> Reading {
        Reading(device: DeviceID("OXP-00F001")!, kind: .vitals, schemaID: "test", model: "test", firmware: "1.0.0",
                seq: seq, deviceTime: Int64(seq) * 1000, receivedAt: Int64(seq) * 1000,
                measurements: [.init(channel: Channel.perfusionIndex, value: .number(x), unit: "%")])
    }

    /// Cycles of 80 readings changing every other reading, then a 66-reading plateau (runs of 67).
    static func wandering(cycles: Int, into freeze: inout FieldFreeze, seq: inout UInt32) -> Int {
        var reports = 0
        var x = 2.0
        for _ in 0..<cycles {
            for k in 0..<146 {
                if k < 80, k % 2 == 0 { x += (k % 4 == 0 ? 0.1 : -0.1) }
                reports += freeze.observe(reading((x * 10).rounded() / 10, seq: seq)).count
                seq += 1
            }
        }
        return reports
    }

    @Test func plateausOfAWanderingFieldAreNotFreezes() {
        var freeze = FieldFreeze()
        var seq: UInt32 = 0
        #expect(Self.wandering(cycles: 30, into: &freeze, seq: &seq) == 0)
    }

    @Test func theSameFieldFrozenIsFound() throws {
        var freeze = FieldFreeze()
        var seq: UInt32 = 0
        _ = Self.wandering(cycles: 10, into: &freeze, seq: &seq)
        var first: Int?
        for k in 0..<300 {
            if !freeze.observe(Self.reading(3.3, seq: seq)).isEmpty, first == nil { first = k }
            seq += 1
        }
        let found = try #require(first)
        #expect(found < 150, "a freeze is reported within 150 readings (here \(found))")
    }
}
