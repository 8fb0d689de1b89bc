import Foundation
import LocalBroker
import MQTT
import Simulator
import Synchronization
import Testing
import VitalGateCommands
import VitalGateTesting

/// The publisher against a real mosquitto: what the subscriber receives is exactly what the
/// simulator generates, byte for byte, in order.
@Suite struct SimulatePublisherTests {
    /// Every fault kind, often: duplicates, bursts, truncated and invalid-UTF-8 payloads included.
    private static let faulty = SimulatorConfig(patients: 2, seed: 7, faults: Set(FaultKind.allCases), faultRate: 0.05)

    /// Runs a publisher on a fresh broker (no retained messages from earlier runs) and returns
    /// its report and everything a subscriber to `wban/v1/#` received.
    private func publish(_ config: SimulatorConfig, limit: SimulationPublisher.Limit, speed: Double = 0,
                         version: MQTTOptions.ProtocolVersion = .v5,
                         stop: () -> Bool = { false }) throws -> (SimulationReport, [InboundMessage]) {
        let broker = try LocalBroker()
        let subscriber = try MQTTTestClient.connect(broker.address, id: "subscriber", version: version)
        try subscriber.subscribe("wban/v1/#", qos: 1)
        let publisher = try SimulationPublisher(configuration: .init(
            broker: broker.address, clientID: "simulator", protocolVersion: version, simulator: config, speed: speed))
        let report = try publisher.run(until: limit, stop: stop)
        var received = try MQTTTestClient.collect(subscriber, count: report.published, timeoutMs: 20_000)
        received += try MQTTTestClient.collect(subscriber, count: 1, timeoutMs: 300)  // nothing more arrives
        subscriber.disconnect()
        return (report, received)
    }

    @Test(arguments: [MQTTOptions.ProtocolVersion.v5, .v311])
    func subscriberReceivesExactlyTheSimulatedStream(version: MQTTOptions.ProtocolVersion) throws {
        let expected = try generated(Self.faulty, seconds: 20)
        let (report, received) = try publish(Self.faulty, limit: .simulatedSeconds(20), version: version)

        #expect(received.count == expected.count)
        #expect(byTopic(received.map { ($0.topic, $0.payload) }) == byTopic(expected.map { ($0.topic, $0.payload) }),
                "same payload bytes in the same order on every topic")
        #expect(received.allSatisfy { $0.qos == 1 })
        #expect(report.published == expected.count)
        #expect(report.acknowledged == report.published)
        #expect(report.stopReason == .duration)
        #expect(report.payloadBytes == expected.reduce(0) { $0 + $1.payload.count })
        #expect(report.retained == expected.filter(\.retain).count)
        #expect(report.faultMessages == expected.filter { $0.fault != nil }.count)
        #expect(report.faultMessages > 0, "the fault rate makes some faults in 20 s")
        #expect(report.byFamily.values.reduce(0, +) + report.otherDevices == report.published)
        #expect(report.byKind.values.reduce(0, +) == report.published)
    }

    @Test func theSameSeedPublishesTheSameBytes() throws {
        let (_, first) = try publish(Self.faulty, limit: .simulatedSeconds(5))
        let (_, second) = try publish(Self.faulty, limit: .simulatedSeconds(5))
        #expect(!first.isEmpty)
        #expect(byTopic(first.map { ($0.topic, $0.payload) }) == byTopic(second.map { ($0.topic, $0.payload) }))

        var other = Self.faulty
        other.seed = 8
        let (_, different) = try publish(other, limit: .simulatedSeconds(5))
        #expect(Set(different.map(\.topic)) != Set(first.map(\.topic)), "another seed makes other device ids")
    }

    @Test func aMessageLimitPublishesAPrefixOfTheStream() throws {
        let expected = try generated(Self.faulty, seconds: 10)
        let (report, received) = try publish(Self.faulty, limit: .messages(37))
        #expect(report.published == 37 && report.acknowledged == 37)
        #expect(report.stopReason == .messageLimit)
        #expect(received.count == 37)
        let prefix = Array(expected.prefix(37))
        #expect(byTopic(received.map { ($0.topic, $0.payload) }) == byTopic(prefix.map { ($0.topic, $0.payload) }))
    }

    @Test func stoppingWaitsForEveryAcknowledgement() throws {
        var polls = 0
        let (report, received) = try publish(Self.faulty, limit: .unbounded, stop: {
            polls += 1
            return polls > 5
        })
        #expect(report.stopReason == .stopRequested)
        #expect(report.published > 0)
        #expect(report.acknowledged == report.published)
        #expect(received.count == report.published)
    }

    @Test func pacingFollowsSimulatedTimeScaledBySpeed() throws {
        let config = SimulatorConfig(patients: 1, seed: 3, emitWaveform: false)
        let expected = try generated(config, seconds: 3)
        let (report, received) = try publish(config, limit: .simulatedSeconds(3), speed: 10)
        #expect(received.count == expected.count)
        // The last messages are due 2.x simulated seconds in: at 10x at least 0.2 s of wall time.
        #expect(report.elapsedSeconds >= 0.2)
        #expect(report.elapsedSeconds < 10)
    }

    /// `demo` and `bench` run the publisher on a thread and stop it from another.
    @Test func runsOnABackgroundThreadAndStopsOnRequest() throws {
        let broker = try LocalBroker()
        let publisher = try SimulationPublisher(configuration: .init(
            broker: broker.address, simulator: SimulatorConfig(patients: 1, seed: 1), speed: 1))
        let outcome = Outcome()
        let thread = Thread {
            let result = Result { try publisher.run() }
            outcome.value.withLock { $0 = result }
        }
        thread.start()
        var waited = 0
        while publisher.published < 10 && waited < 5000 {  // the retained info and pair messages
            Thread.sleep(forTimeInterval: 0.01)
            waited += 10
        }
        publisher.requestStop()
        waited = 0
        while outcome.value.withLock({ $0 == nil }) && waited < 10_000 {
            Thread.sleep(forTimeInterval: 0.01)
            waited += 10
        }
        let report = try #require(try outcome.value.withLock { $0 }?.get())
        #expect(report.stopReason == .stopRequested)
        #expect(report.published >= 10 && report.acknowledged == report.published)
        #expect(publisher.acknowledged == report.acknowledged)
    }

    @Test func reportJSONIsOneValidObject() throws {
        let (report, _) = try publish(Self.faulty, limit: .simulatedSeconds(2))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(object["published"] as? Int == report.published)
        #expect(object["stop_reason"] as? String == "duration")
        let families = try #require(object["by_family"] as? [String: Int])
        #expect(families.values.reduce(0, +) + report.otherDevices == report.published)
        #expect(!report.json.contains("\n"))
    }
}

/// A run's result, handed from the publisher's thread to the test.
private final class Outcome: Sendable {
    let value = Mutex<Result<SimulationReport, any Error>?>(nil)
}
