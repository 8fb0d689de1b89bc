import Foundation
import LocalBroker
import MQTT
import Testing
import VitalGateTesting

extension TestPKI {
    /// The broker side: this PKI's server certificate, clients verified against its CA.
    func brokerTLS(requireClientCertificate: Bool = true) -> LocalBroker.TLS {
        LocalBroker.TLS(caFile: ca, certFile: serverCert, keyFile: serverKey, requireClientCertificate: requireClientCertificate)
    }

    /// A clean-session client `id` of `broker` that trusts this PKI's CA and, when
    /// `certificate`, presents the client certificate; one expected to fail gives up after 2 s.
    func client(_ broker: BrokerAddress, id: String, certificate: Bool = true, expectFailure: Bool = false) throws -> MQTTClient {
        let tls = certificate ? MQTTOptions.TLS(caFile: ca, certFile: clientCert, keyFile: clientKey) : MQTTOptions.TLS(caFile: ca)
        return try MQTTClient(options: MQTTOptions(broker: broker, clientID: id, persistentSession: false, tls: tls,
                                                   connectTimeoutMs: expectFailure ? 2000 : 10_000))
    }
}

@Suite struct TLSAndReconnectTests {
    @Test func mutualTLSConnectsWithAClientCertificateAndFailsWithout() throws {
        let pki = try TestPKI()
        defer { pki.dir.remove() }
        let broker = try LocalBroker(tls: pki.brokerTLS())
        #expect(broker.address.description.hasPrefix("mqtts://"))
        let withCert = try pki.client(broker.address, id: "mtls-ok")
        try withCert.connect()
        try withCert.subscribe("t/#", qos: 1)
        let publisher = try pki.client(broker.address, id: "mtls-pub")
        try publisher.connect()
        try MQTTTestClient.publishAll(publisher, [MQTTOptions.Message(topic: "t/x", payload: Array("over tls".utf8))])
        #expect(try MQTTTestClient.collect(withCert, count: 1).first?.payload == Array("over tls".utf8))

        let withoutCert = try pki.client(broker.address, id: "mtls-no", certificate: false, expectFailure: true)
        #expect(throws: MQTTError.self) { try withoutCert.connect() }
    }

    @Test func aServerCertificateFromAnotherCAIsRejected() throws {
        let pki = try TestPKI()
        let other = try TestPKI()
        defer { pki.dir.remove(); other.dir.remove() }
        let broker = try LocalBroker(tls: pki.brokerTLS(requireClientCertificate: false))
        let client = try other.client(broker.address, id: "wrong-ca", certificate: false, expectFailure: true)
        #expect(throws: MQTTError.self) { try client.connect() }
    }

    @Test func reconnectsAfterTheBrokerRestartsOnTheSamePort() throws {
        var broker = try LocalBroker()
        let port = broker.port
        let client = try MQTTTestClient.connect(broker.address, id: "survivor")
        try client.subscribe("t/#", qos: 1)
        broker.stop()
        #expect(throws: MQTTError.self) { for _ in 0..<50 { _ = try client.receive(timeoutMs: 20); try client.acknowledge() } }
        #expect(!client.isConnected)
        broker = try LocalBroker(port: port)
        var backoff = ReconnectBackoff(initialMs: 20, maxMs: 200)
        var connected = false
        for _ in 0..<20 where !connected {
            do {
                try client.reconnect()
                connected = true
            } catch {
                usleep(UInt32(backoff.nextDelayMs(random: 0.5)) * 1000)
            }
        }
        #expect(connected)
        try client.subscribe("t/#", qos: 1)  // the restarted broker kept no session
        let publisher = try MQTTTestClient.connect(broker.address, id: "pub")
        try MQTTTestClient.publishAll(publisher, [MQTTOptions.Message(topic: "t/y", payload: [1])])
        #expect(try MQTTTestClient.collect(client, count: 1).count == 1)
    }
}
