import Testing
import Telemetry
@testable import Detection

/// Issue 23, round 4: a SpO2 jump of the oximeter while its own pulse rate scatters is a probe
/// artefact's edge, not a sensor spike; a jump with a steady pulse rate still is one.
@Suite struct SaturationArtefactTests {
    /// Alerts of a clean patient whose oximeter readings in `seconds` are edited.
    func oximeterAlerts(_ seconds: Range<Int>, edit: @escaping (Reading) -> Reading) -> [Alert] {
        var p = SyntheticPatient()
        let oxi = p.oximeter
        var engine = DetectionEngine()
        let stream = p.preamble() + p.seconds(0..<1500) { s, r in
            r.device == oxi && seconds.contains(s) ? edit(r) : r
        }
        return run(&engine, stream)
    }

    @Test func saturationSpikeWithSteadyPulseFires() {
        let found = oximeterAlerts(900..<902) { r in
            r.with(Channel.spo2, .number((r.number(Channel.spo2) ?? 97) - 12))
        }
        #expect(found.contains { $0.kind == "spike_spo2" && second($0.t) >= 900 && second($0.t) <= 902 })
    }

    @Test func saturationJumpWithScatteredPulseIsAnArtefact() {
        var flip = 1.0
        let found = oximeterAlerts(900..<902) { r in
            flip = -flip
            return r.with(Channel.spo2, .number((r.number(Channel.spo2) ?? 97) - 12))
                .with(Channel.pulseRate, .number((r.number(Channel.pulseRate) ?? 76) + 9 * flip))
        }
        #expect(!found.contains { $0.kind == "spike_spo2" })
    }

    @Test func scatteredPulseLooksAtTheLatestReadings() throws {
        var p = SyntheticPatient()
        let oxi = p.oximeter
        var monitor = DeviceMonitor(device: oxi)
        for x: Float in [76, 77, 76, 75, 76, 77, 76, 76] {
            monitor.histories[TrackedChannel.pulseRate.rawValue].append(x)
        }
        let readings = p.seconds(0..<1).compactMap { outcome, _ -> Reading? in
            if case .reading(let r, _) = outcome, r.device == oxi { return r }
            return nil
        }
        let steady = try #require(readings.first).with(Channel.pulseRate, .number(77))
        #expect(!monitor.pulseScattered(steady))
        #expect(monitor.pulseScattered(steady.with(Channel.pulseRate, .number(83))))
        monitor.histories[TrackedChannel.pulseRate.rawValue].append(66)
        #expect(monitor.pulseScattered(steady), "the reading before was 10 /min off")
    }
}
