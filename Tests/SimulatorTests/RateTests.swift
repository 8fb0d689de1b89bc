@testable import Simulator
import Telemetry
import Testing

@Suite("Rates and accounting")
struct RateTests {
    @Test("ten minutes give the DEVICES.md rates", arguments: [300, 60])
    func tenMinutes(cuffInterval: Int) throws {
        let config = SimulatorConfig(patients: 2, seed: 12, cuffProIntervalSeconds: cuffInterval)
        var simulator = try TelemetrySimulator(config: config)
        let messages = simulator.messages(until: config.startTime + 600_000)
        var counts: [String: Int] = [:]
        for message in messages {
            guard let topic = Sim.topic(message), let family = Sim.family(message) else { continue }
            counts["\(family.model)/\(topic.kind.rawValue)", default: 0] += 1
        }
        #expect(counts["OxiPatch/vitals"] == 2 * 600)
        #expect(counts["CardioStrip/vitals"] == 2 * 600)
        #expect(counts["CardioStrip/waveform"] == 2 * 600)
        #expect(counts["ResPod/vitals"] == 2 * 600)
        #expect(counts["ThermaDot/vitals"] == 2 * 10)
        #expect(counts["CuffPro/vitals"] == 2 * (600 / cuffInterval))
        #expect(counts.filter { $0.key.hasSuffix("/info") }.values.reduce(0, +) == 10)
        #expect(counts.filter { $0.key.hasSuffix("/pair") }.values.reduce(0, +) == 10)

        let expected = config.expectedMessages(overSeconds: 600)
        for family in DeviceFamily.allCases {
            #expect(simulator.summary.byFamily[family] == (expected[family] ?? 0) + 4)  // + info, pair (2 patients)
        }
        #expect(simulator.summary.messages == messages.count)
        #expect(simulator.summary.vitals + simulator.summary.waveform == messages.count - 20)
        let perSecond = Double(messages.count - 20) / 600
        #expect(abs(perSecond - config.expectedMessagesPerSecond) < 0.01)
    }

    @Test("expected rate per patient")
    func expectedRate() {
        let config = SimulatorConfig(patients: 50)
        #expect(abs(config.expectedMessagesPerSecondPerPatient - (4 + 1.0 / 60 + 1.0 / 300)) < 1e-9)
        #expect(abs(config.expectedMessagesPerSecond(patients: 50) - 50 * (4 + 1.0 / 60 + 1.0 / 300)) < 1e-9)
        let noWave = SimulatorConfig(emitWaveform: false)
        #expect(abs(noWave.expectedMessagesPerSecondPerPatient - (3 + 1.0 / 60 + 1.0 / 300)) < 1e-9)
    }

    @Test("without waveforms, CardioStrip sends vitals only")
    func noWaveform() throws {
        let messages = try Sim.run(SimulatorConfig(patients: 1, seed: 4, emitWaveform: false), seconds: 60)
        #expect(!messages.contains { Sim.topic($0)?.kind == .waveform })
        #expect(messages.filter { Sim.family($0) == .cardioStrip && Sim.topic($0)?.kind == .vitals }.count == 60)
    }

    @Test("fifty patients in real time are cheap", .timeLimit(.minutes(1)))
    func fiftyPatients() throws {
        var simulator = try TelemetrySimulator(config: SimulatorConfig(patients: 50, seed: 1))
        let start = ContinuousClock.now
        let messages = simulator.messages(until: simulator.config.startTime + 60_000)
        let elapsed = ContinuousClock.now - start
        #expect(messages.count > 50 * 60 * 4)
        // One minute of simulated traffic must take far less than a minute, even in debug builds.
        #expect(elapsed < .seconds(20))
    }

    @Test("invalid configurations are rejected")
    func validation() {
        #expect(throws: SimulatorError.self) { try TelemetrySimulator(config: SimulatorConfig(patients: 0)) }
        #expect(throws: SimulatorError.self) { try TelemetrySimulator(config: SimulatorConfig(faultRate: 2)) }
        #expect(throws: SimulatorError.self) {
            try TelemetrySimulator(config: SimulatorConfig(cuffProIntervalSeconds: 0))
        }
    }
}
