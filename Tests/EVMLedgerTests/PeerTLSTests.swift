@testable import EVMLedger
import EVMLightClient
import Foundation
import HTTP
import Ledger
import Testing
import VitalGateTesting

/// The backend over HTTPS: the py-evm peer behind TLS with a throwaway CA, requiring a client
/// certificate signed by it (mutual TLS).
@Suite(.serialized) struct PeerTLSTests {
    static let shared = Result { () throws -> PeerFixture in try PeerFixture.start(pki: try TestPKI()) }
    let fixture: PeerFixture
    var peer: EVMPeer { fixture.peer }
    var pki: TestPKI { peer.pki! }

    init() throws {
        fixture = try Self.shared.get()
        try fixture.peer.reset()
    }

    @Test func anchorsOverMutualTLSOnOneConnection() throws {
        let backend = try fixture.backend()
        #expect(backend.configuration.endpoint.scheme == .https)
        let request = try sampleRequest(gateway: "gw-tls")
        let (evidence, _) = try fixture.drive(backend, request, try backend.submit(request, replacing: nil))
        let body = try EVMAnchorEvidence(body: evidence.body)
        let verifier = try EVMEvidenceVerifier(chainID: peer.chainID, contract: fixture.contract,
                                               senders: [backend.configuration.senderAddress],
                                               trust: .trustedBlocks(hashes: [try peer.blockHash(body.blockNumber)],
                                                                     minimumConfirmations: 2))
        try verifier.verify(evidence, for: request)
        #expect(backend.rpc.openedConnectionCount == 1)  // one kept-alive TLS connection for every call
    }

    @Test func aServerCertificateFromAnotherCAIsATLSError() throws {
        let other = try TestPKI()
        for caFile in [other.ca, nil] {  // another CA, and the system's CAs
            let backend = try fixture.backend(transport: .init(caFile: caFile, certificateFile: pki.clientCert,
                                                               keyFile: pki.clientKey, connectTimeout: .seconds(2)))
            let error = expectTransportError(.tls, transport: .tls) { () throws(LedgerError) in
                try backend.submit(try sampleRequest(gateway: "gw-tls-ca"), replacing: nil)
            }
            #expect(error?.reason.hasPrefix("eth_chainId: TLS") == true, "\(String(describing: error))")
        }
    }

    @Test func aHostNameTheCertificateDoesNotNameIsATLSError() throws {
        // The server certificate names IP 127.0.0.1 only.
        let backend = try fixture.backend(endpoint: HTTPEndpoint(scheme: .https, host: "localhost", port: peer.port))
        expectTransportError(.tls, transport: .tls) { () throws(LedgerError) in try backend.checkChainID() }
    }

    @Test func aClientWithoutACertificateIsRefused() throws {
        let backend = try fixture.backend(transport: .init(caFile: pki.ca, connectTimeout: .seconds(2)))
        do {
            try backend.checkChainID()
            Issue.record("the node accepted a client without a certificate")
        } catch {
            // TLS 1.3 refuses a missing client certificate after the client's handshake is done:
            // the client reads the server's alert (tls) or, when the server closed first, finds
            // the connection lost.
            let transport = (error.underlying as? HTTPError)?.code
            #expect((error.code == .tls && transport == .tls) || (error.code == .unavailable && transport == .connectionLost),
                    "\(error)")
        }
    }

    @Test func plainHTTPToTheTLSPortIsUnavailable() throws {
        let backend = try fixture.backend(endpoint: HTTPEndpoint(host: "127.0.0.1", port: peer.port),
                                          transport: .init(connectTimeout: .seconds(1), requestTimeout: .seconds(3)))
        expectLedgerError(.unavailable) { () throws(LedgerError) in try backend.checkChainID() }
    }

    @Test func tlsErrorsDoNotNameTheURL() throws {
        let other = try TestPKI()
        let backend = try fixture.backend(
            endpoint: HTTPEndpoint(scheme: .https, host: "127.0.0.1", port: peer.port, path: "/v3/s3cr3t-api-key"),
            transport: .init(caFile: other.ca))
        let error = expectTransportError(.tls, transport: .tls) { () throws(LedgerError) in try backend.checkChainID() }
        #expect(!"\(String(describing: error))".contains("s3cr3t"))
    }
}
