import LocalBroker
import MQTT
import Testing
import VitalGateTesting

/// Issue 18, item 5: the transport contract, kept alike by libmosquitto on a real mosquitto and
/// by the in-memory broker the pipeline-rule tests run on.
@Suite struct MessageTransportContractTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case mosquitto, inMemory
        var testDescription: String { rawValue }
    }

    /// A contract over `backend`; `body` runs while its broker is up.
    func withContract(_ backend: Backend, _ body: (MessageTransportContract) throws -> Void) throws {
        switch backend {
        case .mosquitto:
            let broker = try LocalBroker()
            let publisher = try MQTTTestClient.connect(broker.address, id: "contract-device")
            defer { publisher.disconnect() }
            try body(MessageTransportContract(
                makeTransport: { try MQTTClient(options: MQTTOptions(broker: broker.address, clientID: $0)) },
                publish: { try MQTTTestClient.publishAll(publisher, $0) }))
        case .inMemory:
            let broker = InMemoryBroker()
            try body(MessageTransportContract(
                makeTransport: { broker.transport(MQTTOptions(broker: BrokerAddress(host: "in-memory", port: 1883), clientID: $0)) },
                publish: { broker.publishAll($0) }))
        }
    }

    @Test(arguments: Backend.allCases)
    func unacknowledgedMessagesComeAgainAndAcknowledgedOnesDoNot(_ backend: Backend) throws {
        try withContract(backend) { contract in
            let broken = try contract.unacknowledgedMessagesComeAgain(topic: "wban/v1/OXP-1/vitals")
            #expect(broken == [])
        }
    }

    @Test(arguments: Backend.allCases)
    func retainedMessagesReachLateSubscribersAndPublicationsReachOthers(_ backend: Backend) throws {
        try withContract(backend) { contract in
            let broken = try contract.retainedMessagesAndPublications(topic: "vitalgate/gw/status")
            #expect(broken == [])
        }
    }
}
