@testable import Simulator
import Telemetry
import Testing

@Suite("Determinism and ordering")
struct DeterminismTests {
    @Test("same seed gives byte-identical streams")
    func sameSeed() throws {
        let config = SimulatorConfig(patients: 3, seed: 99, faults: Set(FaultKind.allCases), faultRate: 0.01)
        let a = try Sim.run(config, seconds: 120)
        let b = try Sim.run(config, seconds: 120)
        #expect(a.count > 1000)
        #expect(a == b)
    }

    @Test("different seeds give different ids and values")
    func differentSeed() throws {
        let a = try Sim.run(SimulatorConfig(patients: 2, seed: 1), seconds: 30)
        let b = try Sim.run(SimulatorConfig(patients: 2, seed: 2), seconds: 30)
        #expect(a.map(\.payload) != b.map(\.payload))
        #expect(Set(a.map(\.topic)).isDisjoint(with: Set(b.map(\.topic))))
    }

    @Test("how the calls are split does not change the stream")
    func chunkingInvariance() throws {
        let config = SimulatorConfig(patients: 2, seed: 7, faults: Set(FaultKind.allCases), faultRate: 0.02)
        let whole = try Sim.run(config, seconds: 180, step: 180)
        let stepped = try Sim.run(config, seconds: 180, step: 1)
        #expect(whole == stepped)
        var simulator = try TelemetrySimulator(config: config)
        var pulled: [SimulatedMessage] = []
        let end = config.startTime + 180_000
        while let next = simulator.nextMessage(), next.at <= end { pulled.append(next) }
        #expect(pulled == whole)
    }

    @Test("messages come in non-decreasing publish time, the retained ones first", arguments: [false, true])
    func ordering(faults: Bool) throws {
        let config = SimulatorConfig(patients: 4, seed: 5, faults: faults ? Set(FaultKind.allCases) : [],
                                     faultRate: 0.02)
        let messages = try Sim.run(config, seconds: 300, step: 7)
        #expect(zip(messages, messages.dropFirst()).allSatisfy { $0.at <= $1.at })
        let head = messages.prefix(4 * 5 * 2)
        #expect(head.allSatisfy { $0.retain && $0.at == config.startTime })
        #expect(Set(head.compactMap { Sim.topic($0)?.kind }) == [.info, .pair])
    }

    @Test("enabling faults keeps the device roster")
    func roster() throws {
        let clean = try TelemetrySimulator(config: SimulatorConfig(patients: 5, seed: 11))
        let faulty = try TelemetrySimulator(config: SimulatorConfig(patients: 5, seed: 11, faults: [.burst]))
        #expect(clean.devices == faulty.devices)
        #expect(clean.devices.count == 25)
        #expect(Set(clean.devices.map(\.id)).count == 25)
    }
}
