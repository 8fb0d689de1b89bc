import Foundation
import HTTP
import Testing
import VitalGateTesting

/// The libcurl client against a real HTTP server (Python's standard library, `Peer/http_peer.py`)
/// on loopback: plain, TLS and mutual TLS with a throwaway CA.
@Suite struct HTTPClientTests {
    static let peer = AgentBinary.repositoryRoot.appendingPathComponent("Tests/HTTPTests/Peer/http_peer.py").path

    func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func postsABodyWithItsHeadersAndReadsTheResponse() throws {
        let server = try PythonServer(script: Self.peer)
        let client = try HTTPClient()
        let body = Array(String(repeating: "{\"a\":1}", count: 2000).utf8)  // > 1 KiB: no Expect: 100-continue wait
        let response = try client.send(HTTPRequest(method: "POST", url: server.baseURL() + "/echo",
                                                   headers: [("Content-Type", "application/fhir+json"), ("Authorization", "Bearer t")],
                                                   body: body))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let echo = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let headers = try #require(echo["headers"] as? [String: String])
        #expect(echo["method"] as? String == "POST")
        #expect(headers["Content-Type"] == "application/fhir+json")
        #expect(headers["Authorization"] == "Bearer t")
        #expect(headers["Expect"] == nil)
        #expect((echo["body"] as? String)?.utf8.count == body.count)
    }

    @Test func keepsTheConnectionAliveAcrossRequests() throws {
        let server = try PythonServer(script: Self.peer)
        let client = try HTTPClient()
        for _ in 0..<5 {
            #expect(try client.send(HTTPRequest(method: "POST", url: server.baseURL() + "/echo", body: [1, 2, 3])).status == 200)
        }
        let accepted = try client.send(HTTPRequest(method: "GET", url: server.baseURL() + "/connections"))
        #expect(text(accepted) == "1")
        #expect(client.connectionsOpened == 1)
    }

    @Test func anErrorStatusIsAResponseWithItsHeaders() throws {
        let server = try PythonServer(script: Self.peer)
        let client = try HTTPClient()
        for status in [301, 400, 429, 500, 503] {
            let response = try client.send(HTTPRequest(method: "GET", url: server.baseURL() + "/status/\(status)"))
            #expect(response.status == status)
            #expect(response.header("Retry-After") == "3")
        }
    }

    @Test func failuresAreTyped() throws {
        let server = try PythonServer(script: Self.peer)
        let client = try HTTPClient(options: HTTPClient.Options(connectTimeoutMs: 2000, timeoutMs: 500, maximumResponseBytes: 1000))
        func code(_ path: String, base: String? = nil) -> HTTPError.Code? {
            do {
                _ = try client.send(HTTPRequest(method: "GET", url: (base ?? server.baseURL()) + path))
                return nil
            } catch {
                #expect(!error.reason.isEmpty)
                return error.code
            }
        }
        #expect(code("/slow/3000") == .timeout)
        #expect(code("/cut") == .connectionLost)
        #expect(code("/nothing") == .connectionLost)
        #expect(code("/big/5000") == .responseTooLarge)
        #expect(code("/big/500") == nil)
        #expect(code("/", base: "http://127.0.0.1:1") == .unreachable)
        #expect(code("/", base: "ftp://127.0.0.1") == .configuration)
        #expect(code("/", base: "not a url") == .configuration)
        // The client is still usable after every failure.
        #expect(try client.send(HTTPRequest(method: "GET", url: server.baseURL() + "/echo")).status == 200)
    }

    @Test func mutualTLSWithATestCA() throws {
        let pki = try TestPKI()
        let server = try PythonServer(script: Self.peer, arguments: ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey,
                                                                     "--client-ca", pki.ca])
        let url = server.baseURL(tls: true) + "/echo"
        let trusted = try HTTPClient(options: HTTPClient.Options(caFile: pki.ca, certificateFile: pki.clientCert, keyFile: pki.clientKey))
        #expect(try trusted.send(HTTPRequest(method: "POST", url: url, body: [1])).status == 200)

        let noCertificate = try HTTPClient(options: HTTPClient.Options(caFile: pki.ca))
        #expect(throws: HTTPError.self) { _ = try noCertificate.send(HTTPRequest(method: "POST", url: url, body: [1])) }
        do {
            _ = try noCertificate.send(HTTPRequest(method: "POST", url: url, body: [1]))
        } catch {
            // TLS 1.3 refuses a missing client certificate after the handshake: the client sees
            // the server's alert (tls) or, when the server closed first, a lost connection.
            #expect(error.code == .tls || error.code == .connectionLost, "\(error)")
        }

        let systemCAs = try HTTPClient(options: HTTPClient.Options(certificateFile: pki.clientCert, keyFile: pki.clientKey))
        do {
            _ = try systemCAs.send(HTTPRequest(method: "GET", url: url))
            Issue.record("a server certificate from an unknown CA was accepted")
        } catch {
            #expect(error.code == .tls, "\(error)")
        }
    }

    @Test func aMissingCAFileIsATLSErrorNamingIt() throws {
        let pki = try TestPKI()
        let server = try PythonServer(script: Self.peer, arguments: ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey])
        let client = try HTTPClient(options: HTTPClient.Options(caFile: "/nonexistent/ca.pem"))
        do {
            _ = try client.send(HTTPRequest(method: "GET", url: server.baseURL(tls: true) + "/echo"))
            Issue.record("no error")
        } catch {
            #expect(error.code == .tls)
        }
    }
}
